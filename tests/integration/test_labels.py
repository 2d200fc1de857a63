"""Packaging labels (issue 5), scanned by real decoders: PNG with zbarimg, SVG rasterised by
rsvg-convert, PDF rasterised by pdftoppm, ZPL checked for structure and payload; the printed
text read back (pdftotext, SVG text nodes); sizes refused with what would fit; caching; the CLI's
single labels, terminal preview and a 100-label sheet decoded label by label."""
import re
import struct
import subprocess
import time
import zlib
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image

from conftest import Server, add_manufacturer, cli, declaration

GTIN = "5012345678900"


def zbar(*paths):
    """Every QR code zbarimg finds in the images, as a list of strings."""
    r = subprocess.run(["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable"]
                       + [str(p) for p in paths], capture_output=True, text=True, timeout=60)
    return [line for line in r.stdout.splitlines() if line]


def zxing(*paths):
    """Every QR code zxing-cpp (a second, independent decoder) finds in the images."""
    found = []
    for p in paths:
        with Image.open(p) as img:
            found += [r.text for r in zxingcpp.read_barcodes(img.convert("L"),
                                                             formats=zxingcpp.BarcodeFormat.QRCode)]
    return found


def decode(*paths):
    """Every QR code in the images, as a list of strings, read by zbarimg; zxing-cpp must read
    the same codes, so a label is only as good as both decoders say."""
    found = zbar(*paths)
    assert sorted(zxing(*paths)) == sorted(found), "zxing-cpp and zbar disagree on %s" % paths
    return found


def rasterise_svg(svg, tmp_path):
    png = tmp_path / "svg.png"
    subprocess.run(["rsvg-convert", "-d", "300", "-p", "300", "-b", "white", "-o", str(png),
                    str(svg)], check=True, timeout=60)
    return png


def rasterise_pdf(pdf, tmp_path, dpi=300):
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    return sorted(tmp_path.glob("page-*.png"))


def decode_sheet(pdf, tmp_path, dpi=300):
    """Every QR code on every page of a label sheet. zbarimg misses some codes on a page that
    holds dozens, so each page is scanned in overlapping windows, each larger than a label by
    more than the step, so every label lies whole in at least one window; the results are
    united. Each page is rendered once (grey, PGM) and the windows are cut from it here, all
    scanned by one zbarimg: a pdftoppm and a zbarimg per window made this the suite's slowest
    test."""
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(pdf), str(tmp_path / "sheet")],
                   check=True, timeout=120)
    win, step = int(110 / 25.4 * dpi), int(50 / 25.4 * dpi)  # 110 mm windows every 50 mm
    windows = []
    for page in sorted(tmp_path.glob("sheet-*.pgm")):
        data = page.read_bytes()
        m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", data)
        width, height = int(m.group(1)), int(m.group(2))
        pixels = data[m.end():]
        assert len(pixels) == width * height
        for y in range(0, max(height - win, 0) + step, step):
            for x in range(0, max(width - win, 0) + step, step):
                w, h = min(win, width - x), min(win, height - y)
                rows = b"".join(pixels[(y + r) * width + x:(y + r) * width + x + w]
                                for r in range(h))
                out = tmp_path / ("%s-%d-%d.pgm" % (page.stem, x, y))
                out.write_bytes(b"P5\n%d %d\n255\n" % (w, h) + rows)
                windows.append(out)
    assert windows, "pdftoppm made no page"
    # zbar alone: a window may cut a code that one decoder still reads and the other not.
    return set(zbar(*windows))


def pdf_text(pdf):
    """The PDF's text with line breaks as spaces (label text wraps to fit)."""
    return " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                   text=True, check=True, timeout=60).stdout.split())


@pytest.fixture
def cam(server, acme):
    r = server.put("/v1/products/acme-cam", acme, json=declaration(
        id="acme-cam", gtin=GTIN, product_name="Acme Indoor Camera & <Co>"))
    assert r.status_code == 201
    return server.url + "/01/0" + GTIN


def fetch(server, fmt, tmp_path, **params):
    r = server.get("/p/acme-cam/label." + fmt, params=params)
    assert r.status_code == 200, r.text
    path = tmp_path / ("label." + fmt)
    path.write_bytes(r.content)
    return r, path


def test_png_scans_to_the_gs1_digital_link(server, cam, tmp_path):
    r, path = fetch(server, "png", tmp_path)
    assert r.headers["Content-Type"] == "image/png"
    assert decode(path) == [cam]


