"""The whole path a label takes: a manufacturer registers through the CLI, the registry stores
it, a retailer reads the JSON, a shopper opens the page, and the QR code on the label, decoded
by a real scanner (zbarimg), leads to exactly that page."""
import json
import subprocess

from conftest import Server, add_manufacturer, cli, declaration


def decode_qr(png_path):
    r = subprocess.run(["zbarimg", "--raw", "-q", str(png_path)], capture_output=True, text=True)
    assert r.returncode == 0, "zbarimg found no QR code in %s: %s" % (png_path, r.stderr)
    return r.stdout.strip()


def test_register_read_page_and_scan_label(server, acme, write_decl, tmp_path):
    r = cli("register", write_decl(declaration()), server=server, token=acme)
    assert r.returncode == 0, r.stderr
    assert "registered acme-cam-1 (version 1)" in r.stdout
    r = cli("register", write_decl(declaration()), server=server, token=acme)
    assert r.returncode == 0 and "unchanged acme-cam-1 (version 1)" in r.stdout

    rec = server.get("/v1/products/acme-cam-1").json()
    assert rec["product_name"] == "Acme Indoor Camera"
    assert rec["support_date"] == "2031-12-31"
    assert rec["manufacturer"] == "acme"
    assert rec["version"] == 1 and rec["status"] == "active"
    assert rec["created"].endswith("Z") and rec["modified"] == rec["created"]
    page_url = server.url + "/p/acme-cam-1"
    assert rec["qr_url"] == page_url

    page = server.get("/p/acme-cam-1")
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Acme Indoor Camera</h1>" in page.text
    assert "Security updates until 31 December 2031" in page.text
    assert 'href="mailto:security@acme.example"' in page.text

    out = tmp_path / "label.png"
    r = cli("label", "acme-cam-1", "-o", out, server=server)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert decode_qr(out) == page_url


def test_label_uses_public_url_not_listen_address(tmp_path):
    s = Server(tmp_path / "data", "--public-url", "https://labels.example.org/")
    try:
        token = add_manufacturer(s.data, "acme", "Acme Devices Ltd")
        assert s.put("/v1/products/acme-cam-1", token, json=declaration()).status_code == 201
        assert s.get("/v1/products/acme-cam-1").json()["qr_url"] == \
            "https://labels.example.org/p/acme-cam-1"
        png = s.get("/p/acme-cam-1/label.png")
        assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
        (tmp_path / "l.png").write_bytes(png.content)
        assert decode_qr(tmp_path / "l.png") == "https://labels.example.org/p/acme-cam-1"
    finally:
        s.stop()


def test_update_creates_version_2_and_keeps_created(server, acme):
    first = server.put("/v1/products/acme-cam-1", acme, json=declaration())
    assert first.status_code == 201
    assert first.headers["Location"] == "/v1/products/acme-cam-1"
    second = server.put("/v1/products/acme-cam-1", acme,
                        json=declaration(support_date="2032-06-30"))
    assert second.status_code == 200
    rec = second.json()
    assert rec["version"] == 2 and rec["support_date"] == "2032-06-30"
    assert rec["created"] == first.json()["created"]
    assert server.get("/v1/products/acme-cam-1").json() == rec
    assert first.headers["Seclabel-Change"] == "created"
    assert second.headers["Seclabel-Change"] == "updated"
    third = server.put("/v1/products/acme-cam-1", acme,
                       json=declaration(support_date="2032-06-30", gtin="5012345678900"))
    fourth = server.put("/v1/products/acme-cam-1", acme,
                        json=declaration(support_date="2032-06-30", gtin="05012345678900"))
    assert third.json()["version"] == 3 and fourth.json()["version"] == 3
    assert fourth.headers["Seclabel-Change"] == "unchanged"


def test_another_manufacturers_token_gets_403_and_changes_nothing(server, acme, write_decl):
    assert server.put("/v1/products/acme-cam-1", acme, json=declaration()).status_code == 201
    before = server.get("/v1/products/acme-cam-1").content
    evil = add_manufacturer(server.data, "evil", "Evil Corp")
    r = server.put("/v1/products/acme-cam-1", evil,
                   json=declaration(product_name="Hijacked", default_password="universal"))
    assert r.status_code == 403
    assert r.json()["error"] == "forbidden"
    assert server.get("/v1/products/acme-cam-1").content == before
    c = cli("register", write_decl(declaration(product_name="Hijacked")), server=server,
            token=evil)
    assert c.returncode == 4
    assert "belongs to manufacturer 'acme'" in c.stderr
    assert server.get("/v1/products/acme-cam-1").content == before
    # Nor can it create products in Acme's namespace, or speak in Acme's name on its own.
    r = server.put("/v1/products/acme-cam-2", evil,
                   json=declaration(id="acme-cam-2", manufacturer_name=None))
    assert r.status_code == 403 and r.json()["error"] == "id_outside_namespace"
    r = server.put("/v1/products/evil-cam-1", evil, json=declaration(id="evil-cam-1"))
    assert r.status_code == 403 and r.json()["error"] == "manufacturer_name_mismatch"
    for pid in ("acme-cam-2", "evil-cam-1"):
        assert server.get("/v1/products/" + pid).status_code == 404


