"""Query parameters (issue 12, part G): the JSON API takes only the parameters each address
lists, each once and with a value, and refuses anything else with 400 naming it; `gtin` and
`status` are real search filters (the API lists products on sale unless asked otherwise); the
pages ignore parameters they do not know but never show a list that looks filtered and is not;
and bodies the schema allows or refuses are answered as schema/openapi.yaml says."""
import json
import re

import pytest

from conftest import add_manufacturer, cli, declaration

GTIN_CAM = "5012345678900"  # acme-cam
GTIN_PLUG = "5012345000015"  # acme-plug (withdrawn)
GTIN_HUB = "4006381333931"  # nordlicht-hub


def put(server, token, pid, **fields):
    r = server.put("/v1/products/" + pid, token, json=declaration(id=pid, **fields))
    assert r.status_code in (200, 201), r.text
    return r


@pytest.fixture
def shop(server, acme):
    """acme-cam and acme-plug (withdrawn) of acme, nordlicht-hub of nordlicht; acme's token."""
    nordlicht = add_manufacturer(server.data, "nordlicht", "Nordlicht Elektronik GmbH")
    put(server, acme, "acme-cam", gtin=GTIN_CAM)
    put(server, acme, "acme-plug", product_name="Smart Plug", gtin=GTIN_PLUG)
    assert server.post("/v1/products/acme-plug/withdraw", acme).status_code == 200
    put(server, nordlicht, "nordlicht-hub", product_name="Hub", gtin=GTIN_HUB,
        manufacturer_name="Nordlicht Elektronik GmbH")
    return acme


def ids(r):
    assert r.status_code == 200, r.text
    return [p["id"] for p in r.json()["items"]]


def refused(r, name):
    """r is a 400 bad_request whose message names parameter `name`."""
    assert r.status_code == 400, (r.status_code, r.text[:300])
    body = r.json()
    assert body["error"] == "bad_request", body
    assert "'%s'" % name in body["message"] or body["message"].startswith(name + ":"), body
    return body["message"]


def page_ids(r):
    assert r.status_code == 200, r.text[:300]
    return re.findall(r'<tr><td><a href="/p/([a-z0-9-]+)"', r.text)


# --- the gtin and status filters ------------------------------------------------------------

def test_gtin_is_a_filter(server, shop):
    # It once was ignored: the whole registry came back, another product first.
    assert ids(server.get("/v1/products?gtin=" + GTIN_HUB)) == ["nordlicht-hub"]
    assert ids(server.get("/v1/products?gtin=0" + GTIN_HUB)) == ["nordlicht-hub"]  # GTIN-14
    assert ids(server.get("/v1/products?gtin=4006381000017")) == []  # nobody's
    assert ids(server.get("/v1/products?gtin=%s&manufacturer=acme" % GTIN_HUB)) == []
    first = server.get("/v1/products?limit=1&gtin=" + GTIN_HUB).json()
    assert first["next_cursor"] is None  # the only one: no next page
    # The withdrawn plug's GTIN finds it only when withdrawn products are asked for.
    assert ids(server.get("/v1/products?gtin=" + GTIN_PLUG)) == []
    assert ids(server.get("/v1/products?status=any&gtin=" + GTIN_PLUG)) == ["acme-plug"]
    for bad in ("4006381333932", "12345", "abc"):  # check digit, length, digits
        refused(server.get("/v1/products?gtin=" + bad), "gtin")
    for zeros in ("00000000000000", "00000000"):  # a right check digit, but no GTIN
        assert "not all zeros" in refused(server.get("/v1/products?gtin=" + zeros), "gtin")


