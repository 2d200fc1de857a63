"""The registry's JSON API as retailers' systems and manufacturers' tooling use it (issue 3):
computed compliance and support status, ETags, history, withdrawal, the support-date rule, GTIN
uniqueness, search, bulk lookup, the changes feed, the GS1 Digital Link resolver, manufacturers,
health, metrics and security.txt; and that a refused request changes nothing stored."""
import datetime
import hashlib
import xml.etree.ElementTree as ET

import pytest

from conftest import PREFIXES, Server, add_manufacturer, cli, declaration

TODAY = datetime.datetime.now(datetime.timezone.utc).date()


def day(offset):
    return (TODAY + datetime.timedelta(days=offset)).isoformat()


def put(server, token, pid, **fields):
    return server.put("/v1/products/" + pid, token, json=declaration(id=pid, **fields))


@pytest.fixture
def nordlicht(server):
    return add_manufacturer(server.data, "nordlicht", "Nordlicht Elektronik GmbH")


def db_bytes(server):
    return hashlib.sha256((server.data / "data.mdb").read_bytes()).hexdigest()


# --- computed, not stored ---------------------------------------------------------------------

def test_record_carries_compliance_and_support_status(server, acme):
    put(server, acme, "acme-cam", support_date=day(2000), support_start=day(-10))
    rec = server.get("/v1/products/acme-cam").json()
    c = rec["compliance"]
    assert c["compliant"] is True
    for k in ("passwords", "vulnerability_reporting", "support_period"):
        assert c[k]["pass"] is True and c[k]["reason"] and "ETSI EN 303 645" in c[k]["requirement"]
    assert c["eu_cra"]["meets_5_years"] is True and c["eu_cra"]["from"] == day(-10)
    assert rec["support_status"] == {"status": "active", "days_left": 2000, "as_of": day(0)}
    assert rec["qr_url"] == server.url + "/p/acme-cam"
    put(server, acme, "acme-cam2", gtin="5012345678900")
    # With a GTIN the QR code carries the GS1 Digital Link URI, which also scans at a checkout.
    assert server.get("/v1/products/acme-cam2").json()["qr_url"] == \
        server.url + "/01/05012345678900"


def test_universal_password_and_short_support_are_named(server, acme):
    put(server, acme, "acme-hub", default_password="universal", support_date=day(100))
    rec = server.get("/v1/products/acme-hub").json()
    assert rec["compliance"]["compliant"] is False
    assert rec["compliance"]["passwords"]["pass"] is False
    assert "universal default password" in rec["compliance"]["passwords"]["reason"]
    assert rec["compliance"]["eu_cra"]["meets_5_years"] is False
    assert "less than 5 years" in rec["compliance"]["eu_cra"]["reason"]
    assert rec["support_status"]["status"] == "ending_soon"
    assert rec["support_status"]["days_left"] == 100


def test_support_status_ended_and_boundaries(server, acme):
    put(server, acme, "acme-old", support_date=day(-3))
    put(server, acme, "acme-edge", support_date=day(180))
    put(server, acme, "acme-later", support_date=day(181))
    assert server.get("/v1/products/acme-old").json()["support_status"]["status"] == "ended"
    assert server.get("/v1/products/acme-old").json()["support_status"]["days_left"] == -3
    assert server.get("/v1/products/acme-edge").json()["support_status"]["status"] == \
        "ending_soon"
    assert server.get("/v1/products/acme-later").json()["support_status"]["status"] == "active"


def test_computed_fields_cannot_be_submitted(server, acme):
    for field in ("compliance", "support_status", "version", "status", "qr_url", "manufacturer"):
        r = put(server, acme, "acme-cam", **{field: "x"})
        assert r.status_code == 400
        assert {"path": "/" + field, "rule": "readOnly"}.items() <= r.json()["details"][0].items()


# --- ETags and conditional requests -----------------------------------------------------------

