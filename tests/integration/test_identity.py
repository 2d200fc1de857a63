"""Who speaks for a product: the registry vouches for it. A maker can speak only in its own name
(the name shown is the account's), create IDs only in its namespace, claim GTINs only in its
GS1 Company Prefixes, and never be told "unchanged" about another maker's product; the operator
verifies makers, and pages and JSON say so. Each test here failed before the identity rules."""
import json
import re
import time

from conftest import EXAMPLES, add_manufacturer, cli, declaration

CATALOGUE = EXAMPLES / "catalogue.csv"


def admin(server, *args):
    return cli("admin", "manufacturer", *args, "--data", server.data)


def test_another_maker_cannot_publish_under_acmes_name_or_ids(server, acme):
    """The issue's reproduction: brightbulb imports Acme's catalogue."""
    bright = add_manufacturer(server.data, "brightbulb", "Brightbulb Inc")
    r = cli("import", CATALOGUE, server=server, token=bright)
    assert r.returncode == 1
    assert re.search(r"0 created, 0 updated, 0 unchanged, [1-9]\d* failed", r.stdout), r.stdout
    # Each row says why: the name is not the account's (or the ID is outside its namespace).
    assert "is not your account's name 'Brightbulb Inc'" in r.stderr
    assert server.get("/v1/products/acme-hub-3").status_code == 404
    assert server.get("/p/acme-hub-3").status_code == 404
    # The same declarations without a maker's name: refused for the namespace.
    d = declaration(id="acme-hub-3", manufacturer_name=None)
    r = server.put("/v1/products/acme-hub-3", bright, json=d)
    assert r.status_code == 403 and r.json()["error"] == "id_outside_namespace"
    assert "'brightbulb-'" in r.json()["message"]
    # The real Acme then imports it: everything is created, nothing "unchanged".
    r = cli("import", CATALOGUE, server=server, token=acme)
    assert r.returncode == 0, r.stderr
    assert re.search(r"[1-9]\d* created, 0 updated, 0 unchanged, 0 failed", r.stdout)
    page = server.get("/p/acme-hub-3").text
    assert "Acme Devices Ltd" in page and "Brightbulb" not in page


def test_the_name_shown_is_the_accounts(server, acme):
    r = server.put("/v1/products/acme-cam-1", acme, json=declaration(manufacturer_name=None))
    assert r.status_code == 201
    assert r.json()["manufacturer_name"] == "Acme Devices Ltd"
    assert r.json()["manufacturer_account"]["name"] == "Acme Devices Ltd"
    r = server.put("/v1/products/acme-cam-1", acme,
                   json=declaration(manufacturer_name="Nordlicht Elektronik GmbH"))
    assert r.status_code == 403 and r.json()["error"] == "manufacturer_name_mismatch"
    assert "'Acme Devices Ltd'" in r.json()["message"]
    # Giving the account's name is the same declaration: no new version.
    r = server.put("/v1/products/acme-cam-1", acme, json=declaration())
    assert r.status_code == 200 and r.headers["Seclabel-Change"] == "unchanged"
    assert server.get("/v1/products/acme-cam-1").json()["version"] == 1


def test_import_meeting_another_makers_product_fails_that_row(server, acme, tmp_path):
    nord = add_manufacturer(server.data, "nordlicht", "Nordlicht Elektronik GmbH")
    mine = declaration(id="nordlicht-bell-1", manufacturer_name=None)
    assert server.put("/v1/products/nordlicht-bell-1", nord, json=mine).status_code == 201
    theirs = declaration(id="acme-cam-1", manufacturer_name=None)
    assert server.put("/v1/products/acme-cam-1", acme, json=theirs).status_code == 201
    f = tmp_path / "mixed.jsonl"
    f.write_text(json.dumps(theirs) + "\n" + json.dumps(mine) + "\n")
    r = cli("import", f, server=server, token=nord)
    assert r.returncode == 1
    assert "0 created, 0 updated, 1 unchanged, 1 failed" in r.stdout
    assert "line 1 (acme-cam-1): belongs to manufacturer 'acme' (Acme Devices Ltd)" in r.stderr
    # The API says the same, naming the owner.
    r = server.put("/v1/products/acme-cam-1", nord, json=theirs)
    assert r.status_code == 403 and "belongs to manufacturer 'acme'" in r.json()["message"]


