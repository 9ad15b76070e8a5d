"""Tests for the upload sanitiser (reporting/files.py).

All fixtures are generated in code. Exception messages are lazy translations,
so tests only check exception types: evaluating the messages would need
Django settings.
"""

from __future__ import annotations

import builtins
import io
import os
import random
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms, ImageDraw, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from reporting.files import (
    DamagedFile,
    ImageTooLarge,
    PdfNotRebuilt,
    SanitisedFile,
    UnsupportedFileType,
    safe_download_name,
    sanitise_upload,
    sniff_type,
)

# Markers avoid characters that PDF writers escape (e.g. "-" becomes "\055"),
# so that their presence in raw bytes is a meaningful check.
ARTIST = b"MARKERARTIST4711"
GPS_AREA = b"MARKERGPSAREA4711"
COMMENT = b"MARKERCOMMENT4711"
XMP_MARK = b"MARKERXMP4711"
TEXT_MARK = b"MARKERTEXT4711"
AUTHOR = b"MARKERAUTHOR4711"

XMP_PACKET = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    b"<dc:creator>" + XMP_MARK + b"</dc:creator>"
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)


# --- fixture builders ---------------------------------------------------------


def _picture(size: tuple[int, int] = (64, 48), mode: str = "RGB") -> Image.Image:
    """A small image with structure, so that encoders have something to encode."""
    img = Image.new("RGB", size, (200, 30, 30))
    draw = ImageDraw.Draw(img)
    draw.rectangle((size[0] // 2, 0, size[0], size[1]), fill=(30, 30, 200))
    draw.line((0, 0, size[0], size[1]), fill=(255, 255, 255), width=2)
    return img.convert(mode)


def _exif_with_gps(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = ARTIST.decode()
    exif[ExifTags.Base.Make] = "MarkerPhoneMaker"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 22.0, 31.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (9.0, 44.0, 12.25)
    gps[ExifTags.GPS.GPSAreaInformation] = GPS_AREA.decode()
    return exif


def _srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _save(img: Image.Image, fmt: str, **params: Any) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **params)
    return out.getvalue()


def _jpeg_with_metadata() -> bytes:
    return _save(
        _picture(),
        "JPEG",
        exif=_exif_with_gps(),
        comment=COMMENT,
        xmp=XMP_PACKET,
        icc_profile=_srgb_icc(),
    )


def _png_with_metadata(mode: str = "RGB") -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", TEXT_MARK.decode())  # tEXt
    info.add_text("Description", TEXT_MARK.decode(), zip=True)  # zTXt
    info.add_itxt("Author", TEXT_MARK.decode(), lang="de")  # iTXt
    info.add_itxt("XML:com.adobe.xmp", XMP_PACKET.decode())  # XMP lives in iTXt
    return _save(
        _picture(mode=mode), "PNG", pnginfo=info, exif=_exif_with_gps(), icc_profile=_srgb_icc()
    )


def _webp_with_metadata(*, lossless: bool = False) -> bytes:
    return _save(
        _picture(),
        "WEBP",
        exif=_exif_with_gps(),
        xmp=XMP_PACKET,
        icc_profile=_srgb_icc(),
        lossless=lossless,
        quality=90,
    )


def _pdf(
    pages: int = 3, *, metadata: bool = True, encrypt: bool = False, page_xmp: bool = True
) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if metadata:
        writer.add_metadata(
            {
                "/Author": AUTHOR.decode(),
                "/Title": "Secret title " + AUTHOR.decode(),
                "/Creator": "Word " + AUTHOR.decode(),
                "/Producer": "Producer " + AUTHOR.decode(),
            }
        )
        xmp = StreamObject()
        xmp.set_data(XMP_PACKET)
        xmp[NameObject("/Type")] = NameObject("/Metadata")
        xmp[NameObject("/Subtype")] = NameObject("/XML")
        writer.root_object[NameObject("/Metadata")] = writer._add_object(xmp)
        if page_xmp and pages:
            page_meta = StreamObject()
            page_meta.set_data(XMP_PACKET)
            page = writer.pages[0]
            page[NameObject("/Metadata")] = writer._add_object(page_meta)
            page[NameObject("/PieceInfo")] = TextStringObject(AUTHOR.decode())
    if encrypt:
        writer.encrypt("secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_with_photo(photo: bytes, size: tuple[int, int]) -> bytes:
    """A one-page PDF that embeds ``photo`` as it is, like img2pdf or scanners do."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=size[0], height=size[1])
    image = StreamObject()
    image.set_data(photo)
    image.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(size[0]),
            NameObject("/Height"): NumberObject(size[1]),
            NameObject("/ColorSpace"): NameObject("/DeviceRGB"),
            NameObject("/BitsPerComponent"): NumberObject(8),
            NameObject("/Filter"): NameObject("/DCTDecode"),
        }
    )
    content = StreamObject()
    content.set_data(f"q {size[0]} 0 0 {size[1]} 0 0 cm /Im0 Do Q".encode())
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): writer._add_object(image)})}
    )
    page[NameObject("/Contents")] = writer._add_object(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _blank_png(width: int, height: int, *, bit_depth: int = 1) -> bytes:
    """A PNG with real, highly compressible pixel data of the given size.

    Built by hand because making the image with Pillow would need the very
    memory a decompression bomb is about.
    """

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    row = b"\0" * (1 + (width * bit_depth + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _png_chunk_types(data: bytes) -> list[bytes]:
    kinds, offset = [], 8
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kinds.append(data[offset + 4 : offset + 8])
        offset += 12 + length
    return kinds


def _riff_chunk_types(data: bytes) -> list[bytes]:
    kinds, offset = [], 12
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        kinds.append(data[offset : offset + 4])
        offset += 8 + size + (size & 1)
    return kinds


def _jpeg_markers(data: bytes) -> list[int]:
    """Marker bytes of the JPEG segments before the entropy-coded data."""
    markers, offset = [], 2
    while offset + 4 <= len(data) and data[offset] == 0xFF:
        marker = data[offset + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: the rest is image data
            break
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        offset += 2 + length
    return markers


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


# --- JPEG ---------------------------------------------------------------------


def test_jpeg_loses_exif_gps_xmp_comment_and_icc() -> None:
    original = _jpeg_with_metadata()
    for marker in (ARTIST, GPS_AREA, COMMENT, XMP_MARK):
        assert marker in original  # the fixture really carries the metadata

    result = sanitise_upload(original)

    assert result == SanitisedFile(result.content, "image/jpeg", ".jpg")
    for marker in (ARTIST, GPS_AREA, COMMENT, XMP_MARK, b"MarkerPhoneMaker"):
        assert marker not in result.content
    img = _open(result.content)
    assert img.format == "JPEG"
    assert img.size == (64, 48)
    assert len(img.getexif()) == 0
    assert img.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    for key in ("exif", "xmp", "comment", "icc_profile"):
        assert key not in img.info
    # Only JFIF (APP0), quantisation/Huffman tables, frame and scan headers.
    assert set(_jpeg_markers(result.content)) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xC2, 0xDD, 0xDA}


def test_jpeg_keep_metadata_returns_original_bytes() -> None:
    original = _jpeg_with_metadata()

    result = sanitise_upload(original, keep_metadata=True)

    assert result.content == original
    assert ARTIST in result.content
    assert (result.content_type, result.extension) == ("image/jpeg", ".jpg")


def test_jpeg_orientation_is_applied_before_exif_is_dropped() -> None:
    # Left half red, right half blue; Orientation 6 means "rotate 90° clockwise
    # for display", which puts the left (red) side on top.
    original = _save(_picture((20, 10)), "JPEG", exif=_exif_with_gps(orientation=6), quality=95)

    img = _open(sanitise_upload(original).content)

    assert img.size == (10, 20)
    rgb = img.convert("RGB")
    top, bottom = rgb.getpixel((5, 2)), rgb.getpixel((5, 17))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 150 and top[2] < 100  # red
    assert bottom[2] > 150 and bottom[0] < 100  # blue


def test_cmyk_jpeg_becomes_rgb() -> None:
    original = _save(_picture(mode="CMYK"), "JPEG")

    img = _open(sanitise_upload(original).content)

    assert img.mode == "RGB"


def test_greyscale_jpeg_stays_greyscale() -> None:
    img = _open(sanitise_upload(_save(_picture(mode="L"), "JPEG")).content)

    assert img.mode == "L"


def test_broken_icc_profile_does_not_refuse_the_photo() -> None:
    original = _save(_picture(), "JPEG", icc_profile=b"not a colour profile" * 10)

    img = _open(sanitise_upload(original).content)

    assert img.size == (64, 48)
    assert "icc_profile" not in img.info


# --- PNG ----------------------------------------------------------------------


def test_png_loses_text_chunks_exif_and_icc() -> None:
    original = _png_with_metadata()
    assert {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"} <= set(_png_chunk_types(original))

    result = sanitise_upload(original)

    assert (result.content_type, result.extension) == ("image/png", ".png")
    for marker in (TEXT_MARK, XMP_MARK, ARTIST, GPS_AREA):
        assert marker not in result.content
    assert set(_png_chunk_types(result.content)) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
    img = _open(result.content)
    assert img.size == (64, 48)
    assert img.text == {}  # type: ignore[attr-defined]
    assert len(img.getexif()) == 0


def test_rgba_png_with_icc_profile_keeps_alpha() -> None:
    original = _png_with_metadata(mode="RGBA")

    img = _open(sanitise_upload(original).content)

    assert img.mode == "RGBA"
    assert img.getchannel("A").tobytes() == _open(original).getchannel("A").tobytes()
    assert "icc_profile" not in img.info


def test_png_keep_metadata_returns_original_bytes() -> None:
    original = _png_with_metadata()

    assert sanitise_upload(original, keep_metadata=True).content == original


@pytest.mark.parametrize("mode", ["1", "L", "LA", "RGB", "RGBA", "P", "I;16"])
def test_png_modes_survive_with_identical_pixels(mode: str) -> None:
    source = _picture(mode=mode)
    original = _save(source, "PNG")

    img = _open(sanitise_upload(original).content)

    assert img.size == source.size
    assert img.convert("RGBA").tobytes() == _open(original).convert("RGBA").tobytes()


def test_png_palette_transparency_is_kept() -> None:
    source = _picture().convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    original = _save(source, "PNG", transparency=0)

    img = _open(sanitise_upload(original).content)

    assert img.convert("RGBA").tobytes() == _open(original).convert("RGBA").tobytes()


def test_animated_png_keeps_first_frame_only() -> None:
    frames = [_picture(), Image.new("RGB", (64, 48), (0, 255, 0))]
    original = _save(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100)
    assert b"acTL" in original

    result = sanitise_upload(original).content

    assert b"acTL" not in result and b"fcTL" not in result
    assert _open(result).tobytes() == frames[0].tobytes()


# --- WebP ---------------------------------------------------------------------


def test_webp_loses_exif_xmp_and_icc() -> None:
    original = _webp_with_metadata()
    assert {b"EXIF", b"XMP ", b"ICCP"} <= set(_riff_chunk_types(original))

    result = sanitise_upload(original)

    assert (result.content_type, result.extension) == ("image/webp", ".webp")
    for marker in (ARTIST, GPS_AREA, XMP_MARK):
        assert marker not in result.content
    assert not {b"EXIF", b"XMP ", b"ICCP"} & set(_riff_chunk_types(result.content))
    img = _open(result.content)
    assert img.size == (64, 48)
    assert len(img.getexif()) == 0


def test_webp_keep_metadata_returns_original_bytes() -> None:
    original = _webp_with_metadata()

    assert sanitise_upload(original, keep_metadata=True).content == original


def test_lossless_webp_stays_lossless() -> None:
    original = _webp_with_metadata(lossless=True)

    result = sanitise_upload(original).content

    assert b"VP8L" in result
    assert _open(result).tobytes() == _open(original).tobytes()


def test_animated_webp_keeps_first_frame_only() -> None:
    frames = [_picture(), Image.new("RGB", (64, 48), (0, 255, 0))]
    original = _save(
        frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True
    )

    result = sanitise_upload(original).content

    assert b"ANIM" not in result
    assert _open(result).convert("RGB").tobytes() == frames[0].tobytes()


# --- PDF ----------------------------------------------------------------------


def test_pdf_loses_info_dictionary_and_xmp() -> None:
    original = _pdf(pages=3)
    assert AUTHOR in original and XMP_MARK in original
    assert PdfReader(io.BytesIO(original)).metadata is not None

    result = sanitise_upload(original)

    assert (result.content_type, result.extension) == ("application/pdf", ".pdf")
    assert AUTHOR not in result.content
    assert XMP_MARK not in result.content
    assert b"/PieceInfo" not in result.content
    reader = PdfReader(io.BytesIO(result.content))
    assert not reader.metadata  # None or empty, in any case no /Author
    assert reader.xmp_metadata is None
    assert "/Metadata" not in reader.root_object
    assert len(reader.pages) == 3
    assert all("/Metadata" not in page for page in reader.pages)


def test_pdf_loses_exif_of_embedded_jpeg_photos() -> None:
    photo = _jpeg_with_metadata()
    original = _pdf_with_photo(photo, (64, 48))
    for marker in (ARTIST, GPS_AREA, COMMENT, XMP_MARK):
        assert marker in original

    result = sanitise_upload(original).content

    for marker in (ARTIST, GPS_AREA, COMMENT, XMP_MARK):
        assert marker not in result
    page = PdfReader(io.BytesIO(result)).pages[0]
    # get_data() of a DCTDecode stream is the JPEG file as stored in the PDF.
    resources = cast(DictionaryObject, page["/Resources"].get_object())
    xobjects = cast(DictionaryObject, resources["/XObject"].get_object())
    embedded = cast(StreamObject, xobjects["/Im0"].get_object()).get_data()
    # Segments are dropped without re-encoding: the pixels are untouched.
    assert _open(embedded).tobytes() == _open(photo).tobytes()
    for key in ("exif", "xmp", "comment"):
        assert key not in _open(embedded).info


def test_pdf_with_unparseable_embedded_jpeg_is_left_alone() -> None:
    original = _pdf_with_photo(b"\xff\xd8\xff\xe1\x00", (16, 16))

    result = sanitise_upload(original).content

    assert len(PdfReader(io.BytesIO(result)).pages) == 1


def test_pdf_keep_metadata_keeps_document_information_and_xmp_in_a_rebuilt_file() -> None:
    original = _pdf()

    result = sanitise_upload(original, keep_metadata=True)

    # Rebuilt all the same (tests/reporting/test_pdf_rebuild.py: no active content survives),
    # but with the document's own information and XMP, as the reporter asked.
    assert result.content != original
    reader = PdfReader(io.BytesIO(result.content))
    assert reader.metadata is not None and reader.metadata.author == AUTHOR.decode()
    assert reader.xmp_metadata is not None and XMP_MARK in result.content


def test_pdf_without_metadata_is_accepted() -> None:
    result = sanitise_upload(_pdf(pages=1, metadata=False))

    assert len(PdfReader(io.BytesIO(result.content)).pages) == 1


@pytest.mark.parametrize("keep_metadata", [False, True])
def test_encrypted_pdf_is_refused(keep_metadata: bool) -> None:
    with pytest.raises(PdfNotRebuilt):
        sanitise_upload(_pdf(encrypt=True), keep_metadata=keep_metadata)


def test_pdf_without_pages_is_refused() -> None:
    with pytest.raises(UnsupportedFileType):
        sanitise_upload(_pdf(pages=0, metadata=False))


# --- refusals -----------------------------------------------------------------


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.jpg", b"not really")
    return out.getvalue()


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


REFUSED: dict[str, Callable[[], bytes]] = {
    "empty": lambda: b"",
    "text named .jpg": lambda: b"Dear diary, this is just text.\n",
    "html": lambda: b"<!DOCTYPE html><html><script>alert(1)</script></html>",
    "svg": lambda: (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
        b"<script>alert(1)</script></svg>"
    ),
    "zip": _zip,
    "gif": lambda: _save(_picture(), "GIF"),
    "bmp": lambda: _save(_picture(), "BMP"),
    "tiff": lambda: _save(_picture(), "TIFF"),
    "random": lambda: random.Random(4711).randbytes(2048),
    "truncated jpeg": lambda: _truncated(_save(_picture((256, 256)), "JPEG")),
    "truncated png": lambda: _truncated(_save(_picture((256, 256)), "PNG")),
    "truncated webp": lambda: _truncated(_save(_picture((256, 256)), "WEBP")),
    "truncated pdf": lambda: _pdf()[:200],
    "jpeg magic then html": lambda: b"\xff\xd8\xff\xe0<html><script>alert(1)</script>",
    "png magic then junk": lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
    "riff wave": lambda: b"RIFF\x24\0\0\0WAVEfmt " + b"\0" * 32,
    "pdf magic then junk": lambda: b"%PDF-1.7\n" + b"garbage " * 20,
    "pdf after junk": lambda: b"<html>" + _pdf(),
}


@pytest.mark.parametrize("keep_metadata", [False, True])
@pytest.mark.parametrize("make", REFUSED.values(), ids=REFUSED.keys())
def test_refused(make: Callable[[], bytes], keep_metadata: bool) -> None:
    with pytest.raises(UnsupportedFileType):
        sanitise_upload(make(), keep_metadata=keep_metadata)


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8_000, 8_000),  # above our limit, below Pillow's warning threshold
        (10_000, 10_000),  # Pillow would only warn
        (20_000, 20_000),  # Pillow raises DecompressionBombError itself
    ],
)
@pytest.mark.parametrize("keep_metadata", [False, True])
def test_decompression_bomb_is_refused_quickly(
    width: int, height: int, keep_metadata: bool
) -> None:
    bomb = _blank_png(width, height)
    assert len(bomb) < 200_000

    with pytest.raises(ImageTooLarge):
        sanitise_upload(bomb, keep_metadata=keep_metadata)


def test_jpeg_with_absurd_dimensions_is_refused() -> None:
    data = bytearray(_save(_picture((16, 16)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 65_000, 65_000)

    with pytest.raises(ImageTooLarge):
        sanitise_upload(bytes(data))


def test_error_classes_are_unsupported_file_type() -> None:
    assert issubclass(DamagedFile, UnsupportedFileType)
    assert issubclass(ImageTooLarge, UnsupportedFileType)
    assert UnsupportedFileType().message is not None


# --- content sniffing ---------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0\0\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png"),
        (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"),
        (b"%PDF-1.4\n", "application/pdf"),
        (b"RIFF\0\0\0\0WAVEfmt ", None),
        (b"GIF89a", None),
        (b"<svg", None),
        (b"PK\x03\x04", None),
        (b" %PDF-1.4", None),
        (b"", None),
    ],
)
def test_sniff_type(data: bytes, expected: str | None) -> None:
    assert sniff_type(data) == expected


def test_sanitised_output_is_accepted_again() -> None:
    for original in (_jpeg_with_metadata(), _png_with_metadata(), _webp_with_metadata(), _pdf()):
        first = sanitise_upload(original)
        second = sanitise_upload(first.content)
        assert second.content_type == first.content_type


def test_nothing_is_written_to_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    samples = [_jpeg_with_metadata(), _png_with_metadata(), _webp_with_metadata(), _pdf()]
    for sample in samples:  # warm up lazy imports before the file system is closed off
        sanitise_upload(sample)

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"file system access: {args!r}")

    monkeypatch.setattr(builtins, "open", forbidden)
    monkeypatch.setattr(io, "open", forbidden)
    monkeypatch.setattr(os, "open", forbidden)
    monkeypatch.setattr(tempfile, "mkstemp", forbidden)
    monkeypatch.setattr(tempfile, "mkdtemp", forbidden)
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", forbidden)
    monkeypatch.setattr(tempfile, "TemporaryFile", forbidden)
    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", forbidden)

    for sample in samples:
        sanitise_upload(sample)
        sanitise_upload(sample, keep_metadata=True)


# --- download names -----------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "extension", "expected"),
    [
        ("Foto vom Vorfall.jpg", ".jpg", "Foto vom Vorfall.jpg"),
        ("../../etc/passwd", ".pdf", "passwd.pdf"),
        ("..\\..\\Windows\\system32\\evil.exe", ".png", "evil.png"),
        ("C:\\Users\\Ayşe\\Bilder\\Straße.JPEG", ".jpg", "Straße.jpg"),
        ("screenshot.png", ".jpg", "screenshot.jpg"),
        ("fake.jpg", ".pdf", "fake.pdf"),
        ("invoice.exe.jpg", ".png", "invoice.exe.png"),
        ("bad\x00na\x1bme\r\n.jpg", ".jpg", "badname.jpg"),
        ("right\u202egnp.exe", ".png", "rightgnp.png"),
        ('say "hi"; it\'s `x`.pdf', ".pdf", "say hi its x.pdf"),
        ("a<b>c:d|e?f*g.png", ".png", "a_b_c_d_e_f_g.png"),
        ("Vorfall 12.03.2025", ".pdf", "Vorfall 12.03.2025.pdf"),
        (".htaccess", ".jpg", "htaccess.jpg"),
        ("..", ".jpg", "upload.jpg"),
        ("", ".webp", "upload.webp"),
        ("   ", ".webp", "upload.webp"),
        ("dir/", ".pdf", "upload.pdf"),
        ("CON.jpg", ".jpg", "_CON.jpg"),
        ("trailing dots... .jpg", ".jpg", "trailing dots.jpg"),
    ],
)
def test_safe_download_name(original: str, extension: str, expected: str) -> None:
    assert safe_download_name(original, extension) == expected


def test_safe_download_name_limits_length() -> None:
    name = safe_download_name("x" * 500 + ".jpg", ".jpg")

    assert name == "x" * 80 + ".jpg"


def test_safe_download_name_rejects_unknown_extension() -> None:
    with pytest.raises(ValueError):
        safe_download_name("a.exe", ".exe")


# --- property test ------------------------------------------------------------

_MAGICS = [
    b"\xff\xd8\xff",
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"RIFF\x00\x10\x00\x00WEBPVP8 ",
    b"RIFF\x00\x10\x00\x00WEBPVP8L",
    b"RIFF\x00\x10\x00\x00WEBPVP8X",
    b"%PDF-1.7\n",
]
_VALID = [
    _save(_picture((16, 16)), "JPEG"),
    _save(_picture((16, 16)), "PNG"),
    _save(_picture((16, 16)), "WEBP"),
    _pdf(pages=1, metadata=False),
]


@st.composite
def _mutated_valid_file(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(_VALID)))
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(0, len(data)))])


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.one_of(
        st.binary(max_size=4096),
        st.builds(
            lambda magic, rest: magic + rest, st.sampled_from(_MAGICS), st.binary(max_size=4096)
        ),
        _mutated_valid_file(),
    ),
    st.booleans(),
)
def test_arbitrary_bytes_only_ever_raise_unsupported_file_type(
    data: bytes, keep_metadata: bool
) -> None:
    try:
        result = sanitise_upload(data, keep_metadata=keep_metadata)
    except UnsupportedFileType:
        return
    assert result.content_type == sniff_type(data)
    assert sniff_type(result.content) == result.content_type
