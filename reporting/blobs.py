"""Where attachment ciphertext lives: a local folder or an S3-compatible object store (SPEC §8).

`MEDIA_STORAGE=filesystem` (the default) keeps the files under MEDIA_ROOT; `MEDIA_STORAGE=s3`
puts them in one bucket through django-storages' `S3Storage` (boto3), so every web host and task
cluster sees the same files. Only ciphertext ever reaches either: `reporting.crypto
.encrypt_stream` writes its segments straight into `blob_write`, and `crypto.decrypt_stream`
reads them from `blob_read`.

Both directions are streams. Writing goes into a file opened exclusively, or into an S3
multipart upload whose only buffer is the part being filled (`S3_PART_BYTES`, at least the 5 MiB
S3 asks of every part but the last); reading pulls from the file or from the object's HTTP body
segment by segment. Nothing holds a whole file in memory, and nothing but the final file (or
object) is ever written anywhere: no temporary file, no spooling. A write that fails or is
abandoned leaves nothing: the partial file is removed, the multipart upload aborted.

A store that cannot be reached (or a bucket that does not exist) raises `StorageUnavailable`;
the services turn it into a calm "try again later" with nothing stored, and the system check
`meldestelle.E020` (`manage.py check --deploy`, run before the web and task units start) names
the problem at start-up.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage

logger = logging.getLogger(__name__)

MIN_PART_BYTES = 5 * 1024 * 1024  # S3: every part of a multipart upload but the last


class StorageUnavailable(Exception):
    """The attachment store could not be reached or refused the operation. The message holds
    the kind of failure only (never a key or content)."""


def uses_s3() -> bool:
    return getattr(settings, "MEDIA_STORAGE", "filesystem") == "s3"


def _s3() -> Any:
    """The storage object (S3Storage), its boto3 client and bucket name."""
    return default_storage


def _s3_client() -> Any:
    # The storage keeps one boto3 resource per thread; its client is thread-safe anyway.
    return _s3().connection.meta.client


def _s3_key(name: str) -> str:
    from storages.utils import clean_name

    return str(_s3()._normalize_name(clean_name(name)))


def _s3_failure(exc: BaseException) -> StorageUnavailable:
    # Only the class and the S3 error code: a message could name the bucket or the key.
    code = ""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
    return StorageUnavailable(f"object store: {type(exc).__name__} {code}".strip())


def _s3_errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


# --------------------------------------------------------------------------------------------
# Writing


class _MultipartWriter:
    """A write-only file object that sends what it is given to S3 as a multipart upload.

    The buffer is handed to `upload_part` as it is (no copy) once it holds a part's worth, and
    a fresh one started: memory stays at about one part. A file smaller than one part is sent
    with a single PUT when the writer is closed.
    """

    def __init__(self, client: Any, bucket: str, key: str, part_bytes: int) -> None:
        self.client, self.bucket, self.key = client, bucket, key
        self.part_bytes = max(part_bytes, MIN_PART_BYTES)
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.buffer += data
        self.size += len(data)
        if len(self.buffer) >= self.part_bytes:
            self._send_part()
        return len(data)

    def _send_part(self) -> None:
        if self.upload_id is None:
            created = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ContentType="application/octet-stream"
            )
            self.upload_id = created["UploadId"]
        part, self.buffer = self.buffer, bytearray()
        number = len(self.parts) + 1
        sent = self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=part
        )
        self.parts.append({"ETag": sent["ETag"], "PartNumber": number})

    def finish(self) -> None:
        if self.upload_id is None:
            self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=bytes(self.buffer), ContentType="application/octet-stream"
            )
            self.buffer = bytearray()
            return
        if self.buffer:
            self._send_part()
        self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": self.parts}
        )

    def abort(self) -> None:
        self.buffer = bytearray()
        if self.upload_id is not None:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
            except _s3_errors():
                # The store's lifecycle rule for incomplete uploads removes it (docs/deployment.md).
                logger.error("An aborted attachment upload could not be cancelled on the object store.")


@contextmanager
def blob_write(name: str) -> Iterator[IO[bytes]]:
    """A writable file object for the new blob `name`; the blob exists only if the block ends
    without an exception. Raises StorageUnavailable when the store fails."""
    if uses_s3():
        errors = _s3_errors()
        try:
            writer = _MultipartWriter(_s3_client(), _s3().bucket_name, _s3_key(name), settings.S3_PART_BYTES)
        except errors as exc:
            raise _s3_failure(exc) from exc
        try:
            yield writer  # type: ignore[misc]
            writer.finish()
        except errors as exc:
            writer.abort()
            raise _s3_failure(exc) from exc
        except BaseException:
            writer.abort()
            raise
        return
    storage = default_storage
    path = storage.path(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = settings.FILE_UPLOAD_PERMISSIONS or 0o600
    try:
        # Exclusive: a blob name is never reused, and nothing else is overwritten.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as exc:
        raise StorageUnavailable(f"file system: {type(exc).__name__}") from exc
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        raise


# --------------------------------------------------------------------------------------------
# Reading


class _ExactReader:
    """`read(n)` returns exactly n bytes unless the stream ends (the decryptor's contract); an
    HTTP body may hand back less per call."""

    def __init__(self, body: Any) -> None:
        self.body = body

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            raise ValueError("read the stream in pieces")
        first = self.body.read(size)
        if len(first) == size or not first:
            return bytes(first)
        pieces = [first]
        missing = size - len(first)
        while missing:
            more = self.body.read(missing)
            if not more:
                break
            pieces.append(more)
            missing -= len(more)
        return b"".join(pieces)

    def close(self) -> None:
        self.body.close()


@contextmanager
def blob_read(name: str) -> Iterator[IO[bytes]]:
    """A readable file object over the blob `name`, streamed. StorageUnavailable when the store
    fails; FileNotFoundError when the blob is not there."""
    if uses_s3():
        errors = _s3_errors()
        try:
            body = _s3_client().get_object(Bucket=_s3().bucket_name, Key=_s3_key(name))["Body"]
        except errors as exc:
            if _status(exc) == 404:
                raise FileNotFoundError("attachment blob is missing") from exc
            raise _s3_failure(exc) from exc
        reader = _ExactReader(body)
        try:
            yield reader  # type: ignore[misc]
        except errors as exc:
            raise _s3_failure(exc) from exc
        finally:
            reader.close()
        return
    with default_storage.open(name, "rb") as handle:
        yield handle


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return int(status) if status is not None else None
    return None


# --------------------------------------------------------------------------------------------
# Deleting and checking


def blob_exists(name: str) -> bool:
    if uses_s3():
        try:
            _s3_client().head_object(Bucket=_s3().bucket_name, Key=_s3_key(name))
        except _s3_errors() as exc:
            if _status(exc) == 404:
                return False
            raise _s3_failure(exc) from exc
        return True
    return bool(default_storage.exists(name))


def blob_delete(names: Sequence[str | None]) -> None:
    """Delete the blobs; a name already gone is no error. StorageUnavailable if the store fails
    (the caller decides whether that may stop it)."""
    wanted = [name for name in names if name]
    if not wanted:
        return
    if uses_s3():
        try:
            client, bucket = _s3_client(), _s3().bucket_name
            for start in range(0, len(wanted), 1000):  # the S3 limit per request
                batch = [{"Key": _s3_key(name)} for name in wanted[start:start + 1000]]
                answer = client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
                if answer.get("Errors"):
                    raise StorageUnavailable(f"object store: {len(answer['Errors'])} objects not deleted")
        except _s3_errors() as exc:
            raise _s3_failure(exc) from exc
        return
    for name in wanted:
        if default_storage.exists(name):
            default_storage.delete(name)


def storage_problem() -> str | None:
    """Why attachments cannot be stored right now, or None. For the system check and health."""
    if not uses_s3():
        root = settings.MEDIA_ROOT
        if isinstance(default_storage, FileSystemStorage) and os.path.exists(root) and not os.access(root, os.W_OK):
            return f"MEDIA_ROOT {root} is not writable"
        return None
    try:
        _s3_client().head_bucket(Bucket=_s3().bucket_name)
    except _s3_errors() as exc:
        status = _status(exc)
        if status == 404:
            return f"the bucket S3_BUCKET={_s3().bucket_name!r} does not exist at S3_ENDPOINT_URL"
        if status in (401, 403):
            return f"the credentials are not allowed to use the bucket S3_BUCKET={_s3().bucket_name!r}"
        return f"the object store at S3_ENDPOINT_URL cannot be reached ({type(exc).__name__})"
    return None