def test_etag_and_if_none_match(server, acme):
    put(server, acme, "acme-cam")
    r = server.get("/v1/products/acme-cam")
    tag = r.headers["ETag"]
    # A product's lifetime ends by midnight UTC (its support status): test_validators.py.
    assert r.headers["Cache-Control"].startswith("public, max-age=")
    r2 = server.get("/v1/products/acme-cam", headers={"If-None-Match": tag})
    assert r2.status_code == 304 and r2.content == b"" and r2.headers["ETag"] == tag
    r3 = server.get("/v1/products/acme-cam", headers={"If-None-Match": '"nope", ' + tag})
    assert r3.status_code == 304
    put(server, acme, "acme-cam", support_date="2033-01-01")
    r4 = server.get("/v1/products/acme-cam", headers={"If-None-Match": tag})
    assert r4.status_code == 200 and r4.headers["ETag"] != tag


def test_if_match_guards_against_lost_updates(server, acme):
    tag = put(server, acme, "acme-cam").headers["ETag"]
    before = db_bytes(server)
    r = server.put("/v1/products/acme-cam", acme,
                   json=declaration(id="acme-cam", support_date="2040-01-01"),
                   headers={"If-Match": '"7"'})
    assert r.status_code == 412 and r.json()["error"] == "precondition_failed"
    assert "version 1" in r.json()["message"]
    assert db_bytes(server) == before
    r = server.put("/v1/products/acme-cam", acme,
                   json=declaration(id="acme-cam", support_date="2040-01-01"),
                   headers={"If-Match": tag})
    assert r.status_code == 200 and r.json()["version"] == 2
    r = server.put("/v1/products/acme-new", acme, json=declaration(id="acme-new"),
                   headers={"If-Match": "*"})
    assert r.status_code == 412


# --- the support period may only move later ---------------------------------------------------

def test_shortening_support_is_refused_naming_both_dates(server, acme):
    put(server, acme, "acme-cam", support_date="2031-12-31")
    before = db_bytes(server)
    r = put(server, acme, "acme-cam", support_date="2030-06-30")
    assert r.status_code == 409 and r.json()["error"] == "support_period_shortened"
    assert "2030-06-30" in r.json()["message"] and "2031-12-31" in r.json()["message"]
    assert db_bytes(server) == before
    assert server.get("/v1/products/acme-cam").json()["support_date"] == "2031-12-31"
    assert put(server, acme, "acme-cam", support_date="2032-01-01").status_code == 200


# --- GTINs ------------------------------------------------------------------------------------

def test_gtin_is_unique_and_normalised(server, acme, nordlicht):
    assert put(server, acme, "acme-cam", gtin="5012345678900").json()["gtin"] == "05012345678900"
    r = put(server, acme, "acme-thermo", gtin="05012345678900")
    assert r.status_code == 409 and r.json()["error"] == "gtin_taken"
    assert "'acme-cam'" in r.json()["message"]
    assert server.get("/v1/products/acme-thermo").status_code == 404
    # Another maker cannot take it either: the GTIN is outside its GS1 Company Prefixes.
    r = put(server, nordlicht, "nordlicht-thermo", gtin="5012345678900",
            manufacturer_name=None)
    assert r.status_code == 403 and r.json()["error"] == "gtin_outside_prefixes"


def resolves_to(server, gtin, headers=None):
    """Where /01/{gtin} sends a scanner: the path of its 307, or the status otherwise."""
    r = server.get("/01/" + gtin, allow_redirects=False, headers=headers or {})
    return r.headers["Location"][len(server.url):] if r.status_code == 307 else r.status_code


