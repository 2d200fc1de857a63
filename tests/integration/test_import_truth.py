"""Imports and exports that say what they did (issue 12): a CSV column left out changes nothing
and every removed field is named; an ID made from a CTA-2120 model never updates another
product; CTA-2120 documents the official schema accepts are accepted, every problem shown and
the largest documents taken; an export counts what it wrote and names what it skipped."""
import json
import re

from conftest import EXAMPLES, add_manufacturer, cli, declaration
from test_cta2120 import cta_validator
from test_decl_fields import table

CAM = json.loads((EXAMPLES / "valid" / "acme-cam-2-complete.json").read_text())
# Our fields that CTA-2120 has no place for: decl_fields.h's rows marked NONE.
OURS_ONLY = tuple(name for name, _, _, _, cta, _ in table() if cta == "NONE")


def gtin14(body):
    """A GTIN-14 from its first 13 digits, with its check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def cta_doc(qr_url, **fields):
    """A CTA-2120 document (the complete camera example, changed by `fields`) that the official
    schema accepts: the test fails here if it does not."""
    doc = {k: v for k, v in CAM.items() if k not in OURS_ONLY}
    doc.update(schema_version="1.0.0", QR_code_url=qr_url, created="2025-09-01T10:00:00Z",
               modified="2025-09-01T10:00:00Z", sbom_hbom_available=CAM["sbom_hbom_maintained"])
    doc.update(fields)
    errors = ["%s: %s" % (list(e.path), e.message) for e in cta_validator().iter_errors(doc)]
    assert not errors, errors
    return doc


def import_docs(server, token, tmp_path, *docs, name="cta.json"):
    f = tmp_path / name
    f.write_text(json.dumps(list(docs), ensure_ascii=False))
    return cli("import", f, "--default-password", "unique_per_device", server=server,
               token=token)


def ids_by_model(server):
    items = server.get("/v1/products", params={"manufacturer": "acme", "limit": 100}).json()
    return {rec["product_model"]: rec["id"] for rec in items["items"]}


def removed_by_row(stdout):
    """The summary's "line N (ID) removed a, b" lines, as {(N, ID): {a, b}}."""
    return {(int(n), pid): set(fields.split(", "))
            for n, pid, fields in re.findall(r"(?:line|entry) (\d+) \((\S+)\) removed (.*)",
                                             stdout)}


# --- CSV: a column left out says nothing --------------------------------------------------


def test_csv_import_changes_only_the_columns_it_has(server, acme, tmp_path):
    assert server.put("/v1/products/acme-cam-2", acme, json=CAM).status_code == 201
    before = server.get("/v1/products/acme-cam-2").json()
    f = tmp_path / "names.csv"
    f.write_text("id,product_name,access_control.user_changeable\n"
                 "acme-cam-2,Acme Camera 2 (renamed),false\n")
    r = cli("import", f, server=server, token=acme)
    assert r.returncode == 0, r.stderr
    assert "0 created, 1 updated, 0 unchanged, 0 failed" in r.stdout
    assert "removed" not in r.stdout
    after = server.get("/v1/products/acme-cam-2").json()
    want = dict(before, product_name="Acme Camera 2 (renamed)",
                access_control=dict(before["access_control"], user_changeable=False))
    changing = ("version", "modified", "compliance", "support_status", "log")
    assert {k: v for k, v in after.items() if k not in changing} == \
        {k: v for k, v in want.items() if k not in changing}
    # The same file again: nothing to do.
    assert "0 created, 0 updated, 1 unchanged" in cli("import", f, server=server,
                                                      token=acme).stdout

    # A column present with an empty cell removes the field, and the summary names each one.
    f.write_text("id,product_name,support_start,vulnerability_disclosure_policy,"
                 "access_control.password_change.url,markets\n"
                 "acme-cam-2,Acme Camera 2 (renamed),,,,GB\n")
    r = cli("import", f, server=server, token=acme)
    assert r.returncode == 0 and "0 created, 1 updated" in r.stdout, r.stderr
    assert removed_by_row(r.stdout) == {(2, "acme-cam-2"): {
        "support_start", "vulnerability_disclosure_policy", "access_control.password_change.url"}}
    after = server.get("/v1/products/acme-cam-2").json()
    assert "support_start" not in after and "vulnerability_disclosure_policy" not in after
    assert after["access_control"]["password_change"] == {
        "text": CAM["access_control"]["password_change"]["text"]}
    assert after["markets"] == ["GB"] and after["gtin"] == before["gtin"]

    # --json carries the same list.
    f.write_text("id,tested_by.contact,sensor_data_collection\nacme-cam-2,,\n")
    r = cli("import", f, "--json", server=server, token=acme)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["removed"] == [
        {"line": 2, "id": "acme-cam-2", "fields": ["tested_by.contact",
                                                   "sensor_data_collection"]}] or \
        json.loads(r.stdout)["removed"] == [
            {"line": 2, "id": "acme-cam-2", "fields": ["sensor_data_collection",
                                                       "tested_by.contact"]}]
    assert server.get("/v1/products/acme-cam-2").json()["tested_by"] == {
        "name": CAM["tested_by"]["name"]}