def test_status_filter_defaults_to_products_on_sale(server, shop):
    assert ids(server.get("/v1/products")) == ["acme-cam", "nordlicht-hub"]
    assert ids(server.get("/v1/products?status=active")) == ["acme-cam", "nordlicht-hub"]
    assert ids(server.get("/v1/products?status=withdrawn")) == ["acme-plug"]
    assert ids(server.get("/v1/products?status=any")) == ["acme-cam", "acme-plug",
                                                           "nordlicht-hub"]
    assert ids(server.get("/v1/products?status=any&manufacturer=acme&q=plug")) == ["acme-plug"]
    for bad in ("Withdrawn", "all", "active,withdrawn"):
        msg = refused(server.get("/v1/products?status=" + bad), "status")
        assert "active, withdrawn, any" in msg
    # A product asked for by key is answered whatever its status, and says which it is.
    r = server.post("/v1/lookup", json={"ids": ["acme-plug"], "gtins": [GTIN_PLUG]})
    assert [x["record"]["status"] for x in r.json()["results"]] == ["withdrawn", "withdrawn"]


# --- strict parameters on the JSON API ------------------------------------------------------

def test_unknown_empty_and_repeated_parameters_are_refused_by_name(server, shop):
    msg = refused(server.get("/v1/products?order=name"), "order")
    assert "q, manufacturer, gtin, status" in msg  # what it does take
    refused(server.get("/v1/products?manufacturer="), "manufacturer")
    refused(server.get("/v1/products?q=cam&gtin="), "gtin")
    refused(server.get("/v1/products?q"), "q")  # no value at all
    refused(server.get("/v1/products?limit=1&limit=2"), "limit")
    refused(server.get("/v1/products?q=cam&Q=cam"), "Q")  # names are case-sensitive
    refused(server.get("/v1/products?%FF=1"), "%FF")  # shown escaped
    # A connection that sent a refused query is still usable.
    assert server.get("/v1/products?sort=name").headers.get("Connection") != "close"


