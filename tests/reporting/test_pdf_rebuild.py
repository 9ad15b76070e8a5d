"""PDFs are rebuilt from an allow-list (SPEC §4.4, issue 13, review F-04).

Each hostile PDF is built here with pypdf and carries a marker in every place active content
or an identifying trace can hide: page `/AA` JavaScript, a link running JavaScript or
launching a program, a `/FileAttachment` annotation with its embedded file, an
`/EmbeddedFiles` name tree, an AcroForm with XFA, annotation authors (`/T`), document-level
JavaScript and `/OpenAction`, XMP on pages and images, and a resource that points back at the
catalog. None of it may survive, with or without "keep the original"; that choice keeps only
the document's own metadata (information dictionary and XMP). Markers are plain letters and
digits in unfiltered streams and strings, so that a byte search of the output is meaningful.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from reporting import files
from reporting.files import PdfNotRebuilt, sanitise_upload
from tests.helpers import nothing_stored

VISIBLE = "VISIBLETEXT4711"
DOC_AUTHOR = "CANARYDOCAUTHOR4711"
XMP_MARK = "CANARYXMP4711"
ACTIVE = {
    "page_aa_js": "CANARYPAGEJS4711",
    "link_js": "CANARYLINKJS4711",
    "launch": "CANARYLAUNCH4711",
    "file_uri": "CANARYFILEURI4711",
    "attachment_file": "CANARYATTACHEDFILE4711",
    "attachment_author": "CANARYATTACHAUTHOR4711",
    "name_tree_file": "CANARYNAMETREEFILE4711",
    "acroform_value": "CANARYFORMVALUE4711",
    "xfa": "CANARYXFA4711",
    "text_author": "CANARYTEXTAUTHOR4711",
    "text_comment": "CANARYCOMMENT4711",
    "open_action": "CANARYOPENACTION4711",
    "document_js": "CANARYDOCJS4711",
    "page_xmp": "CANARYPAGEXMP4711",
    "image_xmp": "CANARYIMAGEXMP4711",
    "font_action": "CANARYFONTACTION4711",
}
# Keys and names that mean behaviour or other files; none may be in a rebuilt file.
FORBIDDEN_NAMES = (
    b"/JavaScript", b"/JS", b"/AA", b"/OpenAction", b"/Launch", b"/EmbeddedFile", b"/EmbeddedFiles",
    b"/FileAttachment", b"/Filespec", b"/AcroForm", b"/XFA", b"/Widget", b"/Names", b"/Popup",
    b"/PieceInfo", b"/SubmitForm", b"/GoToR",
)
SAFE_LINK = "https://example.org/evidence"


def _stream(writer: PdfWriter, data: bytes, **entries: Any) -> Any:
    stream = DecodedStreamObject()
    stream.set_data(data)
    for key, value in entries.items():
        stream[NameObject(f"/{key}")] = value
    return writer._add_object(stream)


def _js(code: str) -> DictionaryObject:
    return DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(code),
    })


def _rect(x: float) -> ArrayObject:
    return ArrayObject([FloatObject(x), FloatObject(10), FloatObject(x + 40), FloatObject(30)])


def _annotation(writer: PdfWriter, subtype: str, x: float, **entries: Any) -> Any:
    annotation = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject(subtype),
        NameObject("/Rect"): _rect(x),
    })
    for key, value in entries.items():
        annotation[NameObject(f"/{key}")] = value
    return writer._add_object(annotation)


def hostile_pdf() -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(width=300, height=200)
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        # Not a key any font has; an allow-list drops it.
        NameObject("/AA"): DictionaryObject({NameObject("/O"): _js(ACTIVE["font_action"])}),
    }))
    image = _stream(
        writer, b"\xff\x00\x00" * 4, Type=NameObject("/XObject"), Subtype=NameObject("/Image"),
        Width=NumberObject(2), Height=NumberObject(2), ColorSpace=NameObject("/DeviceRGB"),
        BitsPerComponent=NumberObject(8),
        Metadata=_stream(writer, ACTIVE["image_xmp"].encode(), Type=NameObject("/Metadata")),
    )
    page[NameObject("/Resources")] = DictionaryObject({
        NameObject("/Font"): DictionaryObject({NameObject("/F1"): font}),
        NameObject("/XObject"): DictionaryObject({NameObject("/Im1"): image}),
        # A resource category that points at the catalog: nothing may be reached through it.
        NameObject("/Sneaky"): writer.root_object.indirect_reference,
    })
    page[NameObject("/Contents")] = _stream(
        writer, f"BT /F1 12 Tf 20 150 Td ({VISIBLE}) Tj ET q 20 0 0 20 200 100 cm /Im1 Do Q".encode()
    )
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): _js(ACTIVE["page_aa_js"])})
    page[NameObject("/Metadata")] = _stream(writer, ACTIVE["page_xmp"].encode(), Type=NameObject("/Metadata"))
    page[NameObject("/PieceInfo")] = TextStringObject(ACTIVE["page_xmp"])

    embedded = _stream(writer, ACTIVE["attachment_file"].encode(), Type=NameObject("/EmbeddedFile"))
    filespec = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Filespec"), NameObject("/F"): TextStringObject("evil.docx"),
        NameObject("/EF"): DictionaryObject({NameObject("/F"): embedded}),
    }))
    widget = _annotation(
        writer, "/Widget", 250, FT=NameObject("/Tx"), T=TextStringObject("field1"),
        V=TextStringObject(ACTIVE["acroform_value"]),
        AA=DictionaryObject({NameObject("/K"): _js(ACTIVE["page_aa_js"])}),
    )
    page[NameObject("/Annots")] = ArrayObject([
        _annotation(writer, "/Link", 10, A=_js(ACTIVE["link_js"])),
        _annotation(writer, "/Link", 60, A=DictionaryObject({
            NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject(ACTIVE["launch"]),
        })),
        _annotation(writer, "/Link", 110, A=DictionaryObject({
            NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject(f"file:///{ACTIVE['file_uri']}"),
        })),
        _annotation(writer, "/Link", 160, A=DictionaryObject({
            NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject(SAFE_LINK),
        }), T=TextStringObject(ACTIVE["text_author"])),
        _annotation(writer, "/FileAttachment", 200, FS=filespec, T=TextStringObject(ACTIVE["attachment_author"]),
                    Contents=TextStringObject(ACTIVE["text_comment"])),
        _annotation(writer, "/Text", 220, T=TextStringObject(ACTIVE["text_author"]),
                    Contents=TextStringObject(ACTIVE["text_comment"])),
        widget,
    ])
    writer.root_object[NameObject("/AcroForm")] = DictionaryObject({
        NameObject("/Fields"): ArrayObject([widget]),
        NameObject("/XFA"): _stream(writer, f"<xdp:xdp>{ACTIVE['xfa']}</xdp:xdp>".encode()),
    })
    writer.add_attachment("tree.txt", ACTIVE["name_tree_file"].encode())
    names = writer.root_object["/Names"]
    names[NameObject("/JavaScript")] = DictionaryObject({NameObject("/Names"): ArrayObject([
        TextStringObject("startup"), writer._add_object(_js(f"app.alert('{ACTIVE['document_js']}');")),
    ])})
    writer.root_object[NameObject("/OpenAction")] = writer._add_object(_js(ACTIVE["open_action"]))
    writer.add_metadata({"/Author": DOC_AUTHOR, "/Title": "Evidence"})
    writer.root_object[NameObject("/Metadata")] = _stream(
        writer, f"<x:xmpmeta>{XMP_MARK}</x:xmpmeta>".encode(), Type=NameObject("/Metadata"),
        Subtype=NameObject("/XML"),
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def hostile() -> bytes:
    data = hostile_pdf()
    # The test is only meaningful if every marker is in the original, readable as bytes.
    for marker in (*ACTIVE.values(), VISIBLE, DOC_AUTHOR, XMP_MARK):
        assert marker.encode() in data, marker
    for name in (b"/JavaScript", b"/AA", b"/EmbeddedFiles", b"/AcroForm", b"/XFA", b"/FileAttachment"):
        assert name in data, name
    return data


def _active_content_gone(result: bytes) -> PdfReader:
    for name, marker in ACTIVE.items():
        assert marker.encode() not in result, f"{name} survived"
    for forbidden in FORBIDDEN_NAMES:
        assert forbidden not in result, f"{forbidden!r} survived"
    reader = PdfReader(io.BytesIO(result))
    root = reader.root_object
    assert set(root.keys()) <= {"/Type", "/Pages", "/Metadata"}, root.keys()
    [page] = reader.pages
    assert set(page.keys()) <= {"/Type", "/Parent", "/MediaBox", "/Resources", "/Contents", "/Annots"}, page.keys()
    # What the reporter meant to show is all there: the text, the image, the safe link.
    assert VISIBLE in page.extract_text()
    assert "/Im1" in page["/Resources"]["/XObject"]
    assert set(page["/Resources"].keys()) == {"/Font", "/XObject"}
    links = [annotation.get_object() for annotation in page["/Annots"]]
    assert [link["/A"]["/URI"] for link in links] == [SAFE_LINK]
    assert all(set(link.keys()) == {"/Type", "/Subtype", "/Rect", "/Border", "/A"} for link in links)
    return reader


def test_hostile_pdf_keeps_nothing_active_and_no_metadata(hostile: bytes) -> None:
    result = sanitise_upload(hostile).content

    reader = _active_content_gone(result)
    assert DOC_AUTHOR.encode() not in result and XMP_MARK.encode() not in result
    assert not reader.metadata
    assert "/Metadata" not in reader.root_object


def test_keep_original_keeps_document_metadata_only(hostile: bytes) -> None:
    result = sanitise_upload(hostile, keep_metadata=True).content

    reader = _active_content_gone(result)
    assert reader.metadata is not None and reader.metadata.author == DOC_AUTHOR
    assert XMP_MARK.encode() in result
    # Page-level XMP and the image's XMP are not "document metadata".
    assert ACTIVE["page_xmp"].encode() not in result and ACTIVE["image_xmp"].encode() not in result


def test_rebuilt_pdf_is_accepted_again_unchanged_in_what_it_shows(hostile: bytes) -> None:
    once = sanitise_upload(hostile).content
    twice = sanitise_upload(once).content
    assert PdfReader(io.BytesIO(twice)).pages[0].extract_text() == PdfReader(io.BytesIO(once)).pages[0].extract_text()


def test_pdf_beyond_the_rebuild_budget_is_refused(hostile: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_PDF_OBJECTS", 2)
    with pytest.raises(PdfNotRebuilt):
        sanitise_upload(hostile)


def test_deeply_nested_pdf_is_refused_not_crashed() -> None:
    writer = PdfWriter()
    page = writer.add_blank_page(width=100, height=100)
    nested: Any = NumberObject(1)
    for _ in range(200):
        nested = ArrayObject([nested])
    page[NameObject("/Resources")] = DictionaryObject({
        NameObject("/ExtGState"): DictionaryObject({NameObject("/G1"): DictionaryObject({NameObject("/D"): nested})}),
    })
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(PdfNotRebuilt):
        sanitise_upload(out.getvalue())


@pytest.mark.django_db
def test_a_pdf_that_cannot_be_rebuilt_is_refused_with_its_reason_and_nothing_stored(
    client: Any, fallback_org: Any, form_data: Any
) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.encrypt("secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    upload = io.BytesIO(out.getvalue())
    upload.name = "letter.pdf"

    response = client.post("/en/report/", form_data(files=[upload]))

    assert response.status_code == 415
    page = response.content.decode()
    assert "We could not clean this PDF safely" in page and "a photo or a screenshot" in page
    assert nothing_stored()