def test_csv_with_few_columns_still_needs_whole_new_products(server, acme, tmp_path):
    """For a product the registry does not have, there is nothing to keep: the row must say
    everything a declaration needs."""
    f = tmp_path / "new.csv"
    f.write_text("id,product_name\nacme-new-1,New\n")
    r = cli("import", f, server=server, token=acme)
    assert r.returncode == 1 and "0 created, 0 updated, 0 unchanged, 1 failed" in r.stdout
    for field in ("product_model", "support_date", "security_contact", "default_password"):
        assert "line 2 (acme-new-1): /%s is required" % field in r.stderr, r.stderr
    assert server.get("/v1/products/acme-new-1").status_code == 404


def test_every_update_names_the_fields_it_removes(server, acme, tmp_path):
    """JSON Lines and CTA-2120 are whole declarations: what they lack is removed, and said."""
    d = declaration(id="acme-cam-1", markets=["GB"], support_start="2025-01-01")
    assert server.put("/v1/products/acme-cam-1", acme, json=d).status_code == 201
    f = tmp_path / "x.jsonl"
    f.write_text(json.dumps(declaration(id="acme-cam-1")) + "\n")
    r = cli("import", f, server=server, token=acme)
    assert r.returncode == 0 and "1 updated" in r.stdout
    assert removed_by_row(r.stdout) == {(1, "acme-cam-1"): {"markets", "support_start"}}


# --- CTA-2120: IDs made from the model ------------------------------------------------------


