"""Previewer against the 28 real-world attachments of tests/data and against hostile input."""

from __future__ import annotations

import csv
import hashlib
import io
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from zcreview.preview.cache import Previewer
from zcreview.preview.document import open_document
from zcreview.preview.failure import ErrorKind, PreviewError
from zcreview.preview.images import decode_image
from zcreview.preview.page_text import assess_text
from zcreview.preview.scan_page import single_image_placement
from zcreview.preview.worker import ProcessRunner, render_page_bounded

REALWORLD = Path(__file__).resolve().parent / "data" / "realworld"
FILES = sorted(p.name for p in REALWORLD.glob("*") if p.name not in ("MANIFEST.tsv", "README.md"))


def _manifest() -> dict[str, dict[str, str]]:
    with (REALWORLD / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        return {row["file_name"]: row for row in csv.DictReader(handle, delimiter="\t")}


MANIFEST = _manifest()


def _data(name: str) -> bytes:
    return (REALWORLD / name).read_bytes()


def _expected_pages(name: str) -> int | None:
    # The manifest records "pages=N" in what pypdf saw; images are one page.
    row = MANIFEST[name]
    if name.startswith("img-"):
        return 1
    for part in row["pypdf_pillow_today"].split(";"):
        if part.strip().startswith("pages="):
            return int(part.strip().removeprefix("pages="))
    return None


@pytest.fixture(scope="module")
def previewer() -> Iterator[Previewer]:
    """One isolated previewer (worker processes) shared by the module's tests."""
    with Previewer(lambda sha: BLOBS[sha], workers=2, timeout=20.0) as p:
        p.warm_up()
        yield p


BLOBS: dict[str, bytes] = {}


def _register(name: str) -> str:
    data = _data(name)
    sha = hashlib.sha256(data).hexdigest()
    BLOBS[sha] = data
    return sha


def test_every_file_is_in_the_manifest() -> None:
    assert set(FILES) == set(MANIFEST)
    assert len(FILES) == 28


@pytest.mark.parametrize("name", FILES)
def test_never_raises_and_counts_pages(previewer: Previewer, name: str) -> None:
    """Every file gives either a drawn page or a message; never an exception."""
    sha = _register(name)
    assert hashlib.sha256(BLOBS[sha]).hexdigest() == MANIFEST[name]["sha256"]
    count = previewer.page_count(sha, name)
    rendered = previewer.render(sha, name, max(count - 1, 0), 80, 40, "grey8")
    if rendered.error is None:
        assert len(rendered.lines) == 40
        expected = _expected_pages(name)
        if expected is not None:
            assert count == expected
    else:
        assert rendered.lines == []
        assert rendered.error  # a Chinese message for the reviewer
        assert count == 0


@pytest.mark.parametrize("name", FILES)
def test_in_process_document_api_never_raises_unexpectedly(name: str) -> None:
    """open_document raises only PreviewError; a readable file gives images and text."""
    try:
        doc = open_document(_data(name), name)
    except PreviewError as exc:
        assert exc.message_zh
        return
    with doc:
        for page in {0, doc.page_count - 1}:
            try:
                img = doc.page_image(page, 200)
            except PreviewError as exc:
                assert exc.message_zh
                continue
            assert img.mode in ("RGB", "L")
            assert max(img.size) <= 200
            doc.text(page)


def test_encrypted_user_password(previewer: Previewer) -> None:
    name = "encrypted-userpw_samplefiles-libreoffice-writer-password.pdf"
    rendered = previewer.render(_register(name), name, 0, 80, 40)
    assert rendered.error_kind is ErrorKind.ENCRYPTED
    assert rendered.error is not None and "加密" in rendered.error and "密码" in rendered.error


def test_encrypted_with_password_opens() -> None:
    name = "encrypted-userpw_samplefiles-libreoffice-writer-password.pdf"
    with open_document(_data(name), name, password="openpassword") as doc:
        assert doc.info.encrypted and not doc.info.permissions_only
        assert doc.page_image(0, 100).size[0] > 0


@pytest.mark.parametrize(
    "name",
    [
        "encrypted-ownerpw-only-rc4_pypdf-r4-owner-password.pdf",
        "encrypted-aes256-emptypw_pypdf-r6-empty-password.pdf",
    ],
)
def test_encrypted_empty_password_opens_with_note(previewer: Previewer, name: str) -> None:
    sha = _register(name)
    rendered = previewer.render(sha, name, 0, 80, 40)
    assert rendered.error is None
    assert rendered.info is not None and rendered.info.permissions_only
    assert "password" in rendered.text
    assert any("加密" in note for note in rendered.notes)


@pytest.mark.parametrize(
    "name",
    ["notpdf-text-file_qpdf-extend-c-api-bad.pdf", "notpdf-header-eof-only_ocrmypdf-invalid.pdf"],
)
def test_not_a_pdf(previewer: Previewer, name: str) -> None:
    rendered = previewer.render(_register(name), name, 0, 80, 40)
    assert rendered.error_kind is ErrorKind.NOT_PDF
    assert rendered.error is not None and "PDF" in rendered.error


@pytest.mark.parametrize(
    "name",
    [
        "damaged-startxref-garbage_qpdf-append-page-content-damaged.pdf",
        "damaged-trailer-prev-not-int_qpdf-bad11.pdf",
    ],
)
def test_damaged_files_are_repaired_by_the_renderer(previewer: Previewer, name: str) -> None:
    rendered = previewer.render(_register(name), name, 0, 80, 40)
    assert rendered.error is None
    assert rendered.info is not None and rendered.info.repaired
    assert any("损坏" in note for note in rendered.notes)


def test_damaged_zlib_stream_keeps_text(previewer: Previewer) -> None:
    name = "damaged-zlib-stream_pdfminer-zen_of_python_corrupted.pdf"
    rendered = previewer.render(_register(name), name, 0, 80, 40)
    assert "Beautiful is better than ugly" in rendered.text


def test_truncated_jpeg_is_flagged() -> None:
    data = _data("img-truncated-jpeg_pillow-truncated_jpeg.jpg")
    with pytest.raises(PreviewError) as caught:
        decode_image(data, 100, allow_partial=False)
    assert caught.value.kind is ErrorKind.TRUNCATED and "截断" in caught.value.message_zh
    partial = decode_image(data, 100)
    assert partial.note is not None and "截断" in partial.note


def test_truncated_jpeg_in_previewer(previewer: Previewer) -> None:
    name = "img-truncated-jpeg_pillow-truncated_jpeg.jpg"
    rendered = previewer.render(_register(name), name, 0, 40, 20)
    assert rendered.error is not None or any("截断" in note for note in rendered.notes)


def test_exif_orientation_6_is_turned_upright() -> None:
    name = "img-exif-orientation6_exif-Landscape_6.jpg"
    raw = Image.open(REALWORLD / name)
    assert raw.size == (1200, 1800)
    with open_document(_data(name), name) as doc:
        img = doc.page_image(0, 1800)
    assert img.size == (1800, 1200)


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("img-cmyk-jpeg_ocrmypdf-baiona_cmyk.jpg", "RGB"),
        ("img-png16-trns_sharp-tbgn2c16.png", "RGB"),
        ("img-png-rgba-alpha_ocrmypdf-baiona_alpha.png", "RGB"),
        ("img-progressive-jpeg_pillow-app13-multiple.jpg", "RGB"),
    ],
)
def test_image_modes_render(name: str, mode: str) -> None:
    with open_document(_data(name), name) as doc:
        img = doc.page_image(0, 256)
    assert img.mode == mode


