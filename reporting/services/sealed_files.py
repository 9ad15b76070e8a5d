"""Files sealed in the reporter's browser (SPEC §3.10, §4.3): received as ciphertext, cleaned at
the first opening by a counsellor where the browser could not clean them.

The browser encrypts each file in `reporting.crypto`'s attachment stream under the case key,
bound to the case binding and an attachment id the binding fixes (`sealed_attachment_ids`), and
its name, type and size as padded JSON (purpose `attachment-meta:<id>`), exactly as
`submission._attachment_upload` does for a file the server encrypts. The upload handler
(`reporting.uploads.SealedStreamUploadHandler`) streams each ciphertext into the attachment
store as it arrives; `sealed_report_submit` checks them by length and format only and stores
their rows with the case, or the view removes the blobs: nothing stays if anything is refused.

Photos are re-encoded without metadata in the browser (`"cleaned": true` in the encrypted
metadata). PDFs, and anything else the browser did not clean (`"cleaned": false`), are cleaned
by `attachment_clean_on_first_open` when a counsellor first opens the file: decrypted in
memory, cleaned by `reporting.files`, encrypted again into a new blob, the old blob removed,
audited.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from reporting import crypto
from reporting.audit import AuditAction, audit_log
from reporting.blobs import StorageUnavailable, blob_write
from reporting.files import UnsupportedFileType, safe_download_name, sanitise_upload
from reporting.models import Attachment, Case
from reporting.services.common import PURPOSE_ATTACHMENT_META, ServiceError, case_binding
from reporting.services.conversation import touch_reporter_activity
from reporting.services.submission import _chunks, attachment_meta, attachment_open, remove_blobs
from reporting.traces import MIN_BUCKET, pad, to_the_hour

logger = logging.getLogger(__name__)

# The encrypted metadata (name, type, size, whether cleaned) padded to one or two buckets.
META_MAX_BUCKET = 2 * MIN_BUCKET


@dataclass(frozen=True)
class SealedFile:
    """One file as the browser sent it: its ciphertext already in the store under `blob_name`."""

    blob_name: str
    ciphertext_bytes: int  # as received (the handler stops keeping what is beyond the limit)
    head: bytes  # the first bytes, for the format check
    meta_ciphertext: bytes


def sealed_attachment_ids(binding: str) -> list[str]:
    """The attachment ids (hex) of a binding's files, in the order they are sent. Fixed by the
    binding, which is random and single use: the browser cannot choose an id that exists."""
    ids = []
    for index in range(settings.REPORT_MAX_FILES):
        digest = hashlib.sha256(f"meldestelle/v1/sealed-attachment|{binding}|{index}".encode()).digest()
        ids.append(uuid.UUID(bytes=digest[:16]).hex)
    return ids


def max_sealed_file_bytes() -> int:
    limit = settings.REPORT_MAX_FILE_BYTES
    return limit + crypto.stream_overhead(limit)


def new_blob_name() -> str:
    return f"attachments/{secrets.token_hex(16)}.bin"


def check_sealed_files(files: Sequence[SealedFile]) -> None:
    """Count, length and format only: the server cannot open them. ServiceError otherwise."""
    if len(files) > settings.REPORT_MAX_FILES:
        raise ServiceError("too_many_files", str(_("Please choose at most %(count)d files."))
                           % {"count": settings.REPORT_MAX_FILES}, http_status=413)
    for item in files:
        plaintext = crypto.stream_plaintext_bytes(item.ciphertext_bytes)
        if item.ciphertext_bytes > max_sealed_file_bytes() or (
            plaintext is not None and plaintext > settings.REPORT_MAX_FILE_BYTES
        ):
            raise ServiceError("file_too_large", str(_(
                "A file is larger than %(limit)s. Please choose a smaller file or leave it out."
            )) % {"limit": f"{settings.REPORT_MAX_FILE_BYTES // (1024 * 1024)} MB"}, http_status=413)
        if plaintext is None or not crypto.stream_head_ok(item.head) or not crypto.padded_ciphertext_ok(
            item.meta_ciphertext, min_bucket=MIN_BUCKET, max_bucket=META_MAX_BUCKET
        ):
            raise ServiceError("malformed", "An encrypted file does not have the expected format.")


def sealed_files_store(*, case: Case, files: Sequence[SealedFile]) -> list[Attachment]:
    """The rows of the checked files (inside the submission's transaction)."""
    ids = sealed_attachment_ids(case_binding(case))
    received_at = to_the_hour()
    attachments = []
    for index, item in enumerate(files):
        attachment = Attachment(
            case=case, uuid=uuid.UUID(hex=ids[index]), from_reporter=True, created_at=received_at,
            meta_ciphertext=item.meta_ciphertext,
        )
        attachment.blob.name = item.blob_name
        attachment.save()
        attachments.append(attachment)
    return attachments


# --------------------------------------------------------------------------------------------
# Files added in the follow-up (SPEC §3.10)

ATTACHMENT_ID = re.compile(r"[0-9a-f]{32}")


def sealed_followup_files_add(*, case: Case, files: Sequence[SealedFile], attachment_ids: Sequence[str]) -> list[Attachment]:
    """Files the reporter's browser sealed in the follow-up, each bound to the case binding and
    an attachment id the browser chose at random (128 bits; a collision is refused, 409, and
    nothing is stored): stored like `attachment_add` stores a reporter's file (activity,
    audit). The caller removes the blobs when this raises. ServiceError otherwise."""
    check_sealed_files(files)
    if len(attachment_ids) != len(files) or len(set(attachment_ids)) != len(attachment_ids) or not all(
        isinstance(item, str) and ATTACHMENT_ID.fullmatch(item) for item in attachment_ids
    ):
        raise ServiceError("malformed", "An encrypted file does not have the expected format.")
    if not files:
        raise ServiceError("malformed", "No file was sent.")
    received_at = to_the_hour()
    attachments = []
    try:
        with transaction.atomic():
            for attachment_id, item in zip(attachment_ids, files, strict=True):
                attachment = Attachment(
                    case=case, uuid=uuid.UUID(hex=attachment_id), from_reporter=True, created_at=received_at,
                    meta_ciphertext=item.meta_ciphertext,
                )
                attachment.blob.name = item.blob_name
                attachment.save()
                attachments.append(attachment)
                audit_log(
                    actor=None, action=AuditAction.ATTACHMENT_ADDED, case_id=case.pk,
                    organisation_id=case.organisation_id, data={"attachment": attachment.uuid.hex},
                )
            touch_reporter_activity(case, by_reporter=True)
    except IntegrityError as exc:
        raise ServiceError("attachment_id_used", "An attachment id was used before.", http_status=409) from exc
    return attachments


# --------------------------------------------------------------------------------------------
# Cleaning at the first opening


def _meta_plaintext(attachment: Attachment, case_key: bytes) -> dict[str, Any]:
    return attachment_meta(attachment=attachment, case_key=case_key)


def needs_cleaning(meta: dict[str, Any]) -> bool:
    """Only a browser says "not cleaned"; a file the server received was cleaned on arrival."""
    return meta.get("cleaned") is False


def attachment_clean_on_first_open(*, actor: Any, attachment: Attachment, case_key: bytes) -> None:
    """Clean a file the browser could not clean (a PDF; a photo whose metadata the reporter
    kept is only checked), store it again encrypted, remove the old blob, audit. Nothing for a
    file that is clean. Updates `attachment` in place to the stored file."""
    if not needs_cleaning(_meta_plaintext(attachment, case_key)):
        return
    binding = case_binding(attachment.case)
    new_name = new_blob_name()
    try:
        with transaction.atomic():
            locked = Attachment.objects.select_for_update().get(pk=attachment.pk)
            locked.case = attachment.case
            meta = _meta_plaintext(locked, case_key)
            if not needs_cleaning(meta):  # a colleague opened it a moment ago
                attachment.blob.name, attachment.meta_ciphertext = locked.blob.name, locked.meta_ciphertext
                return
            old_name = locked.blob.name
            try:
                data = b"".join(attachment_open(attachment=locked, case_key=case_key))
            except (crypto.CryptoError, ValueError) as exc:  # not encrypted for this case
                raise ServiceError("attachment_unreadable", str(_(
                    "This file cannot be opened: it was not encrypted for this report. Nothing was changed."
                )), http_status=422) from exc
            try:
                clean = sanitise_upload(data, keep_metadata=bool(meta.get("keep_metadata")))
            except UnsupportedFileType:
                # Not a file we can vouch for: it stays as it came, offered only as "attachment.bin".
                content, content_type, outcome = data, "", "refused"
                name = str(meta.get("name", ""))
            else:
                content, content_type, outcome = clean.content, clean.content_type, "cleaned"
                name = safe_download_name(str(meta.get("name", "")), clean.extension)
            del data
            with blob_write(new_name) as sink:
                crypto.encrypt_stream(case_key, _chunks(content), sink, case_id=binding,
                                      attachment_id=locked.uuid.hex)
            locked.blob.name = new_name
            locked.meta_ciphertext = crypto.encrypt(
                case_key,
                pad(json.dumps({"name": name, "content_type": content_type, "size": len(content),
                                "cleaned": True}).encode()),
                case_id=binding, purpose=f"{PURPOSE_ATTACHMENT_META}:{locked.uuid.hex}",
            )
            del content
            locked.save(update_fields=["blob", "meta_ciphertext"])
            audit_log(
                actor=actor, action=AuditAction.ATTACHMENT_CLEANED, case_id=locked.case_id,
                organisation_id=attachment.case.organisation_id,
                data={"attachment": locked.uuid.hex, "outcome": outcome},
            )
            transaction.on_commit(lambda: remove_blobs([old_name]))
    except StorageUnavailable as exc:
        remove_blobs([new_name])
        logger.error("Attachment not cleaned: %s", exc)
        raise ServiceError("storage_unavailable", str(_(
            "Files cannot be opened at the moment. Please try again later."
        )), http_status=503) from exc
    except BaseException:
        remove_blobs([new_name])
        raise
    attachment.blob.name, attachment.meta_ciphertext = locked.blob.name, locked.meta_ciphertext


__all__ = [
    "SealedFile", "attachment_clean_on_first_open", "check_sealed_files", "max_sealed_file_bytes",
    "needs_cleaning", "new_blob_name", "sealed_attachment_ids", "sealed_files_store",
    "sealed_followup_files_add",
]