def test_a_gtin_keeps_leading_to_its_product(server, acme):
    """GTINs persist: printed labels keep resolving after the product moves to another GTIN,
    drops its GTIN or is withdrawn, and no other product can take a GTIN once registered."""
    old, new = "05012345678900", "00036000291452"
    put(server, acme, "acme-cam", gtin="5012345678900")
    # Moving to another GTIN: both lead to the product.
    r = put(server, acme, "acme-cam", gtin="036000291452")
    assert r.status_code == 200 and r.json()["gtin"] == new
    assert resolves_to(server, old) == resolves_to(server, new) == "/p/acme-cam"
    assert resolves_to(server, old, {"Accept": "text/html"}) == "/p/acme-cam"
    ls = server.get("/01/" + old + "?linkType=linkset").json()["linkset"][0]
    assert ls["anchor"] == server.url + "/01/" + old
    assert ls["https://gs1.org/voc/pip"][0]["href"] == server.url + "/p/acme-cam"
    # No other product may take the old GTIN, alone or in a batch.
    before = db_bytes(server)
    r = put(server, acme, "acme-thermo", gtin="5012345678900")
    assert r.status_code == 409 and r.json()["error"] == "gtin_taken"
    assert "'acme-cam'" in r.json()["message"]
    r = server.post("/v1/batch", acme,
                    json={"products": [declaration(id="acme-thermo", gtin="5012345678900")]})
    assert r.json()["results"][0]["error"] == "gtin_taken"
    assert db_bytes(server) == before
    # Dropping the GTIN keeps both; bulk lookup finds the product by either.
    assert put(server, acme, "acme-cam", gtin=None).status_code == 200
    assert resolves_to(server, old) == resolves_to(server, new) == "/p/acme-cam"
    found = server.post("/v1/lookup", json={"gtins": [old, new]}).json()["results"]
    assert [x["record"]["id"] for x in found] == ["acme-cam", "acme-cam"]
    # The product itself may go back to a GTIN it carried.
    assert put(server, acme, "acme-cam", gtin=old).status_code == 200
    # Withdrawn: its GTINs still lead to its (withdrawn) page, never to a 404.
    assert server.post("/v1/products/acme-cam/withdraw", acme).status_code == 200
    assert resolves_to(server, old) == resolves_to(server, new) == "/p/acme-cam"
    page = server.get("/p/acme-cam")
    assert page.status_code == 200 and "withdrawn" in page.text.lower()
    assert put(server, acme, "acme-thermo", gtin=new).status_code == 409
    r = cli("admin", "verify", "--data", server.data)
    assert r.returncode == 0 and "verify: 0 problems" in r.stdout, r.stdout
    assert "notice" not in r.stdout


# --- withdrawal and history -------------------------------------------------------------------

def test_withdraw_keeps_the_record_readable_and_frozen(server, acme, nordlicht):
    put(server, acme, "acme-cam")
    assert server.post("/v1/products/acme-cam/withdraw").status_code == 401
    assert server.post("/v1/products/acme-cam/withdraw", nordlicht).status_code == 403
    assert server.post("/v1/products/acme-nope/withdraw", acme).status_code == 404
    r = server.post("/v1/products/acme-cam/withdraw", acme, headers={"If-Match": '"5"'})
    assert r.status_code == 412
    assert server.get("/v1/products/acme-cam").json()["status"] == "active"
    r = server.post("/v1/products/acme-cam/withdraw", acme)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn" and r.json()["version"] == 2
    assert r.headers["Seclabel-Change"] == "updated"
    again = server.post("/v1/products/acme-cam/withdraw", acme)
    assert again.json()["version"] == 2 and again.headers["Seclabel-Change"] == "unchanged"
    assert server.get("/v1/products/acme-cam").json()["status"] == "withdrawn"
    r = put(server, acme, "acme-cam", support_date="2040-01-01")
    assert r.status_code == 409 and r.json()["error"] == "product_withdrawn"
    assert server.get("/p/acme-cam/label.png").status_code == 422


def test_versions_say_what_changed(server, acme):
    put(server, acme, "acme-cam", support_date="2031-12-31")
    put(server, acme, "acme-cam", support_date="2033-12-31", product_model="AC-201")
    server.post("/v1/products/acme-cam/withdraw", acme)
    h = server.get("/v1/products/acme-cam/versions").json()
    assert [v["version"] for v in h["versions"]] == [1, 2, 3]
    assert [v["kind"] for v in h["versions"]] == ["created", "updated", "withdrawn"]
    assert sorted(h["versions"][1]["changed"]) == ["product_model", "support_date"]
    v2 = server.get("/v1/products/acme-cam/versions/2").json()
    assert {"field": "support_date", "from": "2031-12-31", "to": "2033-12-31"} in v2["changes"]
    v1 = server.get("/v1/products/acme-cam/versions/1")
    assert v1.json()["support_date"] == "2031-12-31" and v1.json()["changes"] == []
    assert "immutable" in v1.headers["Cache-Control"] and v1.headers["ETag"] == '"v1"'
    assert server.get("/v1/products/acme-cam/versions/1",
                      headers={"If-None-Match": '"v1"'}).status_code == 304
    assert server.get("/v1/products/acme-cam/versions/4").status_code == 404
    assert server.get("/v1/products/acme-cam/versions/0").status_code == 400
    assert server.get("/v1/products/acme-cam/versions/x").status_code == 400
    assert server.get("/v1/products/acme-nope/versions").status_code == 404
    # A product whose ID is a prefix of another's does not see the other's history.
    put(server, acme, "acme-cam-2")
    assert len(server.get("/v1/products/acme-cam-2/versions").json()["versions"]) == 1


