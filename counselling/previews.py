"""Inline views of a case's files (issue 19): decrypted on the fly, in memory only.

An image is decoded and encoded again without any metadata (EXIF, XMP, ICC, comments), its
orientation baked in, at most `MAX_EDGE` pixels on its longer side; a PDF's first
`PDF_PAGES` pages are rendered, one below the other, into one PNG with PDFium (pypdfium2) from the bytes in memory. Nothing
is written to a file: the plaintext lives in this process's memory for the one response.
The response carries a sandboxing CSP (`INLINE_CSP`), so even a file a browser would treat as
a document can run nothing and load nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps

from reporting import files

MAX_EDGE = 1600
PDF_PAGES = 3
# PDF pages are rendered so that the longer side of the picture is at most MAX_EDGE pixels.
PDF_MAX_SCALE = 3.0
PAGE_EDGE = 1200
IMAGE_TYPES = (files.JPEG, files.PNG, files.WEBP)
INLINE_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"

# PDFium is not thread-safe: one rendering at a time in this process.
_pdfium_lock = threading.Lock()


class NoPreview(Exception):
    """The file cannot be shown inline (unknown type, damaged, no such page)."""


@dataclass(frozen=True)
class Preview:
    content: bytes
    content_type: str


def previewable(content_type: str) -> bool:
    return content_type in IMAGE_TYPES or content_type == files.PDF


def preview(data: bytes, content_type: str) -> Preview:
    """The picture to show for a decrypted file; raises NoPreview."""
    if content_type in IMAGE_TYPES:
        return _image_preview(data)
    if content_type == files.PDF:
        return _pdf_preview(data)
    raise NoPreview


def _encode(picture: Image.Image, *, photo: bool) -> Preview:
    picture.thumbnail((MAX_EDGE, MAX_EDGE))
    picture.info = {}  # save handlers would copy comments, XMP or ICC profiles from here
    out = BytesIO()
    if photo:
        if picture.mode not in ("L", "RGB"):
            picture = picture.convert("RGB")
        picture.save(out, format="JPEG", quality=88)
        return Preview(out.getvalue(), files.JPEG)
    if picture.mode not in ("1", "L", "P", "RGB", "RGBA"):
        picture = picture.convert("RGBA")
    picture.save(out, format="PNG")
    return Preview(out.getvalue(), files.PNG)


def _image_preview(data: bytes) -> Preview:
    try:
        with Image.open(BytesIO(data)) as source:
            if source.width * source.height > files.MAX_IMAGE_PIXELS:
                raise NoPreview
            source.load()
            photo = source.format == "JPEG"
            picture = ImageOps.exif_transpose(source)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise NoPreview from exc
    return _encode(picture, photo=photo)


def _pdf_preview(data: bytes) -> Preview:
    """The first PDF_PAGES pages, rendered one below the other into one picture."""
    import pypdfium2 as pdfium

    pictures: list[Image.Image] = []
    with _pdfium_lock:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            raise NoPreview from exc
        try:
            for index in range(min(PDF_PAGES, len(document))):
                pdf_page = document[index]
                width, height = pdf_page.get_size()
                if width <= 0 or height <= 0:
                    raise NoPreview
                scale = min(PDF_MAX_SCALE, PAGE_EDGE / max(width, height))
                bitmap = pdf_page.render(scale=scale, may_draw_forms=False)
                pictures.append(bitmap.to_pil().convert("RGB"))  # a copy that outlives the bitmap
        except pdfium.PdfiumError as exc:
            raise NoPreview from exc
        finally:
            document.close()
    if not pictures:
        raise NoPreview
    gap = 16
    sheet = Image.new("RGB", (max(p.width for p in pictures),
                              sum(p.height for p in pictures) + gap * (len(pictures) - 1)), (200, 200, 200))
    top = 0
    for picture in pictures:
        sheet.paste(picture, (0, top))
        top += picture.height + gap
    sheet.info = {}
    out = BytesIO()
    sheet.save(out, format="PNG")
    return Preview(out.getvalue(), files.PNG)