def test_alpha_is_composited_on_white() -> None:
    """Transparent pixels (here transparent black) show as paper white, not black."""
    rgba = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    rgba.paste((200, 0, 0, 255), (0, 0, 20, 20))
    buffer = io.BytesIO()
    rgba.save(buffer, "PNG")
    with open_document(buffer.getvalue(), "alpha.png") as doc:
        img = doc.page_image(0, 40)
    assert img.mode == "RGB"
    assert img.getpixel((30, 10)) == (255, 255, 255)
    assert img.getpixel((5, 10)) == (200, 0, 0)


def test_cmyk_colours_are_not_inverted() -> None:
    name = "img-cmyk-jpeg_ocrmypdf-baiona_cmyk.jpg"
    with open_document(_data(name), name) as doc:
        cmyk = doc.page_image(0, 256)
    alpha_name = "img-png-rgba-alpha_ocrmypdf-baiona_alpha.png"
    with open_document(_data(alpha_name), alpha_name) as doc:
        reference = doc.page_image(0, 256)
    # Same map: mostly light paper. An inverted CMYK decode would be mostly dark.
    assert ImageStat.Stat(cmyk.convert("L")).mean[0] > 150
    assert ImageStat.Stat(reference.convert("L")).mean[0] > 150


def test_cjk_receipt_text(previewer: Previewer) -> None:
    name = "cjk-zh-receipt-identityH_pypdf-issue-914.pdf"
    rendered = previewer.render(_register(name), name, 0, 80, 40)
    assert "商品编码" in rendered.text
    assert "华联绿豆" in rendered.text
    assert not rendered.text_low_quality


