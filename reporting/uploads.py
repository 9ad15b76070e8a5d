"""Uploaded evidence: received in memory, checked, sanitised (SPEC §4.3, §4.4).

The file field and the checks (`UploadsMixin`) that the reporter's forms and a counsellor's
upload share: count and size first, then type by content and sanitising (reporting.files) in a
second step the views call after the anti-abuse checks; the error codes tell the caller which
HTTP status fits (`refusal_status`: 413 too large, 415 wrong type).

The upload handler keeps reporters' evidence in memory only, bounded, never silently lossy.

Django's MemoryFileUploadHandler switches itself off when the whole request is larger than
FILE_UPLOAD_MAX_MEMORY_SIZE, and with no other handler the files are then dropped without a
word: a report with three 5 MB photos would arrive without them. This handler is always on,
keeps at most REPORT_MAX_FILES files of at most REPORT_MAX_FILE_BYTES in memory, and for a file
beyond either limit keeps an empty placeholder whose `size` is the real size (or which is
counted), so that the form can refuse the request with a clear message (413). Nothing is ever
written to disk.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from io import BytesIO
from typing import IO, Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from reporting.blobs import StorageUnavailable, blob_write
from reporting.files import UnsupportedFileType, safe_download_name, sanitise_upload, sniff_type
from reporting.services import FileInput


class BoundedMemoryUploadHandler(FileUploadHandler):
    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.files_seen = 0
        self.buffer = BytesIO()
        self.keeping = True

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.files_seen += 1
        self.buffer = BytesIO()
        # Beyond the allowed number only the count matters; the content is not kept.
        self.keeping = self.files_seen <= settings.REPORT_MAX_FILES
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if not self.keeping:
            return None
        if start + len(raw_data) > settings.REPORT_MAX_FILE_BYTES:
            # Too large: stop keeping it (memory stays bounded); the size still counts up.
            self.keeping = False
            self.buffer = BytesIO()
            return None
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


class SealedStream:
    """What `SealedStreamUploadHandler` keeps of one file: where its ciphertext is, how long
    it was, its first bytes. Nothing of it is plaintext (SPEC §3.10)."""

    def __init__(self, field_name: str, blob_name: str | None, size: int, head: bytes) -> None:
        self.field_name, self.blob_name, self.size, self.head = field_name, blob_name, size, head
        self.name = "sealed"


class SealedStreamUploadHandler(FileUploadHandler):
    """Streams files sealed in the reporter's browser straight into the attachment store.

    Each file part is ciphertext (reporting.crypto's attachment stream): it goes chunk by chunk
    into a new blob (`reporting.blobs.blob_write`: a file, or an S3 multipart upload), so memory
    stays at one chunk (one S3 part) whatever the size. A file beyond REPORT_MAX_FILES or beyond
    the size limit is not kept (only counted; its partial blob removed); a store that fails is
    recorded in `failed`. `blob_names` lists every blob written: the view removes them all unless
    the submission is stored.
    """

    def __init__(self, request: Any = None, *, max_files: int, max_bytes: int) -> None:
        super().__init__(request)
        self.max_files, self.max_bytes = max_files, max_bytes
        self.files_seen = 0
        self.blob_names: list[str] = []
        self.failed: StorageUnavailable | None = None
        self._writer: AbstractContextManager[IO[bytes]] | None = None
        self._sink: IO[bytes] | None = None
        self._head = b""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        from reporting.services.sealed_files import new_blob_name

        super().new_file(*args, **kwargs)
        self.files_seen += 1
        self._head = b""
        if self.files_seen > self.max_files or self.failed is not None:
            raise StopFutureHandlers()
        name = new_blob_name()
        self._writer = blob_write(name)
        try:
            self._sink = self._writer.__enter__()
        except StorageUnavailable as exc:
            self.failed, self._writer = exc, None
        else:
            self.blob_names.append(name)
        raise StopFutureHandlers()

    def _drop(self, exc: BaseException) -> None:
        writer, self._writer, self._sink = self._writer, None, None
        if writer is not None:
            try:
                writer.__exit__(type(exc), exc, None)  # removes the partial blob
            except StorageUnavailable as failure:
                self.failed = failure

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if len(self._head) < 16:
            self._head += raw_data[: 16 - len(self._head)]
        if self._sink is None:
            return None
        if start + len(raw_data) > self.max_bytes:
            self._drop(ValueError("too large"))
            return None
        try:
            self._sink.write(raw_data)
        except StorageUnavailable as exc:
            self.failed = exc
            self._drop(exc)
        return None

    def file_complete(self, file_size: int) -> SealedStream:  # type: ignore[override]
        kept = self._writer is not None
        if self._writer is not None:
            writer, self._writer, self._sink = self._writer, None, None
            try:
                writer.__exit__(None, None, None)
            except StorageUnavailable as exc:
                self.failed, kept = exc, False
        return SealedStream(self.field_name or "", self.blob_names[-1] if kept else None, file_size, self._head)

    def upload_interrupted(self) -> None:
        self._drop(ConnectionError("upload interrupted"))


ACCEPTED_TYPES = "image/jpeg,image/png,image/webp,application/pdf"

# Error codes that decide the HTTP status of a refused request.
TOO_LARGE_CODES = frozenset({"too_many_files", "file_too_large"})
UNSUPPORTED_CODES = frozenset({"unsupported_file_type"})


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [item for item in items if item]

    def has_changed(self, initial: Any, data: Any) -> bool:
        return bool(data)


def files_widget(field: forms.Field) -> None:
    """The file control: accepted types, limits, and the messages static/js/enhance.js shows for
    each file as soon as it is chosen (type and size are checked in the browser before any
    upload; the server checks them again)."""
    max_files = settings.REPORT_MAX_FILES
    max_bytes = settings.REPORT_MAX_FILE_BYTES
    field.help_text = gettext(
        "Up to %(max_files)s files: photos (JPEG, PNG, WebP) or PDF, each at most %(max_file_mb)s MB. "
        "Hidden information inside the files, such as the place where a photo was taken, is removed."
    ) % {"max_files": max_files, "max_file_mb": max_bytes // (1024 * 1024)}
    field.widget.attrs.update({
        "accept": ACCEPTED_TYPES,
        "data-file-check": "",
        "data-max-bytes": str(max_bytes),
        "data-max-files": str(max_files),
        "data-msg-too-large": gettext(
            "A file is larger than %(limit)s: %(name)s. Please choose a smaller file or leave it out."
        ).replace("%(limit)s", _megabytes(max_bytes)),
        "data-msg-wrong-type": gettext(
            "%(name)s is not a photo (JPEG, PNG, WebP) or a PDF. Please leave it out or choose another file."
        ),
        "data-msg-too-many": gettext("Please choose at most %(count)d files.") % {"count": max_files},
        "data-msg-ok": gettext("%(name)s: ready to send"),
        "data-msg-leave-out": gettext("Leave out %(name)s"),
        "data-msg-list": gettext("The files you chose"),
        "data-msg-blocked": gettext("Some of the files you chose cannot be sent. Please leave them out first."),
    })


def _starts_like_accepted_type(upload: UploadedFile) -> bool:
    """The first bytes only (cheap, nothing is decoded): is it a JPEG, PNG, WebP or PDF at all?"""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return sniff_type(head) is not None


class UploadsMixin:
    """Checks the uploaded files and keeps them, sanitised, in `self.cleaned_files`.

    Two steps, because they cost very different amounts: `_check_uploads` (count, size and the
    first bytes, from what the upload handler already holds in memory) runs with the form's own
    validation, and `sanitise_uploads` decodes and cleans the files (reporting.files), which the
    reporter's views call only once the request has passed the honeypot, form age, proof of work
    and rate limits (SPEC §4.4: cheap checks first). `_clean_uploads` does both, for forms whose
    callers need no such gate (a counsellor's upload).

    Every refused file is named in the same answer (one message each), so a reporter learns
    about all of them at once; `files_to_choose_again` names the others, which the page asks
    them to choose again (files are never kept between two answers).
    """

    cleaned_files: list[FileInput]
    refused_files: list[str]

    def _refuse_file(self: Any, name: str, error: ValidationError) -> None:
        self.add_error("files", error)
        self.refused_files.append(name)

    def _check_uploads(self: Any) -> bool:
        """Count, size and first bytes only: nothing is decoded. True when the files may be decoded."""
        self.cleaned_files = []
        self.refused_files = []
        uploads = self.cleaned_data.get("files") or []
        limit_count = settings.REPORT_MAX_FILES
        limit_bytes = settings.REPORT_MAX_FILE_BYTES
        if len(uploads) > limit_count:
            self.add_error("files", ValidationError(
                _("Please choose at most %(count)d files."), code="too_many_files",
                params={"count": limit_count},
            ))
        for upload in uploads:
            if upload.size > limit_bytes:
                self._refuse_file(upload.name, ValidationError(
                    _("A file is larger than %(limit)s: %(name)s. Please choose a smaller file or leave it out."),
                    code="file_too_large", params={"limit": _megabytes(limit_bytes), "name": upload.name},
                ))
            elif not _starts_like_accepted_type(upload):
                self._refuse_file(upload.name, ValidationError(
                    "%(name)s: %(reason)s", code="unsupported_file_type",
                    params={"name": upload.name, "reason": UnsupportedFileType().message},
                ))
        return len(uploads) <= limit_count and not self.refused_files

    def sanitise_uploads(self: Any) -> bool:
        """Decode and clean the checked files into `cleaned_files`; False (with every refused
        file named on the form) when one is refused. Call only after `is_valid()`."""
        self.cleaned_files = []
        self.refused_files = getattr(self, "refused_files", [])
        uploads = self.cleaned_data.get("files") or []
        keep = bool(self.cleaned_data.get("keep_metadata"))
        cleaned: list[FileInput] = []
        for upload in uploads:
            upload.seek(0)
            try:
                clean = sanitise_upload(upload.read(), keep_metadata=keep)
            except UnsupportedFileType as exc:
                self._refuse_file(upload.name, ValidationError(
                    "%(name)s: %(reason)s", code="unsupported_file_type",
                    params={"name": upload.name, "reason": exc.message},
                ))
                continue
            cleaned.append(FileInput(
                name=safe_download_name(upload.name or "", clean.extension),
                content=clean.content, content_type=clean.content_type,
            ))
        if self.refused_files:
            return False
        self.cleaned_files = cleaned
        return True

    def _clean_uploads(self: Any) -> None:
        if self._check_uploads():
            self.sanitise_uploads()

    @property
    def files_to_choose_again(self: Any) -> list[str]:
        """Names of the files that were sent with a refused form and were not refused themselves."""
        if not self.is_bound or not self.files:
            return []
        refused = set(getattr(self, "refused_files", []))
        return [upload.name for upload in self.files.getlist("files") if upload and upload.name not in refused]


def refusal_status(form: forms.Form) -> int:
    """400 for answers to correct, 413 for files that are too large or too many, 415 for types."""
    codes = {error.code for errors in form.errors.as_data().values() for error in errors}
    if codes & TOO_LARGE_CODES:
        return 413
    if codes & UNSUPPORTED_CODES:
        return 415
    return 400

