"""A case file handed to staff, decrypted: as a download or as the inline picture the case page
shows. One way for the page and the API; both check access and open the case keys first. A file
sealed in the reporter's browser that the browser could not clean (a PDF) is cleaned and stored
again the first time it is opened here (reporting.services.sealed_files)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from counselling import previews
from counselling.services import attachment_downloaded, attachment_viewed
from reporting import files
from reporting.blobs import StorageUnavailable
from reporting.crypto import CryptoError
from reporting.models import Attachment
from reporting.services import CaseKeys, ServiceError, attachment_meta, attachment_open
from reporting.services.sealed_files import attachment_clean_on_first_open


@contextmanager
def _store_reachable() -> Iterator[None]:
    """A store that cannot be reached is a calm 503 (`storage_unavailable`) before anything is
    sent or audited, never a broken download or an error page."""
    try:
        yield
    except StorageUnavailable as exc:
        raise ServiceError("storage_unavailable", _(
            "The file store cannot be reached at the moment. Nothing was changed; please try again "
            "in a few minutes.")) from exc


def _unreadable() -> ServiceError:
    return ServiceError("attachment_unreadable", _(
        "This file cannot be opened: it was not encrypted for this report. Nothing was changed."
    ), http_status=422)


def _readable(meta: dict[str, Any]) -> dict[str, Any]:
    """A file sealed in a browser whose metadata does not open under the case key is never
    offered (reporting.services.submission.attachment_meta)."""
    if meta.get("unreadable"):
        raise _unreadable()
    return meta


def _opened(attachment: Attachment, case_key: bytes) -> Iterator[bytes]:
    """The decrypted file with its first segment already read: the store answered, and the
    file opens under the case key (one sealed in a browser may not)."""
    chunks = attachment_open(attachment=attachment, case_key=case_key)
    with _store_reachable():
        try:
            first = next(chunks, None)
        except (CryptoError, ValueError) as exc:
            raise _unreadable() from exc
    return itertools.chain(() if first is None else (first,), chunks)


def download_response(*, actor: Any, attachment: Attachment, keys: CaseKeys) -> StreamingHttpResponse:
    """The file as a download under a safe name (audited); unknown types as octet-stream."""
    with _store_reachable():
        attachment_clean_on_first_open(actor=actor, attachment=attachment, case_key=keys.case_key)
    meta = _readable(attachment_meta(attachment=attachment, case_key=keys.case_key))
    content_type = str(meta.get("content_type", ""))
    extension = files.EXTENSIONS.get(content_type)
    if extension is None:
        content_type, name = "application/octet-stream", "attachment.bin"
    else:
        name = files.safe_download_name(str(meta.get("name", "")), extension)
    content = _opened(attachment, keys.case_key)
    attachment_downloaded(actor=actor, attachment=attachment)
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    if meta.get("size") is not None:
        response["Content-Length"] = str(int(meta["size"]))
    return response


def inline_response(*, actor: Any, attachment: Attachment, keys: CaseKeys) -> HttpResponse | None:
    """The picture shown inline (an image without its metadata, a PDF's first pages; audited),
    or None for a file that has none."""
    with _store_reachable():
        attachment_clean_on_first_open(actor=actor, attachment=attachment, case_key=keys.case_key)
    content_type = str(_readable(attachment_meta(attachment=attachment, case_key=keys.case_key)).get("content_type", ""))
    if not previews.previewable(content_type):
        return None
    with _store_reachable():
        try:
            data = b"".join(attachment_open(attachment=attachment, case_key=keys.case_key))
        except (CryptoError, ValueError) as exc:
            raise _unreadable() from exc
    try:
        shown = previews.preview(data, content_type)
    except previews.NoPreview:
        return None
    finally:
        del data
    attachment_viewed(actor=actor, attachment=attachment)
    response = HttpResponse(shown.content, content_type=shown.content_type)
    response["Content-Security-Policy"] = previews.INLINE_CSP
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
