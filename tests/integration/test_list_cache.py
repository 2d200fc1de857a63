"""List answers in the response cache (issue 15): a search, the facets, the home and maker pages
asked again are sent from the per-loop cache, byte for byte, under an ETag made from what the
body depends on (no hash of the body); any write, by the server or another process, makes them
stale at once, so no list is ever answered from before it. Not timed.

The day's change is tested in tests/unit/test_rcache.c (a list kept on one day is not found on
the next, even at the same commit): the server has no clock hook for "today"."""
import re
import socket

from conftest import add_manufacturer, cli, declaration, keepalive_get

SEARCH = "/v1/products?q=camera"


def metric(server, name):
    m = re.search(r"^%s (\d+)$" % name, server.get("/metrics").text, re.M)
    assert m, name + " is not in /metrics"
    return int(m.group(1))


def list_hits(server):
    return metric(server, "seclabel_list_cache_hits_total")


def without_per_request(lines):
    """The head lines that differ between two sendings of one answer by design."""
    return [ln for ln in lines if not ln.lower().startswith(("date:", "x-request-id:"))]


def header(lines, name):
    for ln in lines[1:]:
        k, _, v = ln.partition(": ")
        if k.lower() == name.lower():
            return v
    return None


def put(server, token, **d):
    r = server.put("/v1/products/" + d["id"], token=token, json=declaration(**d))
    assert r.status_code in (200, 201), r.text
    return r


def ids(server, sock, path=SEARCH):
    lines, body = keepalive_get(sock, path)
    assert lines[0].endswith("200 OK"), lines[0]
    import json
    return [p["id"] for p in json.loads(body)["items"]]


def connect(server):
    return socket.create_connection((server.host, server.port), timeout=10)


def test_a_repeated_search_is_sent_from_the_cache_byte_for_byte(server, acme):
    put(server, acme, id="acme-cam-1")
    put(server, acme, id="acme-cam-2", product_name="Acme Garden Camera")
    with connect(server) as sock:
        for path in (SEARCH, "/v1/facets", "/?q=camera", "/", "/m/acme"):
            first = keepalive_get(sock, path)
            before = list_hits(server)
            again = keepalive_get(sock, path)
            assert list_hits(server) == before + 1, path
            assert again[1] == first[1], path
            assert without_per_request(again[0]) == without_per_request(first[0]), path
            assert header(first[0], "ETag"), path
    assert metric(server, "seclabel_list_cache_misses_total") >= 5
    assert metric(server, "seclabel_list_cache_bytes") > 0


def test_a_write_of_any_product_is_seen_by_the_next_search(server, acme):
    """A PUT of a product the cached list does not show yet, an update, a withdrawal: each is
    in the very next answer to the same search, on the same connection."""
    put(server, acme, id="acme-cam-1")
    with connect(server) as sock:
        assert ids(server, sock) == ["acme-cam-1"]
        before = list_hits(server)
        assert ids(server, sock) == ["acme-cam-1"]
        assert list_hits(server) == before + 1  # the cache is in play
        put(server, acme, id="acme-cam-2", product_name="Acme Garden Camera")
        assert ids(server, sock) == ["acme-cam-1", "acme-cam-2"]
        put(server, acme, id="acme-cam-1", product_name="Acme Indoor Kettle")
        assert ids(server, sock) == ["acme-cam-2"]
        assert ids(server, sock) == ["acme-cam-2"]
        r = server.post("/v1/products/acme-cam-2/withdraw", token=acme)
        assert r.status_code == 200, r.text
        assert ids(server, sock) == []


