"""An upload handler for reporters' evidence: in memory only, bounded, never silently lossy.

Django's MemoryFileUploadHandler switches itself off when the whole request is larger than
FILE_UPLOAD_MAX_MEMORY_SIZE, and with no other handler the files are then dropped without a
word: a report with three 5 MB photos would arrive without them. This handler is always on,
keeps at most REPORT_MAX_FILES files of at most REPORT_MAX_FILE_BYTES in memory, and for a file
beyond either limit keeps an empty placeholder whose `size` is the real size (or which is
counted), so that the form can refuse the request with a clear message (413). Nothing is ever
written to disk.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers


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
