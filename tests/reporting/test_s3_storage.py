"""Attachments on a real S3 server (SeaweedFS, `s3_server` in tests/conftest.py; SPEC §8).

The ciphertext streams into a multipart upload and back out of the object's body in bounded
memory; shredding deletes the objects; a store that is missing or unreachable is an error in
`check --deploy` and a calm 503 for the reporter, with nothing stored."""

from __future__ import annotations

import hashlib
import random
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from reporting import crypto
from reporting.audit import AuditAction
from reporting.blobs import StorageUnavailable, blob_read, blob_write, storage_problem
from reporting.models import Attachment, AuditEntry, Case
from reporting.services import (
    FileInput,
    attachment_open,
    case_shred,
    report_submit,
    reporter_open,
)
from reporting.services.common import ServiceError
from tests.helpers import WeedServer, free_ports, logged_in, make_jpeg

MB = 1024 * 1024
REPORTS = "/api/v1/reports/"


def _pseudo_random_chunks(total: int, *, seed: int = 5, size: int = 256 * 1024) -> Iterator[bytes]:
    """`total` bytes that compress to nothing, made piece by piece (never whole in memory)."""
    rng = random.Random(seed)
    sent = 0
    while sent < total:
        piece = rng.randbytes(min(size, total - sent))
        sent += len(piece)
        yield piece


def test_a_50_mb_attachment_round_trips_through_s3_in_bounded_memory(
    s3_bucket: str, s3_server: WeedServer
) -> None:
    size = 50 * MB
    key = crypto.new_key()
    expected = hashlib.sha256()
    for piece in _pseudo_random_chunks(size):
        expected.update(piece)
    name = "attachments/round-trip.bin"
    # The S3 client of this thread is made once (boto3 loads its service model then); the
    # figure is what storing and reading a file costs, so make it before measuring.
    assert storage_problem() is None

    tracemalloc.start()
    try:
        with blob_write(name) as sink:
            written = crypto.encrypt_stream(key, _pseudo_random_chunks(size), sink,
                                            case_id="NI-2026-00001", attachment_id="a" * 32)
        _current, write_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        got = hashlib.sha256()
        read = 0
        with blob_read(name) as source:
            for segment in crypto.decrypt_stream(key, source, case_id="NI-2026-00001", attachment_id="a" * 32):
                got.update(segment)
                read += len(segment)
        _current, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert written == read == size
    assert got.hexdigest() == expected.hexdigest()
    # Memory: about one 5 MiB part while writing, a few segments while reading.
    assert write_peak < 16 * MB, write_peak
    assert read_peak < 16 * MB, read_peak
    # What the store holds is the ciphertext, one object of the streaming format's size.
    client = s3_server.client()
    head = client.head_object(Bucket=s3_bucket, Key=name)
    assert head["ContentLength"] == size + crypto.stream_overhead(size)
    first = client.get_object(Bucket=s3_bucket, Key=name, Range="bytes=0-65535")["Body"].read()
    assert next(_pseudo_random_chunks(64 * 1024, size=64 * 1024)) not in first
    assert client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []


def test_a_write_that_fails_half_way_leaves_no_object_and_no_open_upload(
    s3_bucket: str, s3_server: WeedServer
) -> None:
    def failing() -> Iterator[bytes]:
        yield from _pseudo_random_chunks(12 * MB)  # two parts are uploaded by then
        raise RuntimeError("the reporter's connection broke")

    with pytest.raises(RuntimeError), blob_write("attachments/half.bin") as sink:
        crypto.encrypt_stream(crypto.new_key(), failing(), sink, case_id="NI-2026-00002", attachment_id="b" * 32)
    assert s3_server.object_keys(s3_bucket) == []
    assert s3_server.client().list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []


