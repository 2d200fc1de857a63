"""Validators and Cache-Control on every GET route (issue 14): each route of api.c's table
answers with an ETag (and Last-Modified where it has a time) and a Cache-Control with max-age;
If-None-Match and If-Modified-Since give 304 without a body; a write to the product makes the
old ETag stale on every route that shows it; day-dependent answers never outlive the day.
The routes come from the route table itself (test_openapi.route_table), so a new route is
covered, or must be listed below with its reason, the day it is added."""
import calendar
import email.utils
import json
import re
import shutil
import subprocess
import time

import pytest

from conftest import EXAMPLES, Server, add_manufacturer, cli
from test_openapi import route_table

# A declaration complete enough for every route (the CTA-2120 export needs all its fields).
DECL = json.loads((EXAMPLES / "valid" / "acme-cam-2-complete.json").read_text())
PRODUCT = DECL["id"]
GTIN = DECL["gtin"].zfill(14)
# A real value for each "{}", by route.
VALUES = {
    "/v1/products/{}": [PRODUCT],
    "/v1/products/{}/versions": [PRODUCT],
    "/v1/products/{}/versions/{}": [PRODUCT, "1"],
    "/v1/products/{}/cta-2120": [PRODUCT],
    "/v1/manufacturers/{}": ["acme"],
    "/01/{}": [GTIN],
    "/p/{}": [PRODUCT],
    "/p/{}/details": [PRODUCT],
    "/p/{}/record.json": [PRODUCT],
    "/p/{}/label.png": [PRODUCT],
    "/p/{}/label.svg": [PRODUCT],
    "/p/{}/label.pdf": [PRODUCT],
    "/p/{}/label.zpl": [PRODUCT],
    "/m/{}": ["acme"],
    "/log/tile/{}": ["0/000.p/1"],
    "/v1/products/{}/proof": [PRODUCT],
    "/v1/products/{}/versions/{}/entry": [PRODUCT, "1"],
}
# Routes answered with no-store: nothing may be kept, so there is nothing to validate.
NO_STORE = {
    "/metrics": "operators' live counters",
    "/healthz": "a monitor's live probe",
    "/v1/whoami": "answers for the token sent (private)",
}
# Routes outside this test, with the reason.
ELSEWHERE = {
    "/01/{}": "the GS1 resolver redirects (307) to the page or record, which carry the "
              "validators; its headers are the resolver's (test_gs1*.py)",
    "/log/proof": "needs two tree sizes in its query; immutable for them (test_log_http.py)",
}
# Routes with no modification time to state (ETag only).
NO_TIME = {"/.well-known/gs1resolver": "the resolver's description: configuration only",
           "/log/checkpoint": "the newest signed checkpoint: its ETag is its bytes",
           "/log/key": "the log's verifier key: configuration only",
           "/log/tile/{}": "a tile: its hashes never change once written",
           "/v1/products/{}/proof": "a proof to the newest checkpoint: its ETag is its bytes",
           "/v1/products/{}/versions/{}/entry": "a logged entry: its bytes never change"}
# Routes whose answer does not show the product's declaration, so a write leaves their ETag.
WRITE_KEEPS = {
    "/v1/products/{}/versions/{}": "version 1 never changes",
    "/v1/manufacturers/{}": "the account and a count of products, unchanged by an update",
    "/static/style.css": "compiled in",
    "/.well-known/security.txt": "the operator's contact",
    "/.well-known/gs1resolver": "configuration",
    "/v1/facets": "counts, unchanged by a rename (the ETag is the body's)",
    "/log": "the log's key and checkpoint size: a write shows when the next checkpoint is signed",
    "/log/checkpoint": "a write shows in the checkpoint signed within the next second",
    "/log/key": "the log's key",
    "/log/tile/{}": "the first hash of the tree",
    "/v1/products/{}/proof": "a proof to the newest checkpoint: it moves with the next one",
    "/v1/products/{}/versions/{}/entry": "version 1's entry never changes",
}
# Routes whose answer shows a product's support status or a search by it: day-dependent.
DAY_DEPENDENT = {"/", "/v1/products", "/v1/products/{}", "/v1/products/{}/versions",
                 "/p/{}", "/p/{}/details", "/p/{}/record.json", "/m/{}",
                 "/products.csv", "/v1/facets"}


def get_routes():
    return sorted(p for m, p in route_table() if m == "get")


def fill(pattern):
    values = iter(VALUES.get(pattern, []))
    path = re.sub(r"\{\}", lambda _m: next(values), pattern)
    assert "{}" not in path
    return path


def checked_routes():
    return [p for p in get_routes() if p not in NO_STORE and p not in ELSEWHERE]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("validators")
    s = Server(tmp / "data", "--security-contact", "security@registry.example")
    s.token = add_manufacturer(s.data, "acme", "Acme Devices Ltd")
    r = s.put("/v1/products/" + PRODUCT, token=s.token, json=DECL)
    assert r.status_code == 201, r.text
    # The checkpoint that covers the write (signed within about a second) dates /log and L2.
    while int(s.get("/log/checkpoint").text.split("\n")[1]) < r.json()["log"]["index"] + 1:
        time.sleep(0.05)
    # A Last-Modified in the current second is not sent (RFC 9110 8.8.2.2): let it pass.
    time.sleep(1.1)
    yield s
    s.stop()