# --- search -----------------------------------------------------------------------------------

@pytest.fixture
def catalogue(server, acme, nordlicht):
    put(server, acme, "acme-cam", product_name="Indoor Camera", product_model="AC-200",
        gtin="5012345678900", support_date=day(1000))
    put(server, acme, "acme-plug", product_name="Smart Plug", product_model="SP-1",
        support_date=day(30))
    put(server, acme, "acme-hub", product_name="Home Hub", product_model="HH-19",
        support_date=day(-100), default_password="universal")
    for i in range(5):
        put(server, nordlicht, "nordlicht-thermo-%d" % i, product_name="Thermostat %d" % i,
            manufacturer_name="Nordlicht Elektronik GmbH", support_date=day(2000))
    return server


def ids(r):
    assert r.status_code == 200, r.text
    return [p["id"] for p in r.json()["items"]]


def test_search_by_name_model_id_gtin_and_maker(catalogue):
    s = catalogue
    assert ids(s.get("/v1/products", params={"q": "camera"})) == ["acme-cam"]
    assert ids(s.get("/v1/products", params={"q": "hh-19"})) == ["acme-hub"]
    assert ids(s.get("/v1/products", params={"q": "acme-plug"})) == ["acme-plug"]
    assert ids(s.get("/v1/products", params={"q": "5012345678900"})) == ["acme-cam"]
    assert len(ids(s.get("/v1/products", params={"q": "nordlicht"}))) == 5
    assert ids(s.get("/v1/products", params={"manufacturer": "acme"})) == [
        "acme-cam", "acme-hub", "acme-plug"]
    assert ids(s.get("/v1/products", params={"q": "zzz"})) == []


def test_search_filters(catalogue):
    s = catalogue
    assert ids(s.get("/v1/products", params={"support": "ending_soon"})) == ["acme-plug"]
    assert ids(s.get("/v1/products", params={"support": "ended"})) == ["acme-hub"]
    assert ids(s.get("/v1/products", params={"compliant": "false"})) == ["acme-hub"]
    assert len(ids(s.get("/v1/products", params={"compliant": "true"}))) == 7
    assert ids(s.get("/v1/products", params={"manufacturer": "acme", "support": "active"})) == [
        "acme-cam"]
    for bad in ({"support": "soon"}, {"compliant": "yes"}, {"limit": "0"}, {"limit": "101"},
                {"limit": " 5"}, {"cursor": "bad id!"}, {"manufacturer": "Not A Slug"}):
        r = s.get("/v1/products", params=bad)
        assert r.status_code == 400 and r.json()["error"] == "bad_request", bad
        # A refused query is not a broken request: the connection stays open.
        assert r.headers.get("Connection") != "close"


