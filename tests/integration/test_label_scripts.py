"""Labels in every script a declaration may hold and in the pages' languages (issue 14): a
Chinese product name is drawn in a CJK font (fontconfig fallback) in PNG and PDF, not as
.notdef boxes, and its QR code still decodes with zbar and zxing-cpp; CJK text breaks between
characters; ZPL draws CJK lines as ^GF graphic fields (the printer's font has none), dot for dot
as the PNG draws them; lang= and --lang print the
label's words in English, German or Chinese, by default in the language of the product's first
market."""
import re
import subprocess

import pytest

from conftest import cli, declaration
from test_labels import decode, pdf_text, rasterise_pdf, zxing

CJK_NAME = "智能摄像头 X1"


def put(server, token, pid, **fields):
    r = server.put("/v1/products/" + pid, token, json=declaration(id=pid, **fields))
    assert r.status_code == 201, r.text
    return server.url + "/p/" + pid


def get(server, pid, fmt, tmp_path, name=None, **params):
    r = server.get("/p/%s/label.%s" % (pid, fmt), params=params)
    assert r.status_code == 200, r.text
    path = tmp_path / (name or "%s.%s" % (pid, fmt))
    path.write_bytes(r.content)
    return r, path


def fonts(pdf):
    """The names of the fonts a PDF embeds, from pdffonts."""
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True,
                         timeout=60).stdout.splitlines()[2:]
    return [line.split()[0] for line in out]


@pytest.fixture
def cjk(server, acme):
    return put(server, acme, "acme-zn-cam", product_name=CJK_NAME, markets=["CN"])


def test_pdf_embeds_a_cjk_font_and_prints_the_name(server, cjk, tmp_path):
    _, pdf = get(server, "acme-zn-cam", "pdf", tmp_path)
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True,
                         timeout=60).stdout.splitlines()[2:]
    # DejaVu for the Latin text, and a CID font (Identity-H: any glyph of a large font) embedded
    # for the Chinese; cairo names a font it emboldens itself (WenQuanYi has no bold) CairoFont.
    assert any(line.startswith(("DejaVu", "PSGIAT+DejaVu")) or "DejaVu" in line for line in out)
    cjk_fonts = [line for line in out if "DejaVu" not in line]
    assert cjk_fonts and all("Identity-H" in line and " yes " in line for line in cjk_fonts), out
    assert "智能摄像头" in pdf_text(pdf).replace(" ", "")
    pages = rasterise_pdf(pdf, tmp_path)
    assert decode(*pages) == [cjk]


def test_png_draws_chinese_glyphs_not_boxes_and_scans(server, acme, cjk, tmp_path):
    # .notdef boxes are all one shape of one width: the same characters in another order give
    # the same pixels. Real glyphs do not. (The same product, renamed: same QR code and ID.)
    a = get(server, "acme-zn-cam", "png", tmp_path, "a.png")[1]
    assert get(server, "acme-zn-cam", "png", tmp_path, "a2.png")[1].read_bytes() == a.read_bytes()
    r = server.put("/v1/products/acme-zn-cam", acme,
                   json=declaration(id="acme-zn-cam", product_name="能智像摄头 X1", markets=["CN"]))
    assert r.status_code == 200, r.text
    b = get(server, "acme-zn-cam", "png", tmp_path, "b.png")[1]
    assert a.read_bytes() != b.read_bytes()
    for path in (a, b):
        assert decode(path) == [cjk]
        assert zxing(path) == [cjk]


def svg_lines(svg):
    import xml.etree.ElementTree as ET
    ns = "{http://www.w3.org/2000/svg}"
    return [t.text for t in ET.fromstring(svg).iter(ns + "text")]


def test_chinese_breaks_between_characters(server, acme, tmp_path):
    # A long name without spaces: before, it could only shrink on one line and was refused.
    name = "智能家庭安全摄像头带夜视和双向语音功能"
    put(server, acme, "acme-zn-long", product_name=name)
    r, _ = get(server, "acme-zn-long", "svg", tmp_path)
    lines = svg_lines(r.content)
    name_lines = [ln for ln in lines if ln and ln[0] in name]
    assert len(name_lines) > 1 and "".join(name_lines) == name, lines
    # no line starts with closing punctuation
    put(server, acme, "acme-zn-punct", product_name="智能摄像头，带夜视。智能摄像头，带夜视。")
    r, _ = get(server, "acme-zn-punct", "svg", tmp_path)
    assert not any(ln.startswith(("，", "。")) for ln in svg_lines(r.content))


