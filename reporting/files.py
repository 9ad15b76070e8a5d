"""Sanitising of evidence uploaded by anonymous reporters.

Photos and PDFs uploaded with a report can betray the reporter: a phone photo
carries GPS coordinates, the device model and sometimes the owner's name, a PDF
carries the author and the software it was made with. Everything a reporter
uploads therefore passes through :func:`sanitise_upload`, which

* decides the file type from the content alone (magic bytes, then a full decode
  with Pillow or a parse with pypdf) - names and client-sent content types are
  under the uploader's control and are ignored;
* re-encodes images from their pixels only, so that EXIF (including GPS), XMP,
  ICC profiles and comments cannot survive;
* rewrites PDFs page by page without the document information dictionary and
  without XMP metadata streams;
* refuses anything it cannot fully read with :class:`UnsupportedFileType`.

All work happens in memory: the uploaded plaintext must never touch the disk.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    PdfObject,
    StreamObject,
)

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
PDF = "application/pdf"

EXTENSIONS: dict[str, str] = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf"}

# Far above what a phone takes in its default mode (12-24 MP), far below what
# would let a single upload eat gigabytes of RAM once decoded (RGBA: 4 B/px).
MAX_IMAGE_PIXELS = 50_000_000

# Longest stem (without extension) that safe_download_name keeps.
MAX_NAME_STEM = 80

# Pillow format names to try for each sniffed type. Restricting Image.open to
# one plugin keeps a crafted file from being routed to a less hardened decoder.
_PIL_FORMATS: dict[str, tuple[str, ...]] = {
    JPEG: ("JPEG",),
    PNG: ("PNG",),
    WEBP: ("WEBP",),
}
# Pillow reports JPEGs from some cameras (multi-picture format) as "MPO"; the
# first frame is an ordinary JPEG and is what we keep.
_ACCEPTED_PIL_FORMATS: dict[str, frozenset[str]] = {
    JPEG: frozenset({"JPEG", "MPO"}),
    PNG: frozenset({"PNG"}),
    WEBP: frozenset({"WEBP"}),
}

# Keys that carry metadata on any PDF dictionary (catalog, pages, images...):
# /Metadata holds XMP, /PieceInfo holds private application data (e.g. the
# Illustrator/Photoshop source, often with author and file paths).
_PDF_METADATA_KEYS = ("/Metadata", "/PieceInfo")
# Image streams that are plain JPEG files (filter chains are left alone).
_DCT_FILTERS = ("/DCTDecode", ["/DCTDecode"])

# Device names that Windows refuses as file names, whatever the extension.
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)


class UnsupportedFileType(Exception):
    """The upload is not a JPEG, PNG, WebP or PDF that we can read completely.

    ``message`` is a lazy translation meant to be shown to the reporter.
    """

    default_message: Any = _(
        "This file type is not accepted. Please upload a photo (JPEG, PNG, WebP) or a PDF."
    )

    def __init__(self, message: Any = None) -> None:
        # Compare with None: truth-testing a lazy string would force a
        # translation, which fails when Django settings are not loaded.
        self.message = self.default_message if message is None else message
        super().__init__(self.message)


class DamagedFile(UnsupportedFileType):
    """The upload looks like an accepted type but cannot be read (truncated,
    corrupt, encrypted PDF...)."""

    default_message: Any = _("This file seems to be damaged and could not be read.")


class ImageTooLarge(UnsupportedFileType):
    """The image has more pixels than we are willing to decode."""

    default_message: Any = _(
        "This image is too large. Please upload a photo with at most 50 megapixels."
    )


@dataclass(frozen=True)
class SanitisedFile:
    content: bytes
    content_type: str  # "image/jpeg" | "image/png" | "image/webp" | "application/pdf"
    extension: str  # ".jpg" | ".png" | ".webp" | ".pdf"


def sniff_type(data: bytes) -> str | None:
    """Return the content type indicated by the magic bytes, or ``None``.

    This is only the first gate: :func:`sanitise_upload` also decodes the data.
    """
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    # The PDF spec tolerates junk before the header, but readers that honour
    # that are exactly what polyglot files abuse; real PDFs start with it.
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def sanitise_upload(data: bytes, *, keep_metadata: bool = False) -> SanitisedFile:
    """Validate ``data`` by content and return it without metadata.

    With ``keep_metadata=True`` (the reporter explicitly asked to keep the
    original as evidence) the original bytes are returned unchanged, but only
    after the same full validation.

    Raises :class:`UnsupportedFileType` (or its subclasses :class:`DamagedFile`
    and :class:`ImageTooLarge`) for anything else; no other exception escapes
    for any input.
    """
    content_type = sniff_type(data)
    if content_type is None:
        raise UnsupportedFileType()

    if content_type == PDF:
        cleaned = _process_pdf(data, rewrite=not keep_metadata)
    else:
        cleaned = _process_image(data, content_type, rewrite=not keep_metadata)

    return SanitisedFile(
        content=data if keep_metadata else cleaned,
        content_type=content_type,
        extension=EXTENSIONS[content_type],
    )


def safe_download_name(original_name: str, extension: str) -> str:
    """Build a harmless file name for downloads of a sanitised upload.

    Keeps a readable stem of the reporter's file name (without directories,
    control and formatting characters, quotes and characters Windows forbids,
    at most 80 characters) and appends ``extension``, the extension that
    belongs to the real content type, replacing whatever extension the name
    claimed.
    """
    if extension not in EXTENSIONS.values():
        raise ValueError(f"unexpected extension {extension!r}")

    name = unicodedata.normalize("NFC", original_name or "")
    # Both separators: names from Windows browsers may contain backslashes.
    name = re.split(r"[/\\]", name)[-1]
    # Drop control characters, but also format characters such as U+202E
    # (right-to-left override), which can make "gpj.exe" display as "exe.jpg".
    name = "".join(
        ch
        for ch in name
        if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
    )
    # Quotes and these separators break Content-Disposition headers and shell
    # commands that staff might paste the name into; <>:|?* are illegal on Windows.
    name = re.sub(r"[\"'`;,]", "", name)
    name = re.sub(r"[<>:|?*]", "_", name)
    name = re.sub(r"\s+", " ", name).strip()

    stem, dot, suffix = name.rpartition(".")
    # Only a suffix that looks like a file extension is dropped, so that a
    # name like "Vorfall 12.03.2025" keeps its date.
    if dot and re.fullmatch(r"[A-Za-z0-9]{1,5}", suffix) and re.search(r"[A-Za-z]", suffix):
        name = stem

    # Leading dots would make the file hidden (and ".." a parent reference);
    # Windows silently drops trailing dots and spaces.
    name = name.lstrip(". ")
    name = name[:MAX_NAME_STEM].rstrip(". ")
    if not name:
        name = "upload"
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = f"_{name}"
    return f"{name}{extension}"


def _process_image(data: bytes, content_type: str, *, rewrite: bool) -> bytes:
    """Decode the image completely; if ``rewrite``, return it re-encoded from pixels."""
    # catch_warnings swaps the process-wide filter list; in a threaded server
    # another thread's filters can be briefly affected, which is harmless here.
    with warnings.catch_warnings():
        # Pillow warns about malformed metadata that we throw away anyway; a
        # warning must not decide acceptance (under ``-W error`` it would).
        warnings.simplefilter("ignore")
        # Pillow only warns between 1x and 2x its own global limit. Treat that
        # as refusal too, without touching Image.MAX_IMAGE_PIXELS globally.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return _decode_and_encode(data, content_type, rewrite=rewrite)
        except UnsupportedFileType:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageTooLarge() from exc
        # Pillow's plugins raise a zoo of exceptions on hostile input (OSError,
        # SyntaxError, EOFError, struct.error, IndexError, MemoryError...). Any
        # failure means we cannot vouch for the file, so all of them refuse it.
        except Exception as exc:
            raise DamagedFile() from exc


def _decode_and_encode(data: bytes, content_type: str, *, rewrite: bool) -> bytes:
    with Image.open(BytesIO(data), formats=_PIL_FORMATS[content_type]) as img:
        if img.format not in _ACCEPTED_PIL_FORMATS[content_type]:
            raise UnsupportedFileType()
        width, height = img.size
        if width < 1 or height < 1:
            raise DamagedFile()
        # Checked before load(): the header is cheap to read, the pixels are not.
        if width * height > MAX_IMAGE_PIXELS:
            raise ImageTooLarge()
        # Decodes the first frame completely; truncated data raises here.
        img.load()
        if not rewrite:
            return data

        icc_profile = img.info.get("icc_profile")
        transparency = img.info.get("transparency")
        # Bake the orientation into the pixels, since the EXIF tag that
        # carried it is about to go.
        pixels = ImageOps.exif_transpose(img)

    pixels = _to_srgb(pixels, icc_profile)
    # Only pixels (and a palette) may survive: save handlers read metadata
    # such as comments, XMP and ICC profiles from Image.info as a fallback.
    pixels.info = {}

    out = BytesIO()
    if content_type == JPEG:
        if pixels.mode not in ("L", "RGB"):
            pixels = pixels.convert("RGB")
        pixels.save(out, format="JPEG", quality=90, optimize=True)
    elif content_type == PNG:
        params: dict[str, Any] = {"optimize": True}
        if transparency is not None and pixels.mode in ("1", "L", "I", "I;16", "P", "RGB"):
            params["transparency"] = transparency
        pixels.save(out, format="PNG", **params)
    else:
        if pixels.mode not in ("RGB", "RGBA"):
            pixels = pixels.convert("RGBA" if "A" in pixels.getbands() else "RGB")
        # Re-encoding screenshots lossily would blur text that may matter as evidence.
        if _webp_is_lossless(data):
            pixels.save(out, format="WEBP", lossless=True)
        else:
            pixels.save(out, format="WEBP", quality=90)
    return out.getvalue()


def _to_srgb(img: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Convert colours to sRGB so the embedded profile can be dropped.

    Phone photos are often Display P3; dropping the profile without
    converting would visibly wash out the colours.
    """
    if not icc_profile or img.mode not in ("RGB", "RGBA", "CMYK"):
        return img
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(icc_profile))
        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        output_mode = "RGB" if img.mode == "CMYK" else img.mode
        converted = ImageCms.profileToProfile(img, source, srgb, outputMode=output_mode)
    # A broken profile is no reason to refuse a readable photo; the colours
    # are then merely approximate.
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return img
    return converted if converted is not None else img