def test_gtins_only_inside_the_makers_prefixes(server, acme):
    squat = add_manufacturer(server.data, "squatter", "Squatter Ltd", prefixes=["7012345"])
    d = declaration(id="squatter-cam", manufacturer_name=None, gtin="5012345678900")
    r = server.put("/v1/products/squatter-cam", squat, json=d)
    assert r.status_code == 403 and r.json()["error"] == "gtin_outside_prefixes"
    assert "(7012345)" in r.json()["message"]
    # The same in a batch: that entry fails, with the same code.
    b = server.post("/v1/batch", squat, json={"products": [d]}).json()
    assert b["results"][0]["error"] == "gtin_outside_prefixes" and b["failed"] == 1
    # The rightful owner registers it, and /01/ leads to the owner's page.
    assert server.put("/v1/products/acme-cam-1", acme,
                      json=declaration(gtin="5012345678900")).status_code == 201
    loc = server.get("/01/05012345678900", allow_redirects=False).headers["Location"]
    assert loc.endswith("/p/acme-cam-1")
    # A maker with no prefixes recorded can register no GTIN at all.
    none = add_manufacturer(server.data, "noprefix", "No Prefix Ltd", prefixes=[])
    r = server.put("/v1/products/noprefix-x", none,
                   json=declaration(id="noprefix-x", manufacturer_name=None, gtin="96385074"))
    assert r.status_code == 403 and "none recorded" in r.json()["message"]
    # The operator takes the prefix back: the record stays, and `admin verify` points it out
    # without calling the database damaged.
    assert admin(server, "prefix", "remove", "acme", "5012345").returncode == 0
    r = cli("admin", "verify", "--data", server.data)
    assert r.returncode == 0 and "verify: 0 problems" in r.stdout
    assert ("notice: product acme-cam-1 (owner acme): its GTIN is outside its owner's GS1 "
            "Company Prefixes") in r.stdout


def test_operator_commands_for_prefixes_and_namespaces(server):
    add_manufacturer(server.data, "acme", "Acme Devices Ltd", prefixes=[])
    add_manufacturer(server.data, "bright", "Brightbulb Inc", prefixes=[])
    r = admin(server, "prefix", "add", "acme", "5012345")
    assert r.returncode == 0 and "now holds GS1 Company Prefix 5012345" in r.stdout
    r = admin(server, "prefix", "add", "bright", "501234567")
    assert r.returncode == 1 and "overlaps prefix 5012345 of manufacturer 'acme'" in r.stderr
    r = admin(server, "prefix", "add", "bright", "12345")
    assert r.returncode == 2 and "6-12 digits" in r.stderr
    r = admin(server, "prefix", "list", "acme")
    assert r.returncode == 0 and r.stdout == "5012345\n"
    r = admin(server, "id-prefix", "add", "acme", "bright-x")
    assert r.returncode == 1 and "overlaps 'bright-' of manufacturer 'bright'" in r.stderr
    assert admin(server, "id-prefix", "add", "acme", "AC200-").returncode == 0
    r = cli("admin", "manufacturer", "add", "acme-eu", "--name", "Acme EU", "--data", server.data)
    assert r.returncode == 1 and "overlaps 'acme-' of manufacturer 'acme'" in r.stderr
    assert admin(server, "prefix", "remove", "acme", "5012345").returncode == 0
    assert admin(server, "prefix", "list", "acme").stdout == ""
    info = json.loads(admin(server, "show", "acme").stdout)
    assert info["id_namespaces"] == ["acme-", "AC200-"]
    assert [e["event"] for e in info["history"]] == [
        "added", "gs1_prefix_added", "id_prefix_added", "gs1_prefix_removed"]
    assert admin(server, "prefix", "add", "nobody", "5012345").returncode == 1