def test_cta_ids_made_from_models_never_update_another_product(server, acme, tmp_path):
    g1, g2, g3 = (gtin14("050123456789" + d) for d in "345")
    assert g1 == "05012345678931"
    d1 = cta_doc(server.url + "/01/" + g1, product_name="Türklingel Ⅱ 智能",
                 product_model="Türklingel Ⅱ 智能")
    d2 = cta_doc(server.url + "/01/" + g2, product_name="Türklingel Ⅲ",
                 product_model="Türklingel Ⅲ")
    r = import_docs(server, acme, tmp_path, d1)
    assert r.returncode == 0 and "1 created" in r.stdout, r.stderr
    r = import_docs(server, acme, tmp_path, d2)
    assert r.returncode == 0, r.stderr
    assert "1 created, 0 updated" in r.stdout  # a new product, not the first one overwritten
    ids = ids_by_model(server)
    # Latin letters transliterated, the Roman numerals as letters, the Chinese as a hash.
    assert re.fullmatch(r"acme-turklingel-ii-[0-9a-f]{8}", ids["Türklingel Ⅱ 智能"]), ids
    assert ids["Türklingel Ⅲ"] == "acme-turklingel-iii"
    for g, model in ((g1, "Türklingel Ⅱ 智能"), (g2, "Türklingel Ⅲ")):
        r = server.get("/01/" + g, allow_redirects=False)
        assert r.status_code in (301, 302, 303, 307, 308), (g, r.status_code)
        assert r.headers["Location"].endswith("/p/" + ids[model])
    # Stable: the same documents again change nothing.
    r = import_docs(server, acme, tmp_path, d1, d2)
    assert "0 created, 0 updated, 2 unchanged, 0 failed" in r.stdout, r.stderr

    # A model that reads the same makes the same ID: refused, naming both models.
    before = server.get("/v1/products/acme-turklingel-iii").json()
    d3 = cta_doc(server.url + "/01/" + g3, product_name="Turklingel III",
                 product_model="Turklingel III")
    r = import_docs(server, acme, tmp_path, d3)
    assert r.returncode == 1 and "0 created, 0 updated, 0 unchanged, 1 failed" in r.stdout
    assert "entry 1 (acme-turklingel-iii)" in r.stderr
    assert "'Türklingel Ⅲ'" in r.stderr and "'Turklingel III'" in r.stderr
    # The same model with another GTIN (one the registry does not know): refused, naming both.
    d4 = cta_doc(server.url + "/01/" + g3, product_name="Türklingel Ⅲ",
                 product_model="Türklingel Ⅲ")
    r = import_docs(server, acme, tmp_path, d4)
    assert r.returncode == 1 and "1 failed" in r.stdout
    assert g2 in r.stderr and g3 in r.stderr and "GTIN" in r.stderr
    assert server.get("/v1/products/acme-turklingel-iii").json() == before
    assert server.get("/01/" + g3, allow_redirects=False).status_code == 404

    # Given explicitly (a /p/<id> URL), the ID may update the product it names.
    d5 = dict(d3, QR_code_url=server.url + "/p/acme-turklingel-iii")
    r = import_docs(server, acme, tmp_path, d5)
    assert r.returncode == 0 and "0 created, 1 updated" in r.stdout, r.stderr
    after = server.get("/v1/products/acme-turklingel-iii").json()
    assert after["product_model"] == "Turklingel III" and after["gtin"] == g2


def test_cta_models_no_ascii_can_spell_get_ids(server, acme, tmp_path):
    """A model in another script, or one too long for an ID, still makes one: readable as far as
    it goes, then a hash of the whole, so two such models never share it."""
    long_a = "Acme Outdoor Floodlight Camera with Siren and Two-Way Audio, Model A"
    long_b = long_a[:-1] + "B"
    docs = [cta_doc("https://shop.example/item-%d" % i, product_name=m, product_model=m)
            for i, m in enumerate(["智能门铃", "スマートプラグ", long_a, long_b, "!!!"])]
    r = import_docs(server, acme, tmp_path, *docs)
    assert r.returncode == 0 and "5 created" in r.stdout, r.stderr
    ids = ids_by_model(server)
    assert re.fullmatch(r"acme-[0-9a-f]{8}", ids["智能门铃"])
    assert re.fullmatch(r"acme-[0-9a-f]{8}", ids["スマートプラグ"])
    assert re.fullmatch(r"acme-[0-9a-f]{8}", ids["!!!"])
    for m in (long_a, long_b):
        assert ids[m].startswith("acme-acme-outdoor-floodlight-camera-with-siren")
        assert re.search(r"-[0-9a-f]{8}$", ids[m]) and len(ids[m]) <= 64
    assert len(set(ids.values())) == 5
    r = import_docs(server, acme, tmp_path, *docs)
    assert "0 created, 0 updated, 5 unchanged" in r.stdout, r.stderr


# --- CTA-2120: what the official schema accepts -----------------------------------------------