def test_shopper_page_escapes_what_manufacturers_write(server, acme):
    d = declaration(product_name='<script>alert("x")</script> & Co',
                    security_contact="https://acme.example/report?a=1&b=\"2\"")
    r = server.put("/v1/products/acme-cam-1", acme, json=d)
    assert r.status_code == 400  # the quote makes the contact URL invalid
    d["security_contact"] = "https://acme.example/report?a=1&b=2"
    assert server.put("/v1/products/acme-cam-1", acme, json=d).status_code == 201
    page = server.get("/p/acme-cam-1").text
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page
    assert 'href="https://acme.example/report?a=1&amp;b=2"' in page


def test_pages_show_support_status_in_words(server, acme):
    server.put("/v1/products/acme-old", acme,
               json=declaration(id="acme-old", support_date="2020-03-03"))
    page = server.get("/p/acme-old").text
    assert "Security updates ended on 3 March 2020" in page
    assert "no longer gets security fixes" in page
    home = server.get("/")
    assert home.status_code == 200 and 'href="/p/acme-old"' in home.text


def test_no_label_for_a_product_that_breaks_a_promise(server, acme):
    server.put("/v1/products/acme-bad", acme,
               json=declaration(id="acme-bad", default_password="universal"))
    r = server.get("/p/acme-bad/label.png")
    assert r.status_code == 422
    assert r.json()["error"] == "label_refused"
    assert "Universal default password" in server.get("/p/acme-bad").text


def test_data_survives_a_restart(tmp_path):
    s = Server(tmp_path / "data")
    try:
        token = add_manufacturer(s.data, "acme", "Acme Devices Ltd")
        assert s.put("/v1/products/acme-cam-1", token, json=declaration()).status_code == 201
        rec = s.get("/v1/products/acme-cam-1").json()
    finally:
        assert s.stop() == 0
    assert "seclabeld: stopped" in s.log()
    s2 = Server(tmp_path / "data")
    try:
        rec2 = s2.get("/v1/products/acme-cam-1").json()
        assert {k: v for k, v in rec2.items() if k != "qr_url"} == \
            {k: v for k, v in rec.items() if k != "qr_url"}
    finally:
        s2.stop()


def test_label_sizes_a_printer_can_use(server, acme, tmp_path):
    server.put("/v1/products/acme-cam-1", acme, json=declaration())
    big = server.get("/p/acme-cam-1/label.png?width_mm=100&height_mm=50&dpi=600")
    assert big.status_code == 200 and big.headers["Content-Type"] == "image/png"
    (tmp_path / "big.png").write_bytes(big.content)
    assert decode_qr(tmp_path / "big.png").endswith("/p/acme-cam-1")
    # A label too small to hold a scannable code is refused with the size that would work.
    tiny = server.get("/p/acme-cam-1/label.png?width_mm=12&height_mm=10")
    assert tiny.status_code == 422 and tiny.json()["error"] == "label_refused"
    assert "use at least" in tiny.json()["message"]
    bad = server.get("/p/acme-cam-1/label.png?dpi=5")
    assert bad.status_code == 400 and bad.json()["error"] == "bad_request"


def test_demo_data_loads_as_scripts_run_loads_it(server):
    """schema/examples/demo/<slug>/ follows the identity rules: registered the way scripts/run
    does (the maker's name, GS1 Company Prefixes and, if present, verification evidence from
    its folder), every demo declaration is accepted, and the pages show both a verified and an
    unverified maker."""
    from conftest import EXAMPLES
    verified = {}
    for folder in sorted(p for p in (EXAMPLES / "demo").iterdir() if p.is_dir()):
        slug = folder.name
        name = (folder / "manufacturer.txt").read_text().strip()
        prefixes = (folder / "gs1-prefixes.txt").read_text().split()
        token = add_manufacturer(server.data, slug, name, prefixes=prefixes)
        evidence = folder / "verification.txt"
        if evidence.exists():
            r = cli("admin", "manufacturer", "verify", slug, "--evidence",
                    evidence.read_text().strip(), "--data", server.data)
            assert r.returncode == 0, r.stderr
        verified[slug] = evidence.exists()
        for f in sorted(folder.glob("*.json")):
            r = cli("register", f, server=server, token=token)
            assert r.returncode == 0, (f.name, r.stderr)
            pid = json.loads(f.read_text())["id"]
            rec = server.get("/v1/products/" + pid).json()
            assert rec["manufacturer"] == slug and rec["manufacturer_name"] == name
            assert rec["manufacturer_account"]["verified"] is verified[slug]
    assert sorted(verified.values()) == [False, True], verified
    for slug, v in verified.items():
        page = server.get("/m/" + slug).text
        assert ("Verified by the registry on" in page) is v
        assert ("Not verified" in page) is not v