def _webp_is_lossless(data: bytes) -> bool:
    """Whether a WebP's (first) image is stored losslessly (a ``VP8L`` chunk)."""
    offset = 12
    while offset + 8 <= len(data):
        fourcc = data[offset : offset + 4]
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        if fourcc == b"VP8L":
            return True
        if fourcc == b"VP8 ":
            return False
        if fourcc == b"ANMF":
            # Animation frames nest their image chunks after a 16-byte frame
            # header; continuing there reads the first frame's chunks.
            offset += 8 + 16
            continue
        offset += 8 + size + (size & 1)
    return False


def _process_pdf(data: bytes, *, rewrite: bool) -> bytes:
    """Parse the PDF completely; if ``rewrite``, return it without metadata."""
    with warnings.catch_warnings():
        # pypdf warns about the many small defects of real-world PDFs and
        # repairs them; those warnings must not decide acceptance.
        warnings.simplefilter("ignore")
        try:
            return _rewrite_pdf(data, rewrite=rewrite)
        except UnsupportedFileType:
            raise
        # Like Pillow, pypdf raises many exception types (PdfReadError,
        # KeyError, RecursionError on cyclic structures...) on hostile input.
        except Exception as exc:
            raise DamagedFile() from exc


def _rewrite_pdf(data: bytes, *, rewrite: bool) -> bytes:
    reader = PdfReader(BytesIO(data))
    # Encrypted PDFs can be neither inspected nor stripped.
    if reader.is_encrypted:
        raise DamagedFile()
    # Walking the page tree resolves every page dictionary, so broken or
    # cyclic page trees are caught now and not when staff open the file.
    # Content streams are deliberately not decoded: pypdf caches decoded
    # streams, and a small PDF can hold many highly compressed ones.
    if sum(1 for _page in reader.pages) < 1:
        raise DamagedFile()
    if not rewrite:
        return data

    # Stripped in the reader's objects before copying, so the metadata objects
    # are never copied at all (the writer would keep them as orphans). The
    # page objects are listed separately: reader.pages holds copies of the
    # page dictionaries, and those copies are what the writer copies.
    _strip_pdf_metadata([reader.root_object, *reader.pages])
    # A new document that receives only the pages (and outline) leaves the
    # information dictionary, catalog-level XMP, earlier incremental-update
    # revisions and the original file identifier behind.
    writer = PdfWriter()
    writer.append(reader)
    # pypdf adds its own /Producer; an empty document info is cleanest.
    writer.metadata = None

    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _strip_pdf_metadata(roots: list[PdfObject]) -> None:
    """Remove XMP and private application data from every reachable dictionary.

    XMP streams are not only attached to the catalog but also to pages, images
    and fonts, where a photo's XMP (camera, GPS) typically ends up. Photos
    embedded as JPEG streams also carry their EXIF inside the stream itself.
    """
    # Values keep the visited objects alive, so that their ids stay unique.
    seen: dict[int, PdfObject] = {}
    stack: list[PdfObject | None] = list(roots)
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            obj = obj.get_object()
        if obj is None or id(obj) in seen:
            continue
        seen[id(obj)] = obj
        if isinstance(obj, DictionaryObject):
            for key in _PDF_METADATA_KEYS:
                if key in obj:
                    del obj[key]
            if isinstance(obj, StreamObject) and obj.get("/Filter") in _DCT_FILTERS:
                _strip_embedded_jpeg(obj)
            # Pages point back to their parent; following /Parent only
            # revisits what we came from.
            stack.extend(value for key, value in obj.items() if key != "/Parent")
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


