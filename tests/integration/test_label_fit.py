"""The default full label fits every valid declaration (issue 14): every valid example and every
demo product gets one in every format, over HTTP and from `seclabel label`, and its QR code
decodes; so does a synthetic worst case (every text at the schema's maxLength, the longest ID,
the longest public URL seclabeld accepts); refusals of explicit sizes name a size that works
and never more than the API's maximum; one product that cannot be printed never stops a sheet."""
import json
import re

import pytest

from conftest import EXAMPLES, Server, add_manufacturer, cli, declaration
from test_cta2120 import VALID, maker_of
from test_labels import decode, decode_sheet, pdf_text, rasterise_pdf, rasterise_svg

FORMATS = ("png", "svg", "pdf", "zpl")
DEMO = sorted(EXAMPLES.glob("demo/*/*.json"))
API_MAX_MM = 400  # openapi.yaml: width_mm and height_mm maximum


def scanned(fmt, body, tmp_path):
    """What the label's QR code says: zbarimg on the PNG, the rasterised SVG or PDF; for ZPL,
    which the printer encodes, the ^BQN field's payload."""
    path = tmp_path / ("label." + fmt)
    path.write_bytes(body)
    if fmt == "png":
        return decode(path)
    if fmt == "svg":
        return decode(rasterise_svg(path, tmp_path))
    if fmt == "pdf":
        for old in tmp_path.glob("page-*.png"):
            old.unlink()
        return decode(*rasterise_pdf(path, tmp_path))
    fd = re.search(r"\^BQN[^\n]*?\^FD..,([^\^]*)\^FS", body.decode())
    return [fd.group(1)] if fd else []


def assert_default_labels(server, pid, tmp_path):
    """Every format of pid's default label, over HTTP and from the CLI, scans to its qr_url."""
    want = server.get("/v1/products/" + pid).json()["qr_url"]
    for fmt in FORMATS:
        r = server.get("/p/%s/label.%s" % (pid, fmt))
        assert r.status_code == 200, (pid, fmt, r.text)
        assert scanned(fmt, r.content, tmp_path) == [want], (pid, fmt)
        out = tmp_path / ("cli." + fmt)
        c = cli("label", pid, "--format", fmt, "-o", out, server=server)
        assert c.returncode == 0, (pid, fmt, c.stderr)
        assert out.read_bytes() == r.content, (pid, fmt)


def gets_a_label(decl):
    return decl["default_password"] != "universal"  # which never gets one (label.h)


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_every_valid_example_gets_a_default_label(server, path, tmp_path):
    decl = json.loads(path.read_text())
    pid = decl.get("id", "acme-" + path.stem)
    r = server.put("/v1/products/" + pid, maker_of(server, decl, pid), json=decl)
    assert r.status_code == 201, r.text
    if gets_a_label(decl):
        assert_default_labels(server, pid, tmp_path)
    else:
        assert server.get("/p/%s/label.png" % pid).status_code == 422


def test_every_demo_product_gets_a_default_label_and_a_sheet(server, tmp_path):
    tokens = {}
    for path in DEMO:
        slug = path.parent.name
        if slug not in tokens:
            tokens[slug] = add_manufacturer(
                server.data, slug, (path.parent / "manufacturer.txt").read_text().strip(),
                prefixes=(path.parent / "gs1-prefixes.txt").read_text().split())
        decl = json.loads(path.read_text())
        r = server.put("/v1/products/" + decl["id"], tokens[slug], json=decl)
        assert r.status_code == 201, r.text
    printable = {}
    for path in DEMO:
        decl = json.loads(path.read_text())
        if gets_a_label(decl):
            assert_default_labels(server, decl["id"], tmp_path)
            printable.setdefault(path.parent.name, set()).add(
                server.get("/v1/products/" + decl["id"]).json()["qr_url"])
    assert "nordlicht" in printable  # nordlicht-thermo-3, issue 14's example
    for slug, want in printable.items():
        sheet = tmp_path / (slug + ".pdf")
        r = cli("labels", "--manufacturer", slug, "--sheet", "a4", "-o", sheet, server=server)
        assert sheet.exists(), r.stderr
        (tmp_path / slug).mkdir()
        assert decode_sheet(sheet, tmp_path / slug) == want


# The longest of everything: the public URL seclabeld accepts (main.c: 400 characters), an ID
# of 64 characters (the schema's pattern), of the widest letter, and no GTIN, so the QR code carries the longest URL
# there is; name, model and contact at the schema's maxLength (2048 characters).
LONGEST_PUBLIC_URL = "https://" + "r" * 240 + ".example/" + "q" * 143
LONGEST_ID = "acme-" + "W" * 59  # IDs begin with the maker's slug