def test_cta_import_takes_empty_optional_lists_and_objects(server, acme, tmp_path):
    empty = cta_doc("https://shop.example/lamp", product_name="Empty Lists Lamp",
                    product_model="EL-1", version_and_model_numbers=[],
                    security_update_information={"update_options": []},
                    security_update_information_other="",
                    access_control={"password_options": [], "password_change": {}},
                    sensor_data_collection=[], securing_this_product={}, delete_data={},
                    account_deactivation={}, encryption_and_key_management={},
                    general_user_information={"text": ""}, sbom_hbom_maintained={},
                    authorized_by={}, tested_by={"name": "", "contact": ""})
    # A sensor item as the schema allows it: "has" left to its default, icons given.
    sensor = cta_doc(server.url + "/p/acme-sensor-1", product_name="Sensor", product_model="S-1",
                     sensor_data_collection=[{"sensing": "audio", "icons": {
                         "16": "https://acme.example/icons/mic-16.png"}}])
    r = import_docs(server, acme, tmp_path, empty, sensor)
    assert r.returncode == 0, r.stderr
    assert "2 created, 0 updated, 0 unchanged, 0 failed" in r.stdout
    rec = server.get("/v1/products/acme-el-1").json()
    for gone in ("version_and_model_numbers", "security_update_information_other",
                 "securing_this_product", "delete_data", "account_deactivation",
                 "encryption_and_key_management", "general_user_information",
                 "sbom_hbom_maintained", "authorized_by", "tested_by"):
        assert gone not in rec, gone
    # Where our rules allow a list empty, [] says "none" and is kept.
    assert rec["security_update_information"] == {"update_options": []}
    assert rec["access_control"] == {"password_options": []}
    assert rec["sensor_data_collection"] == []
    assert server.get("/v1/products/acme-sensor-1").json()["sensor_data_collection"] == [
        {"sensing": "audio", "has": True}]
    r = import_docs(server, acme, tmp_path, empty, sensor)
    assert "0 created, 0 updated, 2 unchanged" in r.stdout, r.stderr


def test_cta_import_shows_every_problem(server, acme, tmp_path):
    """Our rules are stricter than CTA-2120's in places (https only, the text rule): a document
    that breaks three of them is refused with all three named."""
    doc = cta_doc(server.url + "/p/acme-strict", product_name="Lamp \u202e2",
                  security_contact="http://acme.example/security",
                  securing_this_product={"url": "http://acme.example/secure"})
    r = import_docs(server, acme, tmp_path, doc)
    assert r.returncode == 1 and "1 failed" in r.stdout
    for path in ("/product_name", "/security_contact", "/securing_this_product/url"):
        assert "entry 1 (acme-strict): %s " % path in r.stderr, (path, r.stderr)
    assert server.get("/v1/products/acme-strict").status_code == 404


def max_text(c, n=2048):
    return (c * n)[:n]


def max_url(c, n=2048):
    return ("https://acme.example/" + c * n)[:n]


def test_cta_document_at_the_schemas_maximum_lengths_is_refused_by_name(server, acme, tmp_path):
    """Every string at the schema's maxLength (2048), 64 versions (our limit) of two-byte
    characters: far beyond the 64 KiB of one PUT, inside what a batch carries, but beyond what
    one log entry holds."""
    link = lambda c: {"text": max_text(c), "url": max_url(c)}
    doc = cta_doc(
        server.url + "/p/acme-max", product_name=max_text("N"), product_model=max_text("M"),
        version_and_model_numbers=[max_text("é%d" % (i % 10)) for i in range(64)],
        security_contact=max_url("c"),
        security_update_information={"update_default": "Other", "update_options": ["Other"]},
        security_update_information_other=max_text("o"),
        access_control=dict(CAM["access_control"], password_change=link("p")),
        sensor_data_collection=[{"sensing": s, "has": True, "description": max_text("d")}
                                for s in ("audio", "images", "position")],
        securing_this_product=link("s"), delete_data=link("d"), account_deactivation=link("a"),
        encryption_and_key_management=link("e"), general_user_information=link("g"),
        authorized_by={"name": max_text("a"), "contact": max_text("b")},
        tested_by={"name": max_text("t"), "contact": max_text("u")})
    size = len(json.dumps(doc, ensure_ascii=False).encode())
    assert size > 200_000, size
    # Issue 16: every version is one transparency-log entry of at most 65535 bytes (C2SP
    # tlog-tiles), so a record this long is refused, by name, and nothing is stored.
    r = import_docs(server, acme, tmp_path, doc)
    assert r.returncode == 1, r.stdout + r.stderr[-500:]
    assert "longer than a log entry may be" in r.stderr, r.stderr[-500:]
    assert server.get("/v1/products/acme-max").status_code == 404