def png_phys(data):
    """The pHYs chunk of a PNG as (x, y, unit), read with struct: each chunk's CRC checked,
    pHYs required before the first IDAT (as the PNG specification says); None if absent."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, phys = 8, None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        if kind == b"pHYs":
            phys = struct.unpack(">IIB", body)
        if kind in (b"IDAT", b"IEND"):
            return phys
        pos += 12 + length
    raise AssertionError("PNG without IDAT")


@pytest.mark.parametrize("dpi", [72, 203, 300, 600, 1200])
def test_png_says_its_dpi_in_phys(server, cam, tmp_path, dpi):
    """Design tools place a PNG by its pHYs (pixels per metre, unit 1 = metre); without it
    they assume 72 or 96 dpi and a 20 mm code at 1200 dpi comes out 250 mm wide."""
    r, _ = fetch(server, "png", tmp_path, dpi=dpi)
    x, y, unit = png_phys(r.content)
    assert unit == 1 and x == y == round(dpi / 0.0254)
    assert round(x * 0.0254) == dpi
    out = tmp_path / "cli.png"
    c = cli("label", "acme-cam", "--dpi", dpi, "-o", out, server=server)
    assert c.returncode == 0, c.stderr
    assert png_phys(out.read_bytes()) == (x, y, unit)


def test_svg_is_vector_with_text_as_text_and_scans(server, cam, tmp_path):
    r, path = fetch(server, "svg", tmp_path)
    assert r.headers["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(r.content)
    texts = " ".join(" ".join("".join(t.itertext()).split())
                     for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "Acme Indoor Camera & <Co>" in texts
    assert "Security updates until 2031-12-31" in texts
    assert "security@acme.example" in texts
    assert decode(rasterise_svg(path, tmp_path)) == [cam]


def test_pdf_is_vector_with_text_and_scans(server, cam, tmp_path):
    r, path = fetch(server, "pdf", tmp_path)
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    text = pdf_text(path)
    assert "Security updates until 2031-12-31" in text and "Acme Indoor" in text
    pages = rasterise_pdf(path, tmp_path)
    assert len(pages) == 1 and decode(pages[0]) == [cam]


def test_zpl_has_structure_and_payload(server, cam, tmp_path):
    r, _ = fetch(server, "zpl", tmp_path, dpi=203)
    z = r.text
    assert z.startswith("^XA") and z.rstrip().endswith("^XZ")
    assert "^BQN" in z
    fd = re.search(r"\^BQN[^\n]*?\^FD([^\^]*)\^FS", z)
    assert fd and fd.group(1).endswith(cam)  # "MA," (error correction M, input mode A) first


def test_full_and_compact_layouts(server, cam, tmp_path):
    _, full = fetch(server, "pdf", tmp_path)
    text = pdf_text(full)
    for words in ("Report security problems", "security@acme.example", "acme-cam",
                  "/p/acme-cam"):
        assert words in text, words
    compact = tmp_path / "compact.pdf"
    compact.write_bytes(server.get("/p/acme-cam/label.pdf", params={"layout": "compact"}).content)
    ctext = pdf_text(compact)
    assert "Security updates until 2031-12-31" in ctext
    assert "Report security problems" not in ctext


def test_labels_are_deterministic_and_cached_with_etags(server, cam, tmp_path):
    for fmt in ("png", "svg", "pdf", "zpl"):
        a = server.get("/p/acme-cam/label." + fmt)
        b = server.get("/p/acme-cam/label." + fmt, params={"ec": "M"})
        assert a.content == b.content, fmt
        tag = a.headers["ETag"]
        again = server.get("/p/acme-cam/label." + fmt, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b""
    other = server.get("/p/acme-cam/label.png", params={"layout": "compact"})
    assert other.headers["ETag"] != server.get("/p/acme-cam/label.png").headers["ETag"]


def test_a_restarted_server_never_answers_304_for_a_label_it_may_draw_differently(tmp_path):
    """A new program or font package, which only a restart brings, may draw the same record
    differently (it did: pHYs, CJK glyphs, the fitting): a label's validators change with the
    server's start, so a client holding the old label downloads the new one."""
    args = ("--public-url", "https://labels.example")
    first = Server(tmp_path / "data", *args)
    try:
        token = add_manufacturer(first.data, "acme", "Acme Devices Ltd")
        assert first.put("/v1/products/acme-cam", token,
                         json=declaration(id="acme-cam")).status_code == 201
        time.sleep(1.1)  # no Last-Modified within the second of the change (RFC 9110 8.8.2.2)
        old = first.get("/p/acme-cam/label.png")
        assert first.get("/p/acme-cam/label.png").headers["ETag"] == old.headers["ETag"]
    finally:
        first.stop()
    time.sleep(1.1)  # the start is counted in seconds
    second = Server(tmp_path / "data", *args)
    try:
        new = second.get("/p/acme-cam/label.png")
        assert new.content == old.content  # same program: same bytes; yet the tag moves on
        assert new.headers["ETag"] != old.headers["ETag"]
        assert second.get("/p/acme-cam/label.png", headers={
            "If-None-Match": old.headers["ETag"]}).status_code == 200
        assert second.get("/p/acme-cam/label.png", headers={
            "If-Modified-Since": old.headers["Last-Modified"]}).status_code == 200
    finally:
        second.stop()