def _strip_embedded_jpeg(stream: StreamObject) -> None:
    # pypdf has no public way to replace the data of a stream whose filter
    # it cannot encode; _data is the raw (here: JPEG) stream content.
    stripped = _strip_jpeg_segments(stream._data)
    if stripped is not None:
        stream._data = stripped


def _strip_jpeg_segments(data: bytes) -> bytes | None:
    """Drop metadata segments (APP1-APP15 except Adobe and ICC, COM) from a JPEG.

    Works on the marker segments before the first scan without re-encoding,
    so the image inside the PDF stays bit-identical. Returns ``None`` if the
    data does not parse as a JPEG; it is then left as it is, since viewers
    will not display it either.
    """
    if not data.startswith(b"\xff\xd8"):
        return None
    parts = [b"\xff\xd8"]
    pos = 2
    while pos + 2 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is entropy-coded image data
            parts.append(data[pos:])
            return b"".join(parts)
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            parts.append(data[pos : pos + 2])
            pos += 2
            continue
        if pos + 4 > len(data):
            return None
        end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if end < pos + 4 or end > len(data):
            return None
        segment = data[pos:end]
        # APP14 "Adobe" says how to interpret the colour channels and ICC
        # profiles (APP2) are needed for correct colours; both are harmless.
        is_metadata = (0xE1 <= marker <= 0xEF and marker != 0xEE) or marker == 0xFE
        if marker == 0xE2 and segment[4:16] == b"ICC_PROFILE\0":
            is_metadata = False
        if not is_metadata:
            parts.append(segment)
        pos = end
    return None