def test_a_maker_changed_by_another_process_is_seen_by_the_next_list(server, acme):
    """`seclabel admin` writes the database beside the server: the cached lists (which show
    each product's manufacturer_account) go stale all the same."""
    put(server, acme, id="acme-cam-1")
    with connect(server) as sock:
        for path in (SEARCH, "/m/acme"):
            keepalive_get(sock, path)
        before = list_hits(server)
        lines, body = keepalive_get(sock, SEARCH)
        assert list_hits(server) == before + 1
        assert b'"verified":false' in body
        page = keepalive_get(sock, "/m/acme")[1]
        r = cli("admin", "manufacturer", "verify", "acme", "--evidence", "register checked",
                "--data", server.data)
        assert r.returncode == 0, r.stderr
        lines, body = keepalive_get(sock, SEARCH)
        assert b'"verified":true' in body
        assert keepalive_get(sock, "/m/acme")[1] != page


def test_list_etags_answer_304_and_change_with_the_data(server, acme):
    put(server, acme, id="acme-cam-1")
    put(server, acme, id="acme-cam-2", product_name="Acme Garden Camera")
    for path, enc in ((SEARCH, None), (SEARCH, "br"), ("/?q=camera", "gzip"), ("/v1/facets", None),
                      ("/m/acme", None)):
        h = {"Accept-Encoding": enc} if enc else {"Accept-Encoding": "identity"}
        r = server.get(path, headers=h)
        assert r.status_code == 200
        tag = r.headers["ETag"]
        assert not tag.startswith("W/")
        again = server.get(path, headers={**h, "If-None-Match": tag})
        assert again.status_code == 304, path
        assert again.headers["ETag"] == tag
        assert again.content == b""
    r = server.get(SEARCH, headers={"Accept-Encoding": "identity"})
    tag = r.headers["ETag"]
    # The tag is known before the body: a client (or a cache) holding the identity copy is
    # answered 304 whatever coding it asks for now, without the search being run again.
    held = server.get(SEARCH, headers={"Accept-Encoding": "br", "If-None-Match": tag})
    assert held.status_code == 304 and held.headers["ETag"] == tag
    put(server, acme, id="acme-cam-3", product_name="Acme Door Camera")
    after = server.get(SEARCH, headers={"Accept-Encoding": "identity", "If-None-Match": tag})
    assert after.status_code == 200
    assert after.headers["ETag"] != tag
    assert "acme-cam-3" in after.text


def test_different_answers_never_share_an_etag(server, acme):
    put(server, acme, id="acme-cam-1")
    tags = {}
    for path, lang in (("/v1/products?q=camera", None), ("/v1/products?q=acme", None),
                       ("/?q=camera", "en"), ("/?q=camera", "de"), ("/?q=camera&lang=fr", "en"),
                       ("/v1/facets", None), ("/m/acme", "en"), ("/m/acme", "de")):
        h = {"Accept-Encoding": "identity"}
        if lang:
            h["Accept-Language"] = lang
        r = server.get(path, headers=h)
        assert r.status_code == 200
        tags.setdefault(r.headers["ETag"], []).append((path, lang, r.content))
    for tag, answers in tags.items():
        assert len({a[2] for a in answers}) == 1, (tag, [a[:2] for a in answers])
    assert len(tags) == 8


def test_languages_and_codings_do_not_mix(server, acme):
    put(server, acme, id="acme-cam-1")
    with connect(server) as sock:
        seen = {}
        for _ in range(2):  # the second round from the cache
            for lang in ("en", "de"):
                for enc in ("identity", "gzip", "br"):
                    lines, body = keepalive_get(sock, "/?q=camera",
                                                {"Accept-Language": lang, "Accept-Encoding": enc})
                    ce = header(lines, "Content-Encoding")
                    assert ce == (None if enc == "identity" else enc), (lang, enc, ce)
                    assert header(lines, "Content-Language") in (None, lang)
                    key = (lang, enc)
                    assert seen.setdefault(key, body) == body, key
        assert seen[("en", "identity")] != seen[("de", "identity")]
        assert b'lang="de"' in seen[("de", "identity")]
        assert b'lang="en"' in seen[("en", "identity")]
    assert list_hits(server) >= 6