def test_granted_id_prefix_lets_the_maker_create_those_ids(server, acme):
    d = declaration(id="AC200-eu", manufacturer_name=None)
    assert server.put("/v1/products/AC200-eu", acme, json=d).status_code == 403
    assert admin(server, "id-prefix", "add", "acme", "AC200-").returncode == 0
    assert server.put("/v1/products/AC200-eu", acme, json=d).status_code == 201


def test_account_details_are_validated_like_a_declarations(tmp_path):
    d = tmp_path / "d"
    for opt, bad in [("--contact", "not-a-contact"), ("--website", "http://acme.example"),
                     ("--name", "Acme\x1b]0;pwned\x07")]:
        args = ["admin", "manufacturer", "add", "acme", "--name", "Acme", opt, bad, "--data", d]
        r = cli(*args)
        assert r.returncode == 2 and r.stderr.count("\n") == 1, (opt, r.stderr)
    r = cli("admin", "manufacturer", "add", "acme", "--name", "Acme",
            "--contact", "https://acme.example/security", "--website", "https://acme.example",
            "--data", d)
    assert r.returncode == 0, r.stderr


def test_verified_and_unverified_makers_on_pages_and_json(server, acme):
    nord = add_manufacturer(server.data, "nordlicht", "Nordlicht Elektronik GmbH")
    server.put("/v1/products/acme-cam-1", acme, json=declaration(gtin="5012345678900"))
    server.put("/v1/products/nordlicht-bell-1", nord,
               json=declaration(id="nordlicht-bell-1", manufacturer_name=None))
    # Read everything once, so the answers are cached before the operator acts.
    for path in ("/p/acme-cam-1", "/v1/products/acme-cam-1", "/m/acme"):
        assert server.get(path).status_code == 200
    assert "Not verified" in server.get("/p/acme-cam-1").text
    assert server.get("/v1/products/acme-cam-1").json()["manufacturer_account"]["verified"] is False
    r = admin(server, "verify", "acme")
    assert r.returncode == 2 and "--evidence" in r.stderr
    r = admin(server, "verify", "acme", "--evidence", "Company register 01234567; GS1 UK licence")
    assert r.returncode == 0, r.stderr
    # The server notices the operator's change (made beside it, in the database) and drops its
    # cached answers: wait for it rather than for a fixed time.
    for _ in range(100):
        acct = server.get("/v1/products/acme-cam-1").json()["manufacturer_account"]
        if acct["verified"]:
            break
        time.sleep(0.05)
    assert acct["verified"] is True and re.fullmatch(r"\d{4}-\d\d-\d\d", acct["verified_on"])
    assert acct["checked"] == ["identity", "gs1_prefixes"]
    r = cli("show", "acme-cam-1", server=server)
    assert "Verified by registry:    yes, on " + acct["verified_on"] in r.stdout
    assert "Verified by registry:    no" in cli("show", "nordlicht-bell-1", server=server).stdout
    page = server.get("/p/acme-cam-1").text
    assert "Verified by the registry on" in page and "GS1 company prefixes" in page
    maker = server.get("/m/acme").text
    assert "Company register 01234567; GS1 UK licence" in maker and "5012345" in maker
    m = server.get("/v1/manufacturers/acme").json()
    assert m["verification"]["verified"] is True
    assert m["verification"]["gs1_prefixes"] == ["5012345", "0036000", "000001234567"]
    assert [e["event"] for e in m["history"]][-1] == "verified"
    # Nordlicht stays unverified, and says so plainly.
    assert "Not verified: the registry has not checked who this maker is." in server.get(
        "/p/nordlicht-bell-1").text
    assert "Not verified" in server.get("/m/nordlicht").text
    assert server.get("/v1/manufacturers/nordlicht").json()["verification"] == {"verified": False}
    # Withdrawing the verification shows as promptly.
    assert admin(server, "unverify", "acme", "--reason", "licence lapsed").returncode == 0
    for _ in range(100):
        if "Not verified" in server.get("/p/acme-cam-1").text:
            break
        time.sleep(0.05)
    assert "Not verified" in server.get("/p/acme-cam-1").text
