"""Sanitising of evidence uploaded by anonymous reporters.

Photos and PDFs uploaded with a report can betray the reporter: a phone photo
carries GPS coordinates, the device model and sometimes the owner's name, a PDF
carries the author and the software it was made with. Everything a reporter
uploads therefore passes through :func:`sanitise_upload`, which

* decides the file type from the content alone (magic bytes, then a full decode
  with Pillow or a parse with pypdf) - names and client-sent content types are
  under the uploader's control and are ignored;
* refuses images whose header promises more pixels than the budget, or far more
  pixels than the file size can honestly hold (a decompression bomb), before a
  single pixel is decoded;
* re-encodes images from their pixels only, so that EXIF (including GPS), XMP,
  ICC profiles and comments cannot survive;
* rebuilds PDFs from an allow-list (:class:`_PdfRebuild`): page contents,
  fonts, images, boxes and plain web links are carried over, nothing else -
  no JavaScript, actions, embedded files, forms, annotations or their authors,
  XMP or document information;
* refuses anything it cannot fully read with :class:`UnsupportedFileType`.

All work happens in memory: the uploaded plaintext must never touch the disk.
Callers decide first whether a request deserves this work at all (proof of
work, rate limits: reporting.views, reporting.api_views).
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
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ByteStringObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
PDF = "application/pdf"

EXTENSIONS: dict[str, str] = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf"}

# Far above what a phone takes in its default mode (12-24 MP), far below what
# would let a single upload eat gigabytes of RAM once decoded (RGBA: 4 B/px).
MAX_IMAGE_PIXELS = 50_000_000
# A decompression bomb is small on the wire and huge in memory (a 7000x7000 PNG
# of one colour is 185 KiB and 147 MB decoded). Above this size an image must not
# unpack to more than MAX_COMPRESSION_RATIO times its file size: photos are about
# 10:1, flat screenshots and scans of paper rarely reach 100:1. Smaller images
# are cheap to decode whatever their ratio.
RATIO_FREE_PIXELS = 16_000_000
MAX_COMPRESSION_RATIO = 200
# PNG's "optimize" tries every filter and compression level: worth it for a
# screenshot, seconds of CPU for a large scan. Above this the default is used.
PNG_OPTIMIZE_MAX_PIXELS = 4_000_000
# Bounds on the PDF rebuild, so that a small hostile file cannot keep a worker
# busy: pages and objects copied (fonts, images, content streams...).
MAX_PDF_PAGES = 2_000
MAX_PDF_OBJECTS = 200_000

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


class ImageTooCompressed(ImageTooLarge):
    """The header promises far more pixels than the file size can honestly hold."""

    default_message: Any = _(
        "This image would take far more memory to open than its file size suggests, so we did "
        "not open it. Please send it as a photo (JPEG) or as a smaller screenshot."
    )


class PdfNotRebuilt(UnsupportedFileType):
    """The PDF could be read, but not rebuilt from the parts we keep (encrypted,
    too large or too unusual): it is refused rather than stored as it came."""

    default_message: Any = _(
        "We could not clean this PDF safely, so we did not accept it. You can send a photo or "
        "a screenshot of its pages instead."
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
    original as evidence) images are returned unchanged, but only after the same
    full validation. PDFs are rebuilt all the same - active content is never
    kept, whatever the reporter chose - and keep only their document metadata
    (information dictionary, XMP) and the photos inside them as they were.

    Raises :class:`UnsupportedFileType` (or its subclasses :class:`DamagedFile`
    and :class:`ImageTooLarge`) for anything else; no other exception escapes
    for any input.
    """
    content_type = sniff_type(data)
    if content_type is None:
        raise UnsupportedFileType()

    if content_type == PDF:
        return SanitisedFile(
            content=_process_pdf(data, keep_metadata=keep_metadata),
            content_type=PDF, extension=EXTENSIONS[PDF],
        )
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
        unpacked = width * height * len(img.getbands())
        if width * height > RATIO_FREE_PIXELS and unpacked > MAX_COMPRESSION_RATIO * len(data):
            raise ImageTooCompressed()
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
        params: dict[str, Any] = {"optimize": pixels.width * pixels.height <= PNG_OPTIMIZE_MAX_PIXELS}
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