def test_cjk_text_without_tounicode_is_flagged(previewer: Previewer) -> None:
    name = "cjk-zh-identityH-noToUnicode_pdfminer-issue_566_test_1.pdf"
    rendered = previewer.render(_register(name), name, 0, 80, 40)
    assert rendered.text_low_quality
    good = "cjk-zh-contract-identityH_pdfminer-issue_566_test_2.pdf"
    assert not previewer.render(_register(good), good, 0, 80, 40).text_low_quality


def test_text_quality_heuristic() -> None:
    assert assess_text("Buyer˖哾㦓")[0]
    assert assess_text("\ue000\ue001\ue002 abc")[0]
    assert not assess_text("甲方：中国饮料有限公司（盖章）")[0]
    assert not assess_text("Hello World")[0]
    assert not assess_text("あのイーハトーヴォのすきとおった風")[0]


def test_rotated_scan_is_honoured() -> None:
    name = "scan-rotate90_ocrmypdf-rotated_skew.pdf"
    with open_document(_data(name), name) as doc:
        img = doc.page_image(0, 400)
    # MediaBox is landscape 792×612; /Rotate 90 shows it portrait.
    assert img.height > img.width


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_scan_fast_path_matches_renderer(rotation: int) -> None:
    """A one-JPEG page taken straight from the PDF looks like pdfium's rendering of it."""
    page = Image.new("RGB", (600, 850), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, 200, 150), fill="red")
    draw.rectangle((400, 700, 599, 849), fill="blue")
    buffer = io.BytesIO()
    page.save(buffer, "PDF", resolution=72)
    writer = pypdf.PdfWriter()
    writer.append(pypdf.PdfReader(io.BytesIO(buffer.getvalue())))
    writer.pages[0].rotate(rotation)
    out = io.BytesIO()
    writer.write(out)
    with open_document(out.getvalue(), "scan.pdf") as doc:
        assert doc.info.scanned
        fast = doc.render_page(0, 300)
        assert fast.source == "jpeg"
        slow = doc._render_pdfium(0, 300)  # type: ignore[attr-defined]
    assert fast.image.size == slow.size
    difference = ImageStat.Stat(ImageChops.difference(fast.image.convert("RGB"), slow)).mean
    assert max(difference) < 8


def test_placement_parser() -> None:
    assert single_image_placement(b"q 384 0 0 470.88 0 0 cm /Im1 Do Q") is not None
    assert single_image_placement(b"q Q q /Perceptual ri q 1 0 0 1 0 0 cm /Im1 Do Q Q")
    assert single_image_placement(b"q 1 0 0 1 0 0 cm /Im1 Do /Im2 Do Q") is None
    assert single_image_placement(b"BT /F1 12 Tf (x) Tj ET /Im1 Do") is None
    assert single_image_placement(b"BT 3 Tr /F1 12 Tf (x) Tj ET /Im1 Do") is not None


def test_many_pages_renders_the_last_page(previewer: Previewer) -> None:
    name = "many-pages-117_samplefiles-GeoTopo-komprimiert.pdf"
    sha = _register(name)
    assert previewer.page_count(sha, name) == 117
    rendered = previewer.render(sha, name, 116, 80, 40)
    assert rendered.error is None and rendered.page_count == 117
    assert len(rendered.lines) == 40
    beyond = previewer.render(sha, name, 117, 80, 40)
    assert beyond.error_kind is ErrorKind.PAGE_RANGE