def test_every_get_route_is_covered_or_listed():
    gets = set(get_routes())
    for listed in (NO_STORE, ELSEWHERE, NO_TIME, WRITE_KEEPS):
        assert set(listed) <= gets, set(listed) - gets
    for p in gets:
        if "{}" in p and p not in ELSEWHERE:
            assert p in VALUES, "give %s a real value in VALUES" % p


@pytest.mark.parametrize("pattern", sorted(NO_STORE))
def test_private_routes_are_no_store(srv, pattern):
    r = srv.get(fill(pattern), headers={"Authorization": "Bearer " + srv.token})
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"


def cache_control(r):
    out = {}
    for part in r.headers["Cache-Control"].split(","):
        k, _, v = part.strip().partition("=")
        out[k] = int(v) if v else True
    return out


@pytest.mark.parametrize("pattern", checked_routes())
def test_validators_and_304(srv, pattern):
    path = fill(pattern)
    r = srv.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text[:200])
    etag = r.headers.get("ETag")
    assert etag, path
    cc = cache_control(r)
    assert isinstance(cc.get("max-age"), int) and cc["public"] is True, (path, cc)
    lm = r.headers.get("Last-Modified")
    if pattern in NO_TIME:
        assert lm is None
    else:
        assert lm, (path, dict(r.headers))
        assert email.utils.parsedate_to_datetime(lm).timestamp() <= time.time()

    c = srv.get(path, headers={"If-None-Match": etag})
    assert c.status_code == 304, (path, c.status_code)
    assert c.content == b"" and c.headers["ETag"] == etag
    assert "max-age" in c.headers["Cache-Control"]

    if lm:
        c = srv.get(path, headers={"If-Modified-Since": lm})
        assert c.status_code == 304, (path, c.status_code)
        assert c.content == b""

    other = srv.get(path, headers={"If-None-Match": '"not-this-one"'})
    assert other.status_code == 200 and other.content == r.content


@pytest.mark.parametrize("pattern", sorted(DAY_DEPENDENT))
def test_day_dependent_answers_do_not_outlive_the_day(srv, pattern):
    r = srv.get(fill(pattern))
    assert r.status_code == 200
    date = calendar.timegm(email.utils.parsedate(r.headers["Date"]))
    left = (date // 86400 + 1) * 86400 - date
    cc = cache_control(r)
    longest = cc["max-age"] + max(cc.get("stale-while-revalidate", 0),
                                  cc.get("stale-if-error", 0))
    assert longest <= left, (pattern, cc, left)
    lm = calendar.timegm(email.utils.parsedate(r.headers["Last-Modified"]))
    assert lm >= date // 86400 * 86400, "Last-Modified before the start of the day"


def test_a_write_makes_the_old_validators_stale(srv):
    before = {}
    for pattern in checked_routes():
        if pattern in WRITE_KEEPS:
            continue
        r = srv.get(fill(pattern))
        assert r.status_code == 200
        before[pattern] = (r.headers["ETag"], r.headers.get("Last-Modified"))
    r = srv.put("/v1/products/" + PRODUCT, token=srv.token,
                json=dict(DECL, product_name="Acme Camera Two"))
    assert r.status_code == 200 and r.headers["Seclabel-Change"] == "updated", r.text
    for pattern, (etag, lm) in before.items():
        path = fill(pattern)
        r = srv.get(path, headers={"If-None-Match": etag})
        assert r.status_code == 200 and r.content, (path, r.status_code)
        assert r.headers["ETag"] != etag, path
        if lm:
            r = srv.get(path, headers={"If-Modified-Since": lm})
            assert r.status_code == 200, (path, "If-Modified-Since")


def test_a_manufacturer_change_makes_the_product_etag_stale(srv):
    """The record shows its maker's account (name, verification): the product's own ETag,
    known before the body, must change with it."""
    path = "/v1/products/" + PRODUCT
    r = srv.get(path)
    etag = r.headers["ETag"]
    v = cli("admin", "manufacturer", "verify", "acme", "--evidence", "checked the register",
            "--data", srv.data)
    if v.returncode != 0:
        pytest.skip("no verify command: %s" % v.stderr)
    r2 = srv.get(path, headers={"If-None-Match": etag})
    assert r2.status_code == 200 and r2.headers["ETag"] != etag
    assert r2.json()["manufacturer_account"] != r.json()["manufacturer_account"]


@pytest.mark.skipif(not shutil.which("wget"), reason="wget is not installed")
def test_wget_timestamping_on_the_atom_feed(srv, tmp_path):
    url = srv.url + "/v1/changes.atom"
    time.sleep(1.1)  # past the second of the last write: its Last-Modified is sent
    first = subprocess.run(["wget", "-N", "-S", url], cwd=tmp_path, capture_output=True,
                           text=True, timeout=30)
    assert first.returncode == 0, first.stderr
    again = subprocess.run(["wget", "-N", url], cwd=tmp_path, capture_output=True, text=True,
                           timeout=30)
    assert again.returncode == 0, again.stderr
    assert "Last-modified header missing" not in first.stderr + again.stderr
    assert "not retrieving" in again.stderr or "304" in again.stderr, again.stderr