def test_search_pages_with_a_stable_cursor(catalogue):
    s = catalogue
    seen, cursor = [], None
    while True:
        params = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        r = s.get("/v1/products", params=params).json()
        seen += [p["id"] for p in r["items"]]
        cursor = r["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == 8 and len(set(seen)) == 8
    page = s.get("/v1/products", params={"manufacturer": "nordlicht", "limit": 2}).json()
    nxt = s.get("/v1/products", params={"manufacturer": "nordlicht", "limit": 2,
                                        "cursor": page["next_cursor"]}).json()
    assert [p["id"] for p in nxt["items"]] == ["nordlicht-thermo-2", "nordlicht-thermo-3"]


# --- bulk lookup ------------------------------------------------------------------------------

def test_lookup_answers_each_key_in_order(catalogue):
    r = catalogue.post("/v1/lookup", json={"ids": ["acme-plug", "nope", "bad id"],
                                           "gtins": ["05012345678900", "4006381333931", "123",
                                                     "00000000000000"]})
    assert r.status_code == 200
    res = r.json()["results"]
    assert [x.get("id", x.get("gtin")) for x in res] == [
        "acme-plug", "nope", "bad id", "05012345678900", "4006381333931", "123",
        "00000000000000"]
    assert res[0]["record"]["id"] == "acme-plug" and "compliance" in res[0]["record"]
    assert res[1]["error"] == "not_found" and res[2]["error"] == "invalid_id"
    assert res[3]["record"]["id"] == "acme-cam"
    assert res[4]["error"] == "not_found" and res[5]["error"] == "invalid_gtin"
    assert res[6]["error"] == "invalid_gtin"  # all zeros: a right check digit, but no GTIN


def test_lookup_limits_and_shape(server):
    # At most 1000 in each array, as the schema says per array (2 ids and 999 GTINs were
    # once refused as over a limit of 1000 in all).
    for body in ({"ids": ["x"] * 1001}, {"ids": ["x"], "gtins": ["12345670"] * 1001}):
        r = server.post("/v1/lookup", json=body)
        assert r.status_code == 400 and r.json()["error"] == "too_many_keys"
        assert "1000" in r.json()["message"]
    r = server.post("/v1/lookup", json={"ids": ["x"] * 2, "gtins": ["12345670"] * 999})
    assert r.status_code == 200 and len(r.json()["results"]) == 1001
    r = server.post("/v1/lookup", json={"ids": ["x"] * 1000, "gtins": ["12345670"] * 1000})
    assert r.status_code == 200 and len(r.json()["results"]) == 2000
    assert server.post("/v1/lookup", json={"skus": []}).status_code == 400
    assert server.post("/v1/lookup", json={"ids": [1]}).status_code == 400
    assert server.post("/v1/lookup", json=["x"]).status_code == 400
    assert server.post("/v1/lookup", data="ids=x").status_code == 415
    r = server.post("/v1/lookup", data="{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_json"


# --- changes feed -----------------------------------------------------------------------------

def test_changes_feed_for_incremental_sync(server, acme):
    # The maker's account came first: added, then its GS1 prefixes (conftest's PREFIXES).
    makers = server.get("/v1/changes").json()["changes"]
    n = 1 + len(PREFIXES["acme"])
    assert [(c["seq"], c["kind"], c["event"], c["manufacturer"]) for c in makers] == [
        (1, "manufacturer", "added", "acme")] + [
        (i, "manufacturer", "gs1_prefix_added", "acme") for i in range(2, n + 1)]
    put(server, acme, "acme-a")
    put(server, acme, "acme-b")
    put(server, acme, "acme-a", support_date="2040-01-01")
    put(server, acme, "acme-a", support_date="2040-01-01")  # unchanged: no change entry
    server.post("/v1/products/acme-b/withdraw", acme)
    feed = server.get("/v1/changes", params={"since": n}).json()
    ch = feed["changes"]
    assert [(c["seq"] - n, c["id"], c["version"], c["kind"]) for c in ch] == [
        (1, "acme-a", 1, "created"), (2, "acme-b", 1, "created"), (3, "acme-a", 2, "updated"),
        (4, "acme-b", 2, "withdrawn")]
    # A product's entry has the same members as before maker events joined the feed.
    assert all(list(c) == ["seq", "id", "version", "kind", "time", "manufacturer"] for c in ch)
    assert feed["last_seq"] == n + 4 and feed["more"] is False
    assert all(c["time"].endswith("Z") for c in ch)
    page = server.get("/v1/changes", params={"since": n + 1, "limit": 2}).json()
    assert [c["seq"] - n for c in page["changes"]] == [2, 3] and page["more"] is True
    assert page["last_seq"] == n + 3
    rest = server.get("/v1/changes", params={"since": page["last_seq"]}).json()
    assert [c["seq"] - n for c in rest["changes"]] == [4] and rest["last_seq"] == n + 4
    empty = server.get("/v1/changes", params={"since": n + 4}).json()
    assert empty["changes"] == [] and empty["last_seq"] == n + 4
    # A client ahead of the registry (say, after a restore) is told the newest seq.
    ahead = server.get("/v1/changes", params={"since": 99}).json()
    assert ahead["changes"] == [] and ahead["last_seq"] == n + 4
    assert server.get("/v1/changes", params={"limit": "+5"}).status_code == 400
    assert server.get("/v1/changes", params={"since": "-1"}).status_code == 400
    assert server.get("/v1/changes", params={"limit": "1001"}).status_code == 400


def test_changes_atom_feed_parses(server, acme):
    put(server, acme, "acme-a")
    server.post("/v1/products/acme-a/withdraw", acme)
    r = server.get("/v1/changes.atom")
    assert r.headers["Content-Type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring(r.content)
    titles = [e.find("a:title", ns).text for e in feed.findall("a:entry", ns)]
    assert titles == ["acme-a withdrawn (version 2)", "acme-a created (version 1)"] + [
        "manufacturer acme gs1_prefix_added"] * len(PREFIXES["acme"]) + ["manufacturer acme added"]
    assert feed.find("a:entry/a:link", ns).get("href").endswith("/p/acme-a")


def test_answers_showing_a_makers_account_are_filed_under_it(server, acme):
    """Surrogate keys (docs/API.md "Caching"): each answer that shows a maker's account is filed
    under account:<slug>, which its account events purge; a product's answers under their own
    product:<id>, not under maker:<slug> (which every product write of the maker purges)."""
    put(server, acme, "acme-a", gtin="5012345000015")
    keys = lambda path: server.get(path).headers.get("Surrogate-Key")
    for path in ("/v1/products/acme-a", "/p/acme-a", "/p/acme-a/details", "/p/acme-a/label.svg",
                 "/p/acme-a/record.json", "/v1/products/acme-a/versions",
                 "/01/05012345000015?linkType=linkset"):
        assert keys(path) == "product:acme-a account:acme", path
    for path in ("/m/acme", "/v1/manufacturers/acme"):
        assert keys(path) == "maker:acme account:acme", path
    assert keys("/v1/products/acme-nothing") == "product:acme-nothing"  # a 404: never stored
    assert keys("/v1/products") == "lists" and keys("/v1/changes") == "feeds"


def test_manufacturer_account_events_are_in_the_changes_feed(server, acme):
    """The operator's changes of a maker's account change what every one of its products shows
    (manufacturer_account): the feed says them, so that followers (a cache purger) see them."""
    put(server, acme, "acme-a")
    since = server.get("/v1/changes").json()["last_seq"]
    for args in (["verify", "acme", "--evidence", "Company register checked"],
                 ["unverify", "acme", "--reason", "Licence lapsed"],
                 ["unverify", "acme", "--reason", "again"],  # changes nothing: no entry
                 ["disable", "acme"]):
        r = cli("admin", "manufacturer", *args, "--data", server.data)
        assert r.returncode == 0, r.stderr
    feed = server.get("/v1/changes", params={"since": since}).json()
    ch = feed["changes"]
    assert [(c["seq"], c["event"]) for c in ch] == [
        (since + 1, "verified"), (since + 2, "unverified"), (since + 3, "disabled")]
    for c in ch:  # the documented shape (docs/API.md "Changes feed"), nothing more
        assert list(c) == ["seq", "kind", "event", "time", "manufacturer"]
        assert c["kind"] == "manufacturer" and c["manufacturer"] == "acme"
        assert c["time"].endswith("Z")
    assert feed["last_seq"] == since + 3
    assert server.get("/v1/products/acme-a").json()["manufacturer_account"]["verified"] is False
    ns = {"a": "http://www.w3.org/2005/Atom"}
    atom = ET.fromstring(server.get("/v1/changes.atom").content)
    newest = atom.find("a:entry", ns)
    assert newest.find("a:title", ns).text == "manufacturer acme disabled"
    assert newest.find("a:link", ns).get("href").endswith("/m/acme")
    assert newest.find("a:author/a:name", ns).text == "acme"
    assert newest.find("a:id", ns).text.endswith("/v1/changes?since=%d" % (since + 2))
    # The registry's own check agrees that every entry names what exists.
    r = cli("admin", "verify", "--data", server.data)
    assert r.returncode == 0 and r.stdout.startswith("verify: 0 problems"), r.stdout


# --- GS1 Digital Link resolver ----------------------------------------------------------------

def test_gs1_resolver_redirects_and_serves_linksets(server, acme):
    put(server, acme, "acme-cam", gtin="5012345678900")
    for g in ("5012345678900", "05012345678900"):
        r = server.get("/01/" + g, allow_redirects=False)
        assert r.status_code == 307 and r.headers["Location"] == server.url + "/p/acme-cam"
    r = server.get("/01/05012345678900", headers={"Accept": "application/linkset+json"},
                   allow_redirects=False)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/linkset+json"
    ls = r.json()["linkset"][0]
    assert ls["anchor"] == server.url + "/01/05012345678900"
    assert ls["https://gs1.org/voc/pip"][0]["href"] == server.url + "/p/acme-cam"
    assert ls["https://gs1.org/voc/certificationInfo"][0]["href"] == server.url + \
        "/p/acme-cam/record.json"  # the record where a passed-on query is no error
    assert ls["itemDescription"] == "Acme Indoor Camera"
    assert ls["https://gs1.org/voc/defaultLink"][0]["href"] == server.url + "/p/acme-cam"
    r = server.get("/01/05012345678900?linkType=linkset", allow_redirects=False)
    assert r.status_code == 200 and "linkset" in r.json()
    r = server.get("/01/05012345678900?linkType=gs1:certificationInfo", allow_redirects=False)
    assert r.headers["Location"] == server.url + \
        "/p/acme-cam/record.json?linkType=gs1:certificationInfo"
    rec = server.get("/p/acme-cam/record.json?linkType=gs1:certificationInfo&utm_source=box")
    assert rec.json() == server.get("/v1/products/acme-cam").json()
    # A link type the product has no link of is 404 (GS1 resolver standard), not the default.
    r = server.get("/01/05012345678900?linkType=gs1:unknownThing", allow_redirects=False)
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert server.get("/01/4006381333931").status_code == 404
    assert server.get("/01/4006381333932").status_code == 400
    r = put(server, acme, "acme-zero", gtin="00000000000000")  # nor does the registry
    assert r.status_code == 400 and r.json()["details"][0]["path"] == "/gtin", r.text
    for zeros in ("00000000000000", "0000000000000", "00000000"):  # GS1 issues no such GTIN
        r = server.get("/01/" + zeros, headers={"Accept": "text/html"}, allow_redirects=False)
        assert r.status_code == 400 and r.json()["error"] == "bad_request", zeros
        assert "not all zeros" in r.json()["message"]
    d = server.get("/.well-known/gs1resolver").json()
    assert d["resolverRoot"] == server.url and d["supportedPrimaryKeys"] == ["01"]  # GTIN's AI


def test_gs1_resolver_takes_gtin_8_and_12(server, acme):
    put(server, acme, "acme-tiny", gtin="12345670")
    put(server, acme, "acme-upc", gtin="036000291452")
    assert server.get("/01/12345670", allow_redirects=False).headers["Location"].endswith(
        "/p/acme-tiny")
    assert server.get("/01/00036000291452", allow_redirects=False).headers[
        "Location"].endswith("/p/acme-upc")


# --- manufacturers, health, metrics, security.txt ---------------------------------------------

def test_manufacturer_details_and_count(server, acme):
    put(server, acme, "acme-a")
    put(server, acme, "acme-b")
    m = server.get("/v1/manufacturers/acme").json()
    assert m["slug"] == "acme" and m["name"] == "Acme Devices Ltd" and m["products"] == 2
    assert not any("token" in k or "hash" in k for k in m)
    assert server.get("/v1/manufacturers/nobody").status_code == 404
    assert server.get("/v1/manufacturers/Bad%20Slug").status_code == 400


def test_health_and_metrics(server, acme):
    put(server, acme, "acme-a")
    server.get("/v1/products/acme-a")
    server.get("/v1/products/acme-zzz")
    h = server.get("/healthz")
    assert h.status_code == 200 and h.json()["status"] == "ok" and h.json()["products"] == 1
    m = server.get("/metrics")
    assert m.headers["Content-Type"].startswith("text/plain")
    t = m.text
    assert ('seclabel_http_requests_total{method="GET",route="/v1/products/{}",status="404"} 1'
            in t)
    assert ('seclabel_http_requests_total{method="PUT",route="/v1/products/{}",status="201"} 1'
            in t)
    assert 'seclabel_http_request_duration_seconds_bucket{le="+Inf"}' in t
    assert 'seclabel_records{table="products"} 1' in t
    assert "seclabel_open_connections 1" in t
    assert int(t.split("\nseclabel_db_bytes ")[1].split()[0]) > 0


def test_security_txt(tmp_path):
    s = Server(tmp_path / "d", "--security-contact", "security@registry.example")
    try:
        r = s.get("/.well-known/security.txt")
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
        fields = dict(line.split(": ", 1) for line in r.text.strip().splitlines())
        assert fields["Contact"] == "mailto:security@registry.example"
        expires = datetime.datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ")
        assert datetime.timedelta(days=1) < expires - datetime.datetime.utcnow() < \
            datetime.timedelta(days=366)
    finally:
        s.stop()
    s = Server(tmp_path / "e")
    try:
        assert s.get("/.well-known/security.txt").status_code == 404
    finally:
        s.stop()


@pytest.mark.parametrize("url,warned", [
    ("http://registry.example", True), ("http://10.0.0.7:8080", True),
    ("https://registry.example", False), ("http://127.0.0.1:8080", False),
    ("http://127.3.0.1", False), ("http://[::1]:8080", False), ("http://localhost:8080", False)])
def test_plain_http_public_url_is_warned_about_at_start(tmp_path, url, warned):
    """security.txt's Canonical URL is made from the public URL, and RFC 9116 wants https: a
    public URL of plain http on a host others reach gets one warning line on stderr at start;
    loopback addresses are development and get none."""
    s = Server(tmp_path / "d", "--public-url", url, "--quiet")
    try:
        log = s.log()
    finally:
        s.stop()
    lines = [line for line in log.splitlines() if "not https" in line]
    if warned:
        assert lines == ["seclabeld: warning: the public URL %s is not https: security.txt fails "
                         "validation (RFC 9116 requires an https Canonical URL) and QR codes lead "
                         "to plain http; give --public-url https://... (a loopback address is "
                         "fine for development)" % url], log
    else:
        assert lines == [], log


# --- refused requests change nothing ----------------------------------------------------------

def test_refused_requests_leave_the_database_exactly_as_it_was(server, acme, nordlicht):
    nl = "Nordlicht Elektronik GmbH"
    put(server, acme, "acme-cam", gtin="5012345678900", support_date="2031-12-31")
    put(server, nordlicht, "nordlicht-thermo", manufacturer_name=nl)
    before = db_bytes(server)
    feed = server.get("/v1/changes").json()
    refused = [
        put(server, acme, "acme-cam", support_date="2030-01-01"),          # shortened
        put(server, nordlicht, "acme-cam", manufacturer_name=nl),          # not the owner
        put(server, acme, "acme-cam2", gtin="5012345678900"),              # GTIN taken
        put(server, acme, "acme-cam", support_date="soon"),                # invalid
        put(server, nordlicht, "nordlicht-x", manufacturer_name=nl,
            gtin="5012345678900"),                                         # not its prefix
        put(server, nordlicht, "acme-x", manufacturer_name=nl),            # not its namespace
        put(server, nordlicht, "nordlicht-thermo"),                        # not its name
        server.put("/v1/products/acme-cam", acme, data="{", headers={"Content-Type":
                                                                 "application/json"}),
        server.put("/v1/products/acme-cam", acme, data="x",
                   headers={"Content-Type": "text/plain"}),
        server.put("/v1/products/acme-cam", "slt_" + "x" * 43,
                   json=declaration(id="acme-cam")),
        server.put("/v1/products/acme-cam", json=declaration(id="acme-cam")),
        server.post("/v1/products/nordlicht-thermo/withdraw", acme),
        server.put("/v1/products/acme-cam", acme, json=declaration(id="acme-cam"),
                   headers={"If-Match": '"9"'}),
    ]
    assert [r.status_code for r in refused] == [409, 403, 409, 400, 403, 403, 403, 400, 415, 401,
                                                401, 403, 412]
    assert [r.json()["error"] for r in refused[4:7]] == [
        "gtin_outside_prefixes", "id_outside_namespace", "manufacturer_name_mismatch"]
    assert db_bytes(server) == before
    assert server.get("/v1/changes").json() == feed


def test_invalid_utf8_is_refused(server, acme):
    body = ('{"product_name":"Cam\xff"}').encode("latin-1")
    r = server.put("/v1/products/acme-cam", acme, data=body,
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_json"
    assert server.get("/v1/products/acme-cam").status_code == 404