def _process_pdf(data: bytes, *, keep_metadata: bool) -> bytes:
    """Parse the PDF completely and rebuild it from the allow-list (:class:`_PdfRebuild`)."""
    with warnings.catch_warnings():
        # pypdf warns about the many small defects of real-world PDFs and
        # repairs them; those warnings must not decide acceptance.
        warnings.simplefilter("ignore")
        try:
            reader = PdfReader(BytesIO(data))
            encrypted = reader.is_encrypted
            # Walking the page tree resolves every page dictionary, so broken or
            # cyclic page trees are caught now and not when staff open the file.
            # Content streams are deliberately not decoded: pypdf caches decoded
            # streams, and a small PDF can hold many highly compressed ones.
            pages = [] if encrypted else list(reader.pages)
        # Like Pillow, pypdf raises many exception types (PdfReadError,
        # KeyError, RecursionError on cyclic structures...) on hostile input.
        except Exception as exc:
            raise DamagedFile() from exc
        # Encrypted PDFs can be neither inspected nor rebuilt.
        if encrypted:
            raise PdfNotRebuilt()
        if not pages:
            raise DamagedFile()
        if len(pages) > MAX_PDF_PAGES:
            raise PdfNotRebuilt()
        try:
            return _PdfRebuild(reader, keep_metadata=keep_metadata).build(pages)
        except UnsupportedFileType:
            raise
        # Whatever went wrong, the file is not stored as it came (SPEC §4.4).
        except Exception as exc:
            raise PdfNotRebuilt() from exc


# What a rebuilt page may have. Everything else on the page dictionary goes: /AA
# (page open/close actions), /Annots (rebuilt separately, links only), /Metadata,
# /PieceInfo, /LastModified, /Thumb, /B (article beads), /StructParents, /Trans...
_PDF_BOXES = ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox")
# Resource categories a content stream can name. /Properties (marked content, e.g.
# layers) is kept so that layered drawings still render; its entries pass through
# the same key allow-list (a layer's /Usage, which can name its creator, does not).
_PDF_RESOURCE_CATEGORIES = (
    "/Font", "/XObject", "/ExtGState", "/ColorSpace", "/Pattern", "/Shading", "/Properties",
)
# Every key that the dictionaries below a page's resources need to be drawn: fonts
# and font descriptors, CMaps, images and form XObjects, graphics states and soft
# masks, colour spaces, functions, patterns, shadings, halftones, optional content,
# filter parameters. One union list, kept deliberately free of the keys that carry
# behaviour or other files: actions (/A, /AA, /JS, /OpenAction, /URI), file
# specifications and external data (/F, /FS, /EF, /FFilter, /Ref, /OPI), /Names,
# /AcroForm and /XFA, annotations (/Annots, /Popup, /T, /Contents), structure
# (/Parent, /Kids, /StructParent, /P on annotations), /Metadata and /PieceInfo.
_PDF_RENDER_KEYS = frozenset({
    # any object
    "/Type", "/Subtype", "/Name", "/Filter", "/DecodeParms",
    # filter parameters
    "/Predictor", "/Colors", "/BitsPerComponent", "/Columns", "/EarlyChange", "/K",
    "/EncodedByteAlign", "/Rows", "/EndOfBlock", "/EndOfLine", "/BlackIs1",
    "/DamagedRowsBeforeError", "/ColorTransform", "/JBIG2Globals",
    # form XObjects and transparency groups
    "/FormType", "/BBox", "/Matrix", "/Resources", "/Group", "/OC", "/S", "/CS", "/I",
    # images
    "/Width", "/Height", "/ColorSpace", "/Intent", "/ImageMask", "/Mask", "/Decode",
    "/Interpolate", "/SMask", "/SMaskInData", "/Matte",
    # fonts, font descriptors, CMaps
    "/BaseFont", "/FirstChar", "/LastChar", "/Widths", "/FontDescriptor", "/Encoding",
    "/BaseEncoding", "/Differences", "/ToUnicode", "/DescendantFonts", "/CIDSystemInfo",
    "/Registry", "/Ordering", "/Supplement", "/DW", "/W", "/DW2", "/W2", "/CIDToGIDMap",
    "/FontBBox", "/FontMatrix", "/CharProcs", "/FontName", "/FontFamily", "/FontStretch",
    "/FontWeight", "/Flags", "/ItalicAngle", "/Ascent", "/Descent", "/Leading", "/CapHeight",
    "/XHeight", "/StemV", "/StemH", "/AvgWidth", "/MaxWidth", "/MissingWidth", "/FontFile",
    "/FontFile2", "/FontFile3", "/CharSet", "/Style", "/Lang", "/FD", "/CIDSet", "/Length1",
    "/Length2", "/Length3", "/CMapName", "/WMode", "/UseCMap",
    # graphics states and soft masks
    "/LW", "/LC", "/LJ", "/ML", "/D", "/RI", "/OP", "/op", "/OPM", "/Font", "/BG", "/BG2",
    "/UCR", "/UCR2", "/TR", "/TR2", "/HT", "/FL", "/SM", "/SA", "/BM", "/CA", "/ca", "/AIS",
    "/TK", "/UseBlackPtComp", "/HTO", "/G", "/BC",
    # halftones
    "/HalftoneType", "/Frequency", "/Angle", "/SpotFunction", "/AccurateScreens",
    "/TransferFunction", "/Xsquare", "/Ysquare",
    # colour spaces
    "/WhitePoint", "/BlackPoint", "/Gamma", "/Range", "/N", "/Alternate", "/Colorants",
    "/Process", "/Components", "/MixingHints", "/Solidities", "/DotGain", "/PrintingOrder",
    # functions
    "/FunctionType", "/Domain", "/Size", "/BitsPerSample", "/Order", "/Encode", "/C0", "/C1",
    "/Functions", "/Bounds",
    # patterns and shadings
    "/PatternType", "/PaintType", "/TilingType", "/XStep", "/YStep", "/Shading", "/ExtGState",
    "/ShadingType", "/Background", "/AntiAlias", "/Coords", "/Function", "/Extend",
    "/BitsPerCoordinate", "/BitsPerFlag", "/VerticesPerRow",
    # optional content (layers) and their membership
    "/OCGs", "/P", "/VE",
})
# A dictionary that says what it is must be one of these; a page, the catalog, an
# annotation, an action, a file specification or an embedded file reached through
# some odd reference is replaced by null, whatever keys it has.
_PDF_RENDER_TYPES = frozenset({
    "/Font", "/FontDescriptor", "/XObject", "/ExtGState", "/Pattern", "/Shading", "/Encoding",
    "/CMap", "/Halftone", "/Group", "/Mask", "/OCG", "/OCMD",
})
# PostScript XObjects run PostScript on printers that honour them.
_PDF_REFUSED_SUBTYPES = frozenset({"/PS"})
# The document information a reporter may keep (SPEC §4.3), as text only.
_PDF_INFO_KEYS = (
    "/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/Producer", "/CreationDate",
    "/ModDate",
)
_PDF_LINK_SCHEMES = ("http://", "https://", "mailto:")
_PDF_MAX_LINK_LENGTH = 2048
_PDF_MAX_DEPTH = 64
_PDF_PRIMITIVES = (
    NameObject, NumberObject, FloatObject, BooleanObject, NullObject, TextStringObject,
    ByteStringObject,
)