@pytest.mark.parametrize("method,path", [
    ("GET", "/v1/products/acme-cam"),
    ("GET", "/v1/products/acme-cam/versions"),
    ("GET", "/v1/products/acme-cam/versions/1"),
    ("GET", "/v1/products/acme-cam/cta-2120"),
    ("GET", "/v1/manufacturers/acme"),
    ("GET", "/v1/whoami"),
    ("GET", "/v1/changes.atom"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("POST", "/v1/lookup"),
])
def test_addresses_without_parameters_refuse_any(server, shop, method, path):
    kw = {"json": {"ids": ["acme-cam"]}} if method == "POST" else {}
    r = server.http.request(method, server.url + path + "?pretty=1", timeout=10,
                            headers={"Authorization": "Bearer " + shop}, **kw)
    assert "no query parameters" in refused(r, "pretty")
    ok = server.http.request(method, server.url + path, timeout=10,
                             headers={"Authorization": "Bearer " + shop}, **kw)
    assert ok.status_code in (200, 422), ok.text[:300]  # (acme-cam lacks CTA-2120 fields)


def test_changes_and_labels_take_only_their_own(server, shop):
    assert server.get("/v1/changes?since=0&limit=2").status_code == 200
    refused(server.get("/v1/changes?since=0&from=3"), "from")
    refused(server.get("/v1/changes?since="), "since")
    assert server.get("/p/acme-cam/label.svg?layout=compact").status_code == 200
    refused(server.get("/p/acme-cam/label.svg?layout=compact&size=big"), "size")
    refused(server.get("/p/acme-cam/label.png?dpi="), "dpi")


def test_dry_run_is_taken_by_put_and_batch_and_refused_by_withdraw(server, shop):
    r = server.put("/v1/products/acme-cam?dry_run=true", shop,
                   json=declaration(id="acme-cam", gtin=GTIN_CAM, product_name="Renamed"))
    assert r.status_code == 200 and r.headers["Seclabel-Dry-Run"] == "true"
    r = server.post("/v1/batch?dry_run=true", shop,
                    json={"products": [declaration(id="acme-new")]})
    assert r.status_code == 200 and r.headers["Seclabel-Dry-Run"] == "true"
    # Withdraw has no dry run: it must not withdraw for real when asked for one.
    r = server.post("/v1/products/acme-cam/withdraw?dry_run=true", shop)
    refused(r, "dry_run")
    rec = server.get("/v1/products/acme-cam").json()
    assert rec["status"] == "active" and rec["product_name"] == declaration()["product_name"]
    assert server.get("/v1/products/acme-new").status_code == 404


# --- the pages --------------------------------------------------------------------------------

def test_pages_filter_by_gtin_and_status_and_ignore_the_unknown(server, shop):
    # The home page lists every product, withdrawn ones too, unless asked otherwise.
    assert page_ids(server.get("/")) == ["acme-cam", "acme-plug", "nordlicht-hub"]
    assert page_ids(server.get("/?gtin=" + GTIN_HUB)) == ["nordlicht-hub"]
    assert page_ids(server.get("/?status=withdrawn")) == ["acme-plug"]
    assert page_ids(server.get("/?status=active")) == ["acme-cam", "nordlicht-hub"]
    assert page_ids(server.get("/m/acme?gtin=" + GTIN_PLUG)) == ["acme-plug"]
    assert page_ids(server.get("/m/acme?status=active")) == ["acme-cam"]
    # A form's empty "any" and parameters the page does not know change nothing.
    assert page_ids(server.get("/?q=&gtin=&status=&utm_source=x")) == [
        "acme-cam", "acme-plug", "nordlicht-hub"]
    # A value the page cannot use is refused, not ignored while showing everything.
    for bad in ("gtin=4006381333932", "status=gone", "support=soon"):
        r = server.get("/?" + bad)
        assert r.status_code == 400 and bad.split("=")[0] in r.text, bad
    # The CSV download lists what the API lists by default, and what the page asked for.
    csv = server.get("/products.csv").text
    assert "acme-cam" in csv and "acme-plug" not in csv
    assert "acme-plug" in server.get("/products.csv?status=any").text
    assert 'href="/products.csv?status=any"' in server.get("/").text


# --- bodies -----------------------------------------------------------------------------------

def test_batch_items_must_be_declarations_with_an_id(server, shop):
    # [{}] was once answered 200 (each item failed) though the schema requires `id`.
    for products in ([{}], [{"id": 7}], ["acme-cam"], [declaration(id="acme-x"), {}]):
        r = server.post("/v1/batch", shop, json={"products": products})
        assert r.status_code == 400 and r.json()["error"] == "bad_request", (products, r.text)
    r = server.post("/v1/batch", shop, json={"products": [], "extra": 1})
    assert r.status_code == 400
    assert server.get("/v1/products/acme-x").status_code == 404


def test_cli_search_takes_status_and_gtin(server, shop):
    r = cli("search", server=server)
    assert r.returncode == 0 and "acme-plug" not in r.stdout and "acme-cam" in r.stdout
    r = cli("search", "--status", "withdrawn", server=server)
    assert r.returncode == 0 and [l.split()[1] for l in r.stdout.splitlines()] == [
        "acme-plug"], r.stdout
    r = cli("search", "--gtin", GTIN_HUB, "--json", server=server)
    assert r.returncode == 0 and [p["id"] for p in json.loads(r.stdout)["items"]] == [
        "nordlicht-hub"]
    r = cli("search", "--status", "gone", server=server)
    assert r.returncode != 0 and "status" in r.stderr and len(r.stderr.splitlines()) == 1


def test_export_still_holds_withdrawn_products(server, shop, tmp_path):
    """The CLI's own listings ask for every status: the API's default (products on sale) must
    not silently drop a maker's withdrawn products from an export."""
    out = tmp_path / "acme.jsonl"
    r = cli("export", "--manufacturer", "acme", "--format", "jsonl", "-o", out, server=server)
    assert r.returncode == 0, r.stderr
    assert sorted(json.loads(l)["id"] for l in out.read_text().splitlines()) == [
        "acme-cam", "acme-plug"]