def test_jbig2_scan_renders_without_external_decoder(previewer: Previewer) -> None:
    name = "scan-jbig2-1p_ocrmypdf-linn.pdf"
    rendered = previewer.render(_register(name), name, 0, 80, 40)
    assert rendered.error is None
    assert rendered.info is not None and rendered.info.scanned


def test_limit_reached_page_still_renders(previewer: Previewer) -> None:
    """Page 2 holds a 9000×9000 image that pypdf refuses to decompress; pdfium draws it."""
    name = "scan-multipage-6p_ocrmypdf-multipage.pdf"
    rendered = previewer.render(_register(name), name, 1, 80, 40)
    assert rendered.error is None


def test_missing_blob_is_a_message() -> None:
    def reader(sha: str) -> bytes:
        raise FileNotFoundError(sha)

    with Previewer(reader, isolate=False) as previewer:
        rendered = previewer.render("0" * 64, "a.pdf", 0, 80, 40)
    assert rendered.error_kind is ErrorKind.MISSING and rendered.error


# --- hostile input ------------------------------------------------------------------------------


def _png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def _pdf_with_page(media_box: str, content: bytes = b"") -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [" + media_box.encode() + b"] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@pytest.mark.parametrize(
    ("label", "data", "name"),
    [
        ("png 50000x50000", _png_declaring(50000, 50000), "huge.png"),
        ("png 12000x12000", _png_declaring(12000, 12000), "big.png"),
        ("random bytes", bytes(range(256)) * 64, "random.pdf"),
        ("random no name", hashlib.sha512(b"x").digest() * 100, "blob"),
        ("empty", b"", "empty.pdf"),
        ("huge page", _pdf_with_page("0 0 14400000 14400000", b"0 0 m 1 1 l S"), "huge.pdf"),
        ("zero page", _pdf_with_page("0 0 0 0"), "zero.pdf"),
    ],
)
def test_hostile_input_fails_fast(previewer: Previewer, label: str, data: bytes, name: str) -> None:
    sha = hashlib.sha256(data).hexdigest()
    BLOBS[sha] = data
    started = time.monotonic()
    rendered = previewer.render(sha, name, 0, 80, 40)
    assert time.monotonic() - started < 10, label
    assert rendered.error is not None or len(rendered.lines) == 40, label


def test_declared_huge_png_is_refused_before_decoding() -> None:
    with pytest.raises(PreviewError) as caught:
        open_document(_png_declaring(50000, 50000), "huge.png").page_image(0, 100)
    assert caught.value.kind is ErrorKind.TOO_LARGE


def test_timeout_kills_and_replaces_the_worker() -> None:
    """A page slower than the timeout gives a timeout message; the next request still works."""
    data = _data("scan-multipage-6p_ocrmypdf-multipage.pdf")
    runner = ProcessRunner(workers=1, timeout=20.0)
    try:
        runner.warm_up()
        sha = hashlib.sha256(data).hexdigest()
        runner.open(sha, "m.pdf", lambda: data)
        with pytest.raises(PreviewError) as caught:
            # The 9000×9000 page takes ~200 ms; 10 ms cannot be enough.
            runner.page(sha, "m.pdf", lambda: data, 1, 1024, False, timeout=0.01)
        assert caught.value.kind is ErrorKind.TIMEOUT and "超时" in caught.value.message_zh
        render, _ = runner.page(sha, "m.pdf", lambda: data, 0, 256, False)
        assert render.image.size[0] > 0
    finally:
        runner.close()


def test_render_page_bounded_never_raises() -> None:
    result = render_page_bounded(b"not even a pdf file", "bad.pdf", 0, 256)
    assert result.image is None and result.error is not None
    assert result.error.kind is ErrorKind.NOT_PDF
    good = render_page_bounded(
        _data("pdf20-simple_pdf20examples-Simple-PDF-2.0-file.pdf"), "a.pdf", 0, 256
    )
    assert good.error is None and good.image is not None
    assert good.text is not None and "Hello World" in good.text.text