def test_the_largest_declaration_the_schema_allows_is_refused_by_name(server, acme, tmp_path):
    """64 versions of 2048 four-byte characters (512 KiB): one row, sent in a batch of its own,
    refused as longer than a log entry."""
    d = declaration(id="acme-huge",
                    version_and_model_numbers=[max_text("\U0001F600") for _ in range(64)],
                    product_name=max_text("\U0001F4F7"))
    f = tmp_path / "huge.jsonl"
    f.write_text(json.dumps(d, ensure_ascii=False) + "\n")
    assert f.stat().st_size > 512 * 1024
    r = cli("import", f, server=server, token=acme)
    # Issue 16: longer than a transparency-log entry may be (65535 bytes): refused, not stored.
    assert r.returncode == 1, r.stdout + r.stderr
    assert "longer than a log entry may be" in r.stderr, r.stderr
    assert server.get("/v1/products/acme-huge").status_code == 404


# --- exports count what they wrote ----------------------------------------------------------


def test_export_counts_what_it_wrote_and_names_what_it_skipped(server, tmp_path):
    bb = add_manufacturer(server.data, "brightbulb", "BrightBulb Ltd", prefixes=[])
    for i in range(4):
        d = declaration(id="brightbulb-b%d" % i, manufacturer_name=None)
        assert server.put("/v1/products/" + d["id"], bb, json=d).status_code == 201
    out = tmp_path / "cta.json"
    r = cli("export", "--manufacturer", "brightbulb", "--format", "cta-2120", "-o", out,
            server=server)
    assert r.returncode == 1, r.stderr
    assert json.loads(out.read_text()) == []
    assert "exported 0 products to %s; skipped 4, each named above" % out in r.stderr
    assert "nothing exported" in r.stderr
    for i in range(4):
        line = next(x for x in r.stderr.splitlines()
                    if x.startswith("seclabel: skipped brightbulb-b%d: " % i))
        assert "tested_by" in line and "authorization_date" in line

    cam = dict({k: v for k, v in CAM.items() if k not in ("gtin", "manufacturer_name")},
               id="brightbulb-cam")
    assert server.put("/v1/products/brightbulb-cam", bb, json=cam).status_code == 201
    r = cli("export", "--manufacturer", "brightbulb", "--format", "cta-2120", "-o", out,
            server=server)
    assert r.returncode == 0, r.stderr
    assert "exported 1 product to %s; skipped 4, each named above" % out in r.stderr
    docs = json.loads(out.read_text())
    assert len(docs) == 1 and docs[0]["QR_code_url"].endswith("/p/brightbulb-cam")
    assert not list(cta_validator().iter_errors(docs[0]))

    for fmt in ("jsonl", "csv"):
        r = cli("export", "--manufacturer", "brightbulb", "--format", fmt, "-o",
                tmp_path / ("all." + fmt), server=server)
        assert r.returncode == 0 and "exported 5 products" in r.stderr, r.stderr
    # Asked for nothing that could be exported: a maker without products.
    add_manufacturer(server.data, "emptyco", "Empty Co", prefixes=[])
    r = cli("export", "--manufacturer", "emptyco", "--format", "jsonl", server=server)
    assert r.returncode == 1 and r.stdout == ""
    assert "exported 0 products" in r.stderr and "nothing exported" in r.stderr