def test_sizes_that_cannot_scan_are_refused_with_what_fits(server, cam, tmp_path):
    r = server.get("/p/acme-cam/label.pdf", params={"width_mm": 12, "height_mm": 10})
    assert r.status_code == 422 and r.json()["error"] == "label_refused"
    m = re.search(r"use at least (\d+) mm height and (\d+) mm width", r.json()["message"])
    assert m, r.json()["message"]
    h, w = m.groups()
    ok = server.get("/p/acme-cam/label.pdf", params={"width_mm": w, "height_mm": h})
    assert ok.status_code == 200
    for bad in ({"dpi": "5"}, {"layout": "tiny"}, {"ec": "X"}, {"width_mm": "abc"}):
        assert server.get("/p/acme-cam/label.png", params=bad).status_code == 400, bad


def test_no_label_for_withdrawn_or_broken_promises(server, acme, cam):
    server.put("/v1/products/acme-hub", acme,
               json=declaration(id="acme-hub", default_password="universal"))
    r = server.get("/p/acme-hub/label.svg")
    assert r.status_code == 422 and "universal default password" in r.json()["message"]
    server.post("/v1/products/acme-cam/withdraw", acme)
    r = server.get("/p/acme-cam/label.zpl")
    assert r.status_code == 422 and "withdrawn" in r.json()["message"]


# --- the CLI ----------------------------------------------------------------------------------

def test_cli_label_formats_and_terminal_preview(server, cam, tmp_path):
    for fmt in ("png", "svg", "pdf", "zpl"):
        out = tmp_path / ("cli." + fmt)
        r = cli("label", "acme-cam", "--format", fmt, "--layout", "full", "-o", out,
                server=server)
        assert r.returncode == 0, r.stderr
        assert out.read_bytes() == server.get("/p/acme-cam/label." + fmt).content
    r = cli("label", "acme-cam", "--format", "term", server=server)
    assert r.returncode == 0 and "█" in r.stdout and cam in r.stdout
    r = cli("label", "acme-cam", "--size", "5x5", "-o", tmp_path / "x.png", server=server)
    assert r.returncode == 2
    r = cli("label", "acme-cam", "--size", "12x10", "-o", tmp_path / "x.png", server=server)
    assert r.returncode == 1 and "use at least" in r.stderr
    assert cli("label", "acme-cam", "--format", "gif", server=server).returncode == 2


def test_cli_prints_a_100_label_sheet_that_all_scans(server, acme, tmp_path):
    for i in range(100):
        r = server.put("/v1/products/acme-lamp-%03d" % i, acme,
                       json=declaration(id="acme-lamp-%03d" % i, product_name="Lamp %d" % i))
        assert r.status_code == 201
    sheet = tmp_path / "sheet.pdf"
    r = cli("labels", "--manufacturer", "acme", "--sheet", "a4", "--crop-marks",
            "--layout", "compact", "-o", sheet, server=server)
    assert r.returncode == 0, r.stderr
    assert "100 labels" in r.stdout
    want = {server.url + "/p/acme-lamp-%03d" % i for i in range(100)}
    assert decode_sheet(sheet, tmp_path, dpi=300) == want


def test_cli_sheet_from_an_id_file_reports_what_it_skipped(server, acme, cam, tmp_path):
    server.put("/v1/products/acme-hub", acme,
               json=declaration(id="acme-hub", default_password="universal"))
    ids = tmp_path / "ids.txt"
    ids.write_text("# catalogue\nacme-cam\nacme-hub\nno-such-thing\n")
    sheet = tmp_path / "s.pdf"
    r = cli("labels", "--ids", ids, "--sheet", "letter", "-o", sheet, server=server)
    assert r.returncode == 1
    assert "skipped acme-hub" in r.stderr and "no product 'no-such-thing'" in r.stderr
    assert decode(rasterise_pdf(sheet, tmp_path)[0]) == [cam]
    assert cli("labels", "-o", sheet, server=server).returncode == 2