def zpl_graphics(zpl):
    """The ^GF fields of a ZPL label as (x, y, image) with Pillow, black (0) where the printer
    prints a dot: each field's uncompressed ASCII hex unpacked, its byte counts checked."""
    from PIL import Image, ImageOps
    out = []
    for x, y, total, count, row, data in re.findall(
            r"\^FO(\d+),(\d+)\^GFA,(\d+),(\d+),(\d+),([0-9A-F]*)\^FS", zpl):
        total, row = int(total), int(row)
        assert total == int(count) == len(data) // 2 and total % row == 0, (total, count, row)
        img = Image.frombytes("1", (row * 8, total // row), bytes.fromhex(data))
        out.append((int(x), int(y), ImageOps.invert(img.convert("L"))))
    return out


@pytest.mark.parametrize("lang, printed", [("zh", "/p/acme-zn-cam"), ("en", "ID: acme-zn-cam")])
def test_zpl_draws_cjk_lines_as_the_png_does(server, cjk, lang, printed, tmp_path):
    r, _ = get(server, "acme-zn-cam", "zpl", tmp_path, lang=lang)
    zpl = r.content.decode()
    fields = re.findall(r"\^FD(.*?)\^FS", zpl)
    assert all(ord(c) < 0x100 for fd in fields for c in fd), fields  # font 0 prints Latin-1
    assert any(printed in fd for fd in fields), fields  # Latin-1 lines stay printer text
    qr = re.search(r"\^BQN[^\n]*?\^FD..,([^\^]*)\^FS", zpl).group(1)
    assert qr == cjk
    graphics = zpl_graphics(zpl)
    assert len(graphics) >= (4 if lang == "zh" else 1)  # the name; in zh, the words too
    # the independent check: the bitmaps are the PNG's dark dots in the same places
    from PIL import Image
    _, png = get(server, "acme-zn-cam", "png", tmp_path, lang=lang)
    label = Image.open(png).convert("L")
    w, h = (int(v) for v in re.search(r"\^PW(\d+)\n\^LL(\d+)", zpl).groups())
    assert label.size == (w, h)
    for x, y, img in graphics:
        assert x + img.width <= w + 7 and y + img.height <= h
        ours = img.load()
        theirs = label.crop((x, y, x + img.width, y + img.height)).load()
        both = either = 0
        for j in range(img.height):
            for i in range(min(img.width, w - x)):
                a, b = ours[i, j] < 128, theirs[i, j] < 128
                both += a and b
                either += a or b
        assert both > 50 and both / either > 0.97, (x, y, both, either)


@pytest.fixture
def de_cam(server, acme):
    return put(server, acme, "acme-de-cam", product_name="Acme Kamera", markets=["AT", "FR"])


def test_lang_prints_german_and_chinese_words(server, de_cam, tmp_path):
    en = " ".join(svg_lines(get(server, "acme-de-cam", "svg", tmp_path, lang="en")[0].content))
    de = " ".join(svg_lines(get(server, "acme-de-cam", "svg", tmp_path, lang="de")[0].content))
    zh = " ".join(svg_lines(get(server, "acme-de-cam", "svg", tmp_path, lang="zh")[0].content))
    assert "Security updates" in en and "Unique password per device" in en
    assert "Sicherheitsupdates" in de and "Eigenes Passwort je Gerät" in de
    assert "Sicherheitsprobleme melden:" in de and "security@acme.example" in de
    assert "安全更新截至" in zh and "每台设备密码唯一" in zh and "报告安全问题" in zh
    _, pdf = get(server, "acme-de-cam", "pdf", tmp_path, lang="zh")
    assert "安全更新截至" in pdf_text(pdf).replace(" ", "")
    _, pdf = get(server, "acme-de-cam", "pdf", tmp_path, "de.pdf", lang="de")
    assert "Sicherheitsupdates bis 2031-12-31" in pdf_text(pdf)
    _, png = get(server, "acme-de-cam", "png", tmp_path, lang="zh")
    assert decode(png) == [de_cam] and zxing(png) == [de_cam]


def test_default_language_is_the_first_markets(server, acme, de_cam, cjk, tmp_path):
    put(server, acme, "acme-sg-cam", product_name="Acme Cam", markets=["SG", "DE"])
    put(server, acme, "acme-no-market", product_name="Acme Cam")
    text = lambda pid: " ".join(svg_lines(get(server, pid, "svg", tmp_path)[0].content))
    assert "Sicherheitsupdates" in text("acme-de-cam")  # AT
    assert "安全更新截至" in text("acme-zn-cam")  # CN
    assert "Security updates" in text("acme-sg-cam")  # SG: English
    assert "Security updates" in text("acme-no-market")
    de = get(server, "acme-de-cam", "svg", tmp_path)[0]
    assert de.content == get(server, "acme-de-cam", "svg", tmp_path, lang="de")[0].content


def test_etag_differs_per_language(server, de_cam):
    tags = {lang: server.get("/p/acme-de-cam/label.png", params={"lang": lang}).headers["ETag"]
            for lang in ("en", "de", "zh")}
    assert len(set(tags.values())) == 3
    r = server.get("/p/acme-de-cam/label.png", params={"lang": "de"},
                   headers={"If-None-Match": tags["de"]})
    assert r.status_code == 304


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf", "zpl"])
def test_unknown_lang_is_400_naming_the_languages(server, de_cam, fmt):
    r = server.get("/p/acme-de-cam/label." + fmt, params={"lang": "xx"})
    assert r.status_code == 400
    assert r.json()["error"] == "bad_request" and "en, de, zh" in r.json()["message"]


def test_cli_lang(server, acme, de_cam, tmp_path):
    out = tmp_path / "l.svg"
    r = cli("label", "acme-de-cam", "--format", "svg", "--lang", "zh", "-o", str(out),
            server=server)
    assert r.returncode == 0, r.stderr
    assert "安全更新截至" in " ".join(svg_lines(out.read_bytes()))
    r = cli("label", "acme-de-cam", "--lang", "xx", server=server)
    assert r.returncode != 0 and "en, de, zh" in r.stderr
    sheet = tmp_path / "s.pdf"
    r = cli("labels", "--manufacturer", "acme", "--lang", "de", "-o", str(sheet), server=server)
    assert r.returncode == 0, r.stderr
    assert "Sicherheitsupdates" in pdf_text(sheet)
    sheet = tmp_path / "d.pdf"  # default: each product's first market's
    r = cli("labels", "--manufacturer", "acme", "-o", str(sheet), server=server)
    assert r.returncode == 0, r.stderr
    assert "Sicherheitsupdates" in pdf_text(sheet)