def worst_cases():
    words = " ".join(["Wandthermostat"] * 200)[:2048]
    yield "spaceless", dict(product_name="W" * 2048, product_model="M" * 2048,
                            security_contact="https://" + "W" * 2040)
    yield "words", dict(product_name=words, product_model=words,
                        security_contact="a" * 1999 + "@" + "b" * 40 + ".example")
    yield "cjk", dict(product_name="智能恒温器" * 409 + "器器器", product_model="型" * 2048,
                      security_contact="https://例え.example/" + "安" * 2020)


@pytest.fixture
def far_server(tmp_path):
    assert len(LONGEST_PUBLIC_URL) == 400
    s = Server(tmp_path / "far", "--public-url", LONGEST_PUBLIC_URL)
    yield s
    s.stop()


def test_the_worst_case_declaration_gets_a_default_label(far_server, tmp_path):
    token = add_manufacturer(far_server.data, "acme", "Acme Devices Ltd")
    for name, fields in worst_cases():
        for k in ("product_name", "product_model", "security_contact"):
            assert len(fields[k]) <= 2048, (name, k)
        pid = LONGEST_ID[:-len(name)] + name
        assert len(pid) == 64
        r = far_server.put("/v1/products/" + pid, token,
                           json=declaration(id=pid, default_password="unique_per_device",
                                            **fields))
        assert r.status_code == 201, r.text
        assert_default_labels(far_server, pid, tmp_path)
        flat = pdf_text(tmp_path / "label.pdf").replace(" ", "")  # lines break anywhere
        for words in ("Securityupdatesuntil2031-12-31", "Uniquepasswordperdevice", "ID:" + pid,
                      "\u2026"):
            assert words in flat, (name, words, flat)
    sheet = tmp_path / "worst.pdf"
    r = cli("labels", "--manufacturer", "acme", "--sheet", "a4", "-o", sheet, server=far_server)
    assert r.returncode == 0, r.stderr
    assert "3 labels" in r.stdout


def mm_in(message):
    return [float(x) for x in re.findall(r"(\d+(?:\.\d+)?) mm", message)]


@pytest.mark.parametrize("size", [(12, 10), (30, 12), (40, 20), (60, 25), (20, 60), (100, 12)])
def test_refusals_name_a_size_that_works_within_the_api_maximum(far_server, size, tmp_path):
    token = add_manufacturer(far_server.data, "acme", "Acme Devices Ltd")
    _, fields = next(worst_cases())
    far_server.put("/v1/products/" + LONGEST_ID, token,
                   json=declaration(id=LONGEST_ID, **fields))
    w, h = size
    r = far_server.get("/p/%s/label.pdf" % LONGEST_ID, params={"width_mm": w, "height_mm": h})
    if r.status_code == 200:
        return
    assert r.status_code == 422, r.text
    message = r.json()["message"]
    assert all(v <= API_MAX_MM for v in mm_in(message)), message
    m = re.search(r"use at least (\d+) mm (height|width)(?: and (\d+) mm width)?", message)
    assert m, message
    if m.group(3):
        h, w = m.group(1), m.group(3)
    elif m.group(2) == "height":
        h = m.group(1)
    else:
        w = m.group(1)
    ok = far_server.get("/p/%s/label.pdf" % LONGEST_ID, params={"width_mm": w, "height_mm": h})
    assert ok.status_code == 200, (size, message, ok.text)


def test_a_sheet_skips_the_product_that_cannot_be_printed_and_prints_the_rest(
        server, acme, tmp_path):
    for i in range(3):
        r = server.put("/v1/products/acme-lamp-%d" % i, acme,
                       json=declaration(id="acme-lamp-%d" % i, product_name="Lamp %d" % i))
        assert r.status_code == 201
    # an ID too wide for 4 lines beside a small label's QR code (IDs are never cut)
    r = server.put("/v1/products/" + LONGEST_ID, acme, json=declaration(id=LONGEST_ID))
    assert r.status_code == 201
    size = ["--size", "60x32"]
    assert server.get("/p/%s/label.pdf" % LONGEST_ID,
                      params={"width_mm": 60, "height_mm": 32}).status_code == 422
    sheet = tmp_path / "sheet.pdf"
    r = cli("labels", "--manufacturer", "acme", "--sheet", "a4", *size, "-o", sheet,
            server=server)
    assert r.returncode == 1, r.stderr  # a product asked for got no label
    skipped = re.findall(r"^seclabel: skipped (\S+): (.*)$", r.stderr, re.M)  # one line each
    assert len(skipped) == 1 and skipped[0][0] == LONGEST_ID, r.stderr
    assert "product ID does not fit" in skipped[0][1] and "use at least" in skipped[0][1]
    assert "wrote %s: 3 labels" % sheet in r.stdout
    want = {server.url + "/p/acme-lamp-%d" % i for i in range(3)}
    assert decode_sheet(sheet, tmp_path) == want
