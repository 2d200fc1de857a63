"""Representations (registry/server/represent.c) against the real server: every GET answered
200 carries a validator (the handler's ETag or one made from the body) and answers a
conditional GET with 304; compression negotiated by Accept-Encoding."""
import pytest

from conftest import add_manufacturer

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
    from conftest import declaration
    token = add_manufacturer(maker.data, "nordlicht", "Nordlicht GmbH")
    d = declaration(id="nordlicht-x", manufacturer_name="Nordlicht GmbH")
    assert maker.put("/v1/products/nordlicht-x", token=token, json=d).status_code in (200, 201)
    r = maker.get("/v1/products/nordlicht-x", headers={"Accept-Encoding": "identity"})
    tag = r.headers["ETag"]
    assert tag.startswith('"1.')
    nm = maker.get("/v1/products/nordlicht-x",
                   headers={"If-None-Match": tag, "Accept-Encoding": "identity"})
    assert nm.status_code == 304 and nm.headers["ETag"] == tag