def _resolved(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _raw(dictionary: DictionaryObject, key: str) -> Any:
    """The value as stored (an IndirectObject stays one), or None."""
    return dictionary.raw_get(key) if key in dictionary else None


def _numbers(value: Any, count: int) -> ArrayObject | None:
    value = _resolved(value)
    if not isinstance(value, ArrayObject) or len(value) != count:
        return None
    items = [_resolved(item) for item in value]
    if not all(isinstance(item, NumberObject | FloatObject) for item in items):
        return None
    return ArrayObject(FloatObject(float(item)) for item in items)


class _PdfRebuild:
    """A new PDF that receives, page by page, only what the allow-lists name.

    Nothing is copied wholesale and then cleaned: the page dictionary is built from
    its boxes, rotation, resources and content streams; the resources from the
    categories a content stream can use, each entry through the key and type
    allow-lists above; annotations only as new plain links (http, https, mailto)
    with a rectangle. The catalog holds nothing but the pages, so there is no
    /OpenAction, /Names (JavaScript, embedded files), /AcroForm (forms, XFA),
    outline or structure tree. Streams are copied as they are stored (never
    decoded), JPEG images without their metadata segments.

    Why pypdf rather than pikepdf (qpdf): the safety here comes from this
    allow-list, not from the library; pypdf only parses and writes. It is already
    pinned, pure Python (no native parser meets hostile input in the web process),
    and copies raw streams without decoding them. pikepdf would repair more broken
    files and run faster, but would add a native dependency and keep nothing less.
    """

    def __init__(self, reader: PdfReader, *, keep_metadata: bool) -> None:
        self.reader = reader
        self.keep_metadata = keep_metadata
        self.writer = PdfWriter()
        # Source object (number, generation) -> its copy, so shared fonts and images
        # are copied once and reference cycles end.
        self.copies: dict[tuple[int, int], PdfObject] = {}
        self.resource_copies: dict[tuple[int, int], DictionaryObject] = {}
        self.budget = MAX_PDF_OBJECTS

    def build(self, pages: list[PageObject]) -> bytes:
        for source in pages:
            self.writer.add_page(self._page(source))
        # pypdf starts every document with its own /Producer; no information at all
        # unless the reporter keeps the original's.
        self.writer.metadata = None
        if self.keep_metadata:
            self._document_metadata()
        out = BytesIO()
        self.writer.write(out)
        return out.getvalue()

    # ---- pages

    def _page(self, source: PageObject) -> PageObject:
        page = PageObject()
        page[NameObject("/Type")] = NameObject("/Page")
        for box in _PDF_BOXES:
            numbers = _numbers(_raw(source, box), 4)
            if numbers is not None:
                page[NameObject(box)] = numbers
        if "/MediaBox" not in page:
            raise PdfNotRebuilt()
        rotate = _resolved(_raw(source, "/Rotate"))
        if isinstance(rotate, NumberObject) and int(rotate) % 90 == 0:
            page[NameObject("/Rotate")] = NumberObject(int(rotate) % 360)
        unit = _resolved(_raw(source, "/UserUnit"))
        if isinstance(unit, NumberObject | FloatObject):
            page[NameObject("/UserUnit")] = FloatObject(float(unit))
        page[NameObject("/Resources")] = self._resources(_raw(source, "/Resources"), depth=1)
        contents = self._contents(_raw(source, "/Contents"))
        if contents is not None:
            page[NameObject("/Contents")] = contents
        group = _raw(source, "/Group")
        if group is not None:
            page[NameObject("/Group")] = self._value(group, depth=1)
        links = self._links(_raw(source, "/Annots"))
        if links:
            page[NameObject("/Annots")] = ArrayObject(links)
        return page

    def _contents(self, raw: Any) -> PdfObject | None:
        value = _resolved(raw)
        streams = value if isinstance(value, ArrayObject) else [raw]
        copied = ArrayObject()
        for item in streams:
            if isinstance(_resolved(item), StreamObject):
                copied.append(self._value(item, depth=1))
        if not copied:
            return None
        return copied[0] if len(copied) == 1 else copied

    def _links(self, raw: Any) -> list[PdfObject]:
        """New link annotations for plain web and mail links; every other annotation
        (widgets, file attachments, comments with their authors, pop-ups...) goes."""
        annotations = _resolved(raw)
        if not isinstance(annotations, ArrayObject):
            return []
        links: list[PdfObject] = []
        for item in annotations:
            annotation = _resolved(item)
            if not isinstance(annotation, DictionaryObject) or annotation.get("/Subtype") != "/Link":
                continue
            rect = _numbers(_raw(annotation, "/Rect"), 4)
            action = _resolved(_raw(annotation, "/A"))
            if rect is None or not isinstance(action, DictionaryObject) or action.get("/S") != "/URI":
                continue
            uri = _resolved(_raw(action, "/URI"))
            if not isinstance(uri, TextStringObject | ByteStringObject):
                continue
            target = uri.decode("latin-1") if isinstance(uri, bytes) else str(uri)
            if (
                len(target) > _PDF_MAX_LINK_LENGTH
                or not target.isascii()
                or not target.isprintable()
                or not target.lower().startswith(_PDF_LINK_SCHEMES)
            ):
                continue
            link = DictionaryObject({
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): rect,
                NameObject("/Border"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(0)]),
                NameObject("/A"): DictionaryObject({
                    NameObject("/Type"): NameObject("/Action"),
                    NameObject("/S"): NameObject("/URI"),
                    NameObject("/URI"): TextStringObject(target),
                }),
            })
            links.append(self._add(link))
        return links

    # ---- resources and what they reference

    def _resources(self, raw: Any, *, depth: int) -> DictionaryObject:
        if isinstance(raw, IndirectObject):
            key = (raw.idnum, raw.generation)
            if key in self.resource_copies:
                return self.resource_copies[key]
        source = _resolved(raw)
        resources = DictionaryObject()
        if isinstance(raw, IndirectObject):
            self.resource_copies[(raw.idnum, raw.generation)] = resources
        if not isinstance(source, DictionaryObject):
            return resources
        for category in _PDF_RESOURCE_CATEGORIES:
            entries = _resolved(_raw(source, category))
            if not isinstance(entries, DictionaryObject):
                continue
            copied = DictionaryObject()
            for name, value in entries.items():
                copied[NameObject(name)] = self._value(value, depth=depth + 1)
            resources[NameObject(category)] = copied
        return resources

    def _value(self, value: Any, *, depth: int) -> PdfObject:
        if depth > _PDF_MAX_DEPTH:
            raise PdfNotRebuilt()
        if isinstance(value, IndirectObject):
            return self._indirect(value, depth=depth)
        if isinstance(value, StreamObject):
            stream = StreamObject()
            reference = self._add(stream)
            self._fill_stream(value, stream, depth=depth)
            return reference
        if isinstance(value, DictionaryObject):
            if not self._allowed(value):
                return NullObject()
            dictionary = DictionaryObject()
            self._fill_dictionary(value, dictionary, depth=depth)
            return dictionary
        if isinstance(value, ArrayObject):
            return ArrayObject(self._value(item, depth=depth + 1) for item in value)
        if isinstance(value, _PDF_PRIMITIVES):
            return value
        return NullObject()

    def _indirect(self, reference: IndirectObject, *, depth: int) -> PdfObject:
        key = (reference.idnum, reference.generation)
        if key in self.copies:
            return self.copies[key]
        target = reference.get_object()
        copy: PdfObject
        if isinstance(target, StreamObject):
            if not self._allowed(target):
                copy = self.copies[key] = NullObject()
                return copy
            stream = StreamObject()
            copy = self.copies[key] = self._add(stream)
            self._fill_stream(target, stream, depth=depth)
        elif isinstance(target, DictionaryObject):
            if not self._allowed(target):
                copy = self.copies[key] = NullObject()
                return copy
            dictionary = DictionaryObject()
            copy = self.copies[key] = self._add(dictionary)
            self._fill_dictionary(target, dictionary, depth=depth)
        elif isinstance(target, ArrayObject):
            array = ArrayObject()
            copy = self.copies[key] = self._add(array)
            array.extend(self._value(item, depth=depth + 1) for item in target)
        else:
            copy = self.copies[key] = self._value(target, depth=depth + 1)
        return copy

    def _allowed(self, dictionary: DictionaryObject) -> bool:
        kind = _resolved(_raw(dictionary, "/Type"))
        subtype = _resolved(_raw(dictionary, "/Subtype"))
        if kind is not None and kind not in _PDF_RENDER_TYPES:
            return False
        return subtype not in _PDF_REFUSED_SUBTYPES

    def _fill_dictionary(self, source: DictionaryObject, target: DictionaryObject, *, depth: int) -> None:
        for key, value in source.items():
            if key == "/Resources":
                target[NameObject(key)] = self._resources(value, depth=depth + 1)
            elif key in _PDF_RENDER_KEYS:
                target[NameObject(key)] = self._value(value, depth=depth + 1)

    def _fill_stream(self, source: StreamObject, target: StreamObject, *, depth: int) -> None:
        self._fill_dictionary(source, target, depth=depth)
        # The data as stored, under the filters just copied: nothing is decoded.
        # (pypdf has no public way to set the raw data of a stream whose filter it
        # cannot encode; _data is the stored content.)
        data = source._data
        if not self.keep_metadata and source.get("/Filter") in _DCT_FILTERS:
            data = _strip_jpeg_segments(data) or data
        target._data = data

    def _add(self, obj: PdfObject) -> IndirectObject:
        self.budget -= 1
        if self.budget < 0:
            raise PdfNotRebuilt()
        # pypdf has no public "add this new object"; _add_object is what its own
        # page and annotation helpers use (pinned version, see pyproject.toml).
        return self.writer._add_object(obj)

    # ---- what "keep the original" keeps

    def _document_metadata(self) -> None:
        """The information dictionary (as text) and the catalog's XMP packet."""
        info = _resolved(_raw(self.reader.trailer, "/Info"))
        if isinstance(info, DictionaryObject):
            kept = {}
            for key in _PDF_INFO_KEYS:
                value = _resolved(_raw(info, key))
                if isinstance(value, TextStringObject | ByteStringObject):
                    kept[key] = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            if kept:
                self.writer.add_metadata(kept)
        xmp = _resolved(_raw(self.reader.root_object, "/Metadata"))
        if isinstance(xmp, StreamObject):
            packet = StreamObject()
            packet[NameObject("/Type")] = NameObject("/Metadata")
            packet[NameObject("/Subtype")] = NameObject("/XML")
            for key in ("/Filter", "/DecodeParms"):
                if key in xmp:
                    packet[NameObject(key)] = self._value(_raw(xmp, key), depth=1)
            packet._data = xmp._data
            self.writer.root_object[NameObject("/Metadata")] = self._add(packet)


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
