"""docs/API.md against the server: its route table lists exactly the routes of registry/server/api.c,
and the routes that send ETags are exactly those its ETag section names."""
import json
import re

import pytest

from conftest import EXAMPLES, ROOT
from test_openapi import route_table

API_MD = (ROOT / "docs" / "API.md").read_text(encoding="utf-8")


def section(title):
    """The text of API.md's section or subsection titled `title`, up to the next heading of any
    level up to its own."""
    m = re.search(r"^(#+) %s\n(.*?)(?=^#{1,%d} )" % (re.escape(title), 9), API_MD, re.M | re.S)
    assert m, "docs/API.md has no section %r" % title
    level = len(m.group(1))
    body = re.split(r"^#{1,%d} " % level, m.group(2), flags=re.M)[0]
    return body


def documented_routes():
    """(method, path with {} for parameters) of every row of section 3's route table."""
    out = set()
    for method, path in re.findall(r"^\| `([A-Z]+) ([^`]+)` \|", section("3. Routes"), re.M):
        alts = re.match(r"(.*)\.\{([a-z,]+)\}$", path)  # label.{png,svg,pdf,zpl}
        paths = [alts.group(1) + "." + e for e in alts.group(2).split(",")] if alts else [path]
        out |= {(method.lower(), re.sub(r"\{[^}/]+\}", "{}", p)) for p in paths}
    return out


def test_the_route_table_lists_every_route_and_nothing_else():
    gets = {p for m, p in route_table() if m == "get"}
    routes = {(m, p) for m, p in route_table() if not (m == "head" and p in gets)}
    docs = documented_routes()
    assert sorted(routes - docs) == [], "routes missing from docs/API.md's route table"
    assert sorted(docs - routes) == [], "rows of docs/API.md's route table with no route"


@pytest.fixture
def product(server, acme):
    """The demo's camera: complete enough for every route (CTA-2120 too), with a GTIN."""
    decl = json.loads((EXAMPLES / "demo" / "acme" / "acme-cam-2.json").read_text())
    assert server.put("/v1/products/" + decl["id"], acme, json=decl).status_code == 201
    return decl["id"]


def test_the_routes_that_send_etags_are_those_the_docs_name(server, acme, product):
    values = {"/v1/manufacturers/{}": "acme", "/01/{}": "05012345678900", "/m/{}": "acme",
              "/log/tile/{}": "0/000.p/1"}
    # Routes that need parameters; a proof to a tree that holds the product (the newest
    # checkpoint may not yet: one is signed every second).
    index = server.get("/v1/products/" + product).json()["log"]["index"]
    queries = {"/log/proof": "?old=1&new=1", "/v1/products/{}/proof": "?size=%d" % (index + 1)}
    sent, missing = set(), set()
    for method, pattern in sorted(route_table()):
        if method != "get":
            continue
        path = pattern
        if pattern in values:
            path = pattern.replace("{}", values[pattern])
        path = path.replace("/v1/products/{}", "/v1/products/" + product)
        path = path.replace("/p/{}", "/p/" + product).replace("/versions/{}", "/versions/1")
        path += queries.get(pattern, "")
        r = server.get(path, allow_redirects=False,
                       headers={"Authorization": "Bearer " + acme})
        # (no security.txt: the server has no --security-contact)
        assert r.status_code in ((404,) if "security.txt" in path else (200, 307)), \
            (path, r.status_code)
        if "ETag" in r.headers:
            sent.add(pattern)
        elif r.status_code == 200:
            missing.add(pattern)
    # Every GET answered 200 has one: represent.c's, or the handler's own (the streamed CSV's).
    assert missing == set()
    etags = section("ETags and conditional requests")
    for named in ("GET /v1/products/{id}", "GET /v1/products/{id}/versions/{n}",
                  "GET /p/{id}/record.json",
                  "GET /p/{id}/label.*", "GET /products.csv"):
        assert "`%s`" % named in etags, named
    assert "Most ETags are a hash of the body" in etags
    assert "streamed answers (`GET /products.csv`) do not" in section("Compression and the last step before sending")