@pytest.mark.django_db
def test_a_report_with_a_file_is_ciphertext_in_the_bucket_and_a_shred_deletes_the_object(
    s3_bucket: str, s3_server: WeedServer, fallback_org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    photo = make_jpeg(size=(64, 48))
    submitted = report_submit(
        report=_report("S3 marker report"), files=[FileInput(name="marker-photo.jpg", content=photo,
                                                             content_type="image/jpeg")],
    )
    attachment = Attachment.objects.get(case=submitted.case)
    keys = s3_server.object_keys(s3_bucket)
    assert keys == [attachment.blob.name]
    stored = s3_server.client().get_object(Bucket=s3_bucket, Key=keys[0])["Body"].read()
    assert photo not in stored and b"marker-photo" not in stored

    access = reporter_open(receipt=submitted.receipt_code or "")
    assert access is not None
    assert b"".join(attachment_open(attachment=attachment, case_key=access.case_key)) == photo

    with django_capture_on_commit_callbacks(execute=True):
        case_shred(actor=None, case=submitted.case, reason="reporter")
    assert s3_server.object_keys(s3_bucket) == []
    assert not Case.objects.filter(pk=submitted.case.pk).exists()


@pytest.mark.django_db
def test_a_missing_bucket_is_a_calm_503_for_the_reporter_with_nothing_stored(
    s3_server: WeedServer, settings: Any, client: Any, fallback_org: Any
) -> None:
    settings.MEDIA_STORAGE = "s3"
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storages("no-such-bucket")}
    entries = AuditEntry.objects.count()

    response = client.post(REPORTS, {
        "description": "A report whose photo cannot be stored.", "district": "03241", "motives": ["racism"],
        "consent": "true", "files": [SimpleUploadedFile("a.jpg", make_jpeg(), "image/jpeg")],
    }, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "storage_unavailable"
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0
    assert AuditEntry.objects.count() == entries
    # A report without files does not need the store and still arrives.
    assert client.post(REPORTS, {"description": "No file.", "district": "03241", "motives": ["racism"],
                                 "consent": "true"}).status_code == 201


@pytest.mark.django_db
def test_the_service_refuses_with_a_service_error_when_the_store_is_unreachable(
    settings: Any, s3_server: WeedServer, fallback_org: Any
) -> None:
    [closed_port] = free_ports(1)
    storage = s3_server.storages("meldestelle")
    storage["OPTIONS"]["endpoint_url"] = f"http://127.0.0.1:{closed_port}"
    settings.MEDIA_STORAGE = "s3"
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    with pytest.raises(ServiceError) as refused:
        report_submit(report=_report("unreachable"), files=[FileInput("a.jpg", make_jpeg(), "image/jpeg")])
    assert refused.value.code == "storage_unavailable"
    assert Case.objects.count() == 0
    with pytest.raises(StorageUnavailable), blob_read("attachments/any.bin"):
        pass


@pytest.mark.django_db
def test_health_names_the_store_and_turns_down_while_it_is_unreachable(
    client: Any, settings: Any, s3_server: WeedServer
) -> None:
    settings.MEDIA_STORAGE = "s3"
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storages(s3_server.new_bucket())}
    healthy = client.get("/healthz")
    assert healthy.status_code == 200 and healthy.json()["checks"]["store"] == "ok"

    [closed_port] = free_ports(1)
    storage = s3_server.storages("meldestelle")
    storage["OPTIONS"]["endpoint_url"] = f"http://127.0.0.1:{closed_port}"
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    down = client.get("/healthz")
    assert down.status_code == 503
    assert down.json() == {"status": "down", "checks": {"database": "ok", "queue": "ok", "store": "down"}}


def test_check_deploy_names_a_missing_bucket_and_an_unreachable_store(
    settings: Any, s3_server: WeedServer
) -> None:
    settings.MEDIA_STORAGE = "s3"
    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storages("no-such-bucket")}
    problem = storage_problem()
    assert problem is not None and "does not exist" in problem
    with pytest.raises(SystemCheckError, match=r"meldestelle\.E020.*no-such-bucket"):
        call_command("check", "--deploy", "--tag", "files")

    [closed_port] = free_ports(1)
    storage = s3_server.storages("meldestelle")
    storage["OPTIONS"]["endpoint_url"] = f"http://127.0.0.1:{closed_port}"
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    with pytest.raises(SystemCheckError, match=r"cannot be reached"):
        call_command("check", "--deploy", "--tag", "files")

    settings.STORAGES = {**settings.STORAGES, "default": s3_server.storages(s3_server.new_bucket())}
    assert storage_problem() is None
    call_command("check", "--deploy", "--tag", "files")


def _report(description: str) -> Any:
    from reporting.services import ReportInput

    return ReportInput(description=description, district="03241", motives=["racism"])


@pytest.mark.django_db
def test_a_file_the_store_cannot_give_back_is_a_calm_503_for_the_counsellor(
    s3_bucket: str, s3_server: WeedServer, settings: Any, fallback_org: Any, make_member: Any, submit: Any
) -> None:
    case = submit(description="A report whose photo is on S3.",
                  files=(FileInput("photo.jpg", make_jpeg(), "image/jpeg"),)).case
    attachment = case.attachments.get()
    member = make_member(fallback_org)
    page, api = logged_in(member), logged_in(member, api=True)
    page_url = f"/staff/cases/{case.pk}/files/{attachment.uuid.hex}/"
    api_url = f"/api/v1/cases/{case.pk}/files/{attachment.uuid.hex}/"
    assert b"".join(page.get(page_url).streaming_content) == b"".join(api.get(api_url).streaming_content)
    downloads = AuditEntry.objects.filter(action=AuditAction.ATTACHMENT_DOWNLOADED).count()

    [closed_port] = free_ports(1)
    storage = s3_server.storages(s3_bucket)
    storage["OPTIONS"]["endpoint_url"] = f"http://127.0.0.1:{closed_port}"
    settings.STORAGES = {**settings.STORAGES, "default": storage}

    answer = page.get(page_url, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 503
    assert b"The file store cannot be reached at the moment" in answer.content
    refused = api.get(api_url, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "storage_unavailable"
    inline = page.get(page_url + "view/", HTTP_ACCEPT_LANGUAGE="en")
    assert inline.status_code == 503
    # Nothing was handed out, so nothing is recorded as downloaded; the file is still there.
    assert AuditEntry.objects.filter(action=AuditAction.ATTACHMENT_DOWNLOADED).count() == downloads
    assert s3_server.object_keys(s3_bucket) == [attachment.blob.name]
