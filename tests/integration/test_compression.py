"""Representations (registry/server/represent.c) against the real server: every GET answered
200 carries a validator (the handler's ETag or one made from the body) and answers a
conditional GET with 304; compression negotiated by Accept-Encoding."""
import gzip
import http.client
import re
import subprocess
import time

import pytest

from conftest import add_manufacturer, declaration

# Routes whose handlers set no ETag of their own: represent.c makes it.
GENERIC = ["/", "/v1/changes.atom", "/m/acme", "/v1/manufacturers/acme", "/v1/changes",
           "/v1/products", "/.well-known/gs1resolver", "/static/style.css"]


@pytest.fixture
def maker(server):
    add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    return server


@pytest.mark.parametrize("path", GENERIC)
def test_every_get_has_an_etag_and_answers_304(maker, path):
    r = maker.get(path, headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200, r.text
    tag = r.headers["ETag"]
    assert tag.startswith('"') and tag.endswith('"')
    again = maker.get(path, headers={"Accept-Encoding": "identity"})
    assert again.headers["ETag"] == tag  # the same bytes, the same tag
    head = maker.http.head(maker.url + path, headers={"Accept-Encoding": "identity"}, timeout=10)
    assert head.headers["ETag"] == tag
    assert head.headers["Content-Length"] == r.headers["Content-Length"]
    for cond in (tag, 'W/' + tag, '"nope", ' + tag):
        nm = maker.get(path, headers={"If-None-Match": cond, "Accept-Encoding": "identity"})
        assert nm.status_code == 304, (cond, nm.status_code)
        assert nm.content == b""
        assert nm.headers["ETag"] == tag
        assert "Content-Type" not in nm.headers
        assert nm.headers.get("Cache-Control") == r.headers.get("Cache-Control")
        assert nm.headers["Access-Control-Allow-Origin"] == "*"
    other = maker.get(path, headers={"If-None-Match": '"nope"', "Accept-Encoding": "identity"})
    assert other.status_code == 200 and other.content == r.content


def test_a_handlers_own_etag_and_304_are_kept(maker):
    """The record's ETag is the handler's ("<version>.<day>"), not a body hash, and its own 304
    still answers."""
    token = add_manufacturer(maker.data, "nordlicht", "Nordlicht GmbH")
    d = declaration(id="nordlicht-x", manufacturer_name="Nordlicht GmbH")
    assert maker.put("/v1/products/nordlicht-x", token=token, json=d).status_code in (200, 201)
    r = maker.get("/v1/products/nordlicht-x", headers={"Accept-Encoding": "identity"})
    tag = r.headers["ETag"]
    assert tag.startswith('"1.')
    nm = maker.get("/v1/products/nordlicht-x",
                   headers={"If-None-Match": tag, "Accept-Encoding": "identity"})
    assert nm.status_code == 304 and nm.headers["ETag"] == tag


def raw(server, path, method="GET", **headers):
    """The answer to one request as sent: status, headers (lower-case names) and the body's bytes
    before any decoding."""
    c = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        c.request(method, path, headers=headers)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def unbrotli(data):
    """Brotli's own decoder (the brotli command, Debian's package of the reference code)."""
    return subprocess.run(["brotli", "-d", "-c"], input=data, capture_output=True,
                          check=True).stdout


@pytest.fixture
def products(maker):
    """Twenty products, so the search list is well above the compression threshold."""
    token = add_manufacturer(maker.data, "nordlicht", "Nordlicht GmbH")
    for i in range(20):
        d = declaration(id="nordlicht-%d" % i, manufacturer_name="Nordlicht GmbH",
                        product_name="Nordlicht Thermostat %d" % i)
        assert maker.put("/v1/products/nordlicht-%d" % i, token=token, json=d).status_code == 201
    return maker


LIST = "/v1/products?limit=100"
PAGES = [LIST, "/v1/products/nordlicht-3", "/", "/p/nordlicht-3", "/static/style.css",
         "/v1/changes.atom", "/m/nordlicht"]


@pytest.mark.parametrize("path", PAGES)
def test_gzip_and_brotli_give_back_the_same_bytes(products, path):
    st, h, plain = raw(products, path, **{"Accept-Encoding": "identity"})
    assert st == 200 and "content-encoding" not in h and len(plain) > 1024
    assert "Accept-Encoding" in h["vary"]  # it could have been compressed
    st, hg, gz = raw(products, path, **{"Accept-Encoding": "gzip"})
    assert hg["content-encoding"] == "gzip" and "Accept-Encoding" in hg["vary"]
    assert int(hg["content-length"]) == len(gz) < len(plain)
    assert gzip.decompress(gz) == plain
    st, hb, br = raw(products, path, **{"Accept-Encoding": "gzip, deflate, br"})
    assert hb["content-encoding"] == "br" and int(hb["content-length"]) == len(br)
    assert unbrotli(br) == plain
    # One tag per representation, each answering 304 only for its own form.
    tags = {h["etag"], hg["etag"], hb["etag"]}
    assert len(tags) == 3
    assert hg["etag"] == h["etag"][:-1] + '-gz"' and hb["etag"] == h["etag"][:-1] + '-br"'
    for ae, tag in (("identity", h["etag"]), ("gzip", hg["etag"]), ("br", hb["etag"])):
        st, h304, body = raw(products, path, **{"Accept-Encoding": ae, "If-None-Match": tag})
        assert st == 304 and body == b"" and h304["etag"] == tag
        assert "Accept-Encoding" in h304["vary"] and "content-encoding" not in h304
        for other in tags - {tag}:
            st, ho, _ = raw(products, path, **{"Accept-Encoding": ae, "If-None-Match": other})
            if path.startswith(("/v1/products/", LIST, "/m/")) or path == "/":
                own = other == h["etag"]
            else:
                own = False
            if own:
                # The record's and the lists' handlers answer their own tag's 304 before any
                # coding is chosen: the cache's identity copy is fresh, and any client takes
                # identity.
                assert st == 304 and ho["etag"] == other
            else:
                assert st == 200, (ae, other)
    # HEAD: the headers GET sends, the encoded length.
    for ae, hh in (("gzip", hg), ("br", hb), ("identity", h)):
        st, head, body = raw(products, path, "HEAD", **{"Accept-Encoding": ae})
        assert body == b"" and head.get("content-encoding") == hh.get("content-encoding")
        assert head["content-length"] == hh["content-length"] and head["etag"] == hh["etag"]


@pytest.mark.parametrize("ae,coding", [
    ("br;q=0.5, gzip", "gzip"), ("gzip;q=0.5, br;q=0.6", "br"), ("br;q=0, gzip;q=0.1", "gzip"),
    ("gzip;q=0, br;q=0", None), ("*", "br"), ("*;q=0.5, br;q=0", "gzip"),
    ("gzip;q=0.5, identity", None), ("x-gzip", "gzip"), ("deflate", None), ("", None)])
def test_accept_encoding_weights(products, ae, coding):
    st, h, body = raw(products, LIST, **{"Accept-Encoding": ae})
    assert st == 200 and h.get("content-encoding") == coding
    assert "Accept-Encoding" in h["vary"]


def metric(server, name):
    text = server.get("/metrics", headers={"Accept-Encoding": "identity"}).text
    return int(float(re.search(r"^%s (\S+)$" % name, text, re.M).group(1)))


def answers_on_one_connection(server, path, n, **headers):
    """n answers to the same GET, as raw() gives them, on one keep-alive connection: one event
    loop's response cache serves them all (each of seclabeld --loops N has its own)."""
    c = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        out = []
        for _ in range(n):
            c.request("GET", path, headers=headers)
            r = c.getresponse()
            out.append((r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()))
        return out
    finally:
        c.close()


def test_cache_hits_send_the_stored_compressed_bytes(products):
    for path in ("/v1/products/nordlicht-3", "/p/nordlicht-3"):
        for ae in ("gzip", "br"):
            # Kept answers are made afresh each minute (api_cache.c): not across its turn.
            if time.time() % 60 > 55:
                time.sleep(60 - time.time() % 60 + 0.1)
            hits = metric(products, "seclabel_response_cache_hits_total")
            made = metric(products, "seclabel_compressed_responses_total")
            first, *again = answers_on_one_connection(products, path, 4, **{"Accept-Encoding": ae})
            assert metric(products, "seclabel_response_cache_hits_total") == hits + 3
            assert metric(products, "seclabel_compressed_responses_total") == made + 1
            for a in again:
                assert a[2] == first[2] and a[1]["content-encoding"] == ae
                assert a[1]["etag"] == first[1]["etag"]
        # The identity form is kept apart from the compressed ones.
        st, h, plain = raw(products, path, **{"Accept-Encoding": "identity"})
        assert "content-encoding" not in h and gzip.decompress(raw(
            products, path, **{"Accept-Encoding": "gzip"})[2]) == plain


def test_tiny_bodies_and_labels_stay_as_they_are(products):
    for path in ("/healthz", "/v1/whoami", "/p/nordlicht-3/label.png", "/p/nordlicht-3/label.svg",
                 "/p/nordlicht-3/label.pdf", "/p/nordlicht-3/label.zpl", "/nothing/here"):
        st, h, body = raw(products, path, **{"Accept-Encoding": "gzip, br"})
        assert "content-encoding" not in h, path
        assert "Accept-Encoding" not in h.get("vary", ""), path
    st, h, body = raw(products, "/p/nordlicht-3/label.png", **{"Accept-Encoding": "gzip, br"})
    assert body.startswith(b"\x89PNG")
