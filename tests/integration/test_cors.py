"""CORS (the Fetch standard's CORS protocol) against the real server: answers carry
Access-Control-Allow-Origin: * (errors, redirects and response-cache hits too), OPTIONS answers a
preflight from the route table, credentials are never allowed, the API token is read from the
Authorization header only (never a cookie), and /metrics attributes refused methods to their
route."""
import pathlib
import re
import socket

from conftest import ROOT, add_manufacturer, declaration
from test_metrics import promtool_check

ORIGIN = "https://shop.example"
# Response headers a script may read without being exposed (Fetch: CORS-safelisted response-header
# names), and those the server sends that are of no use to a script (browser policy, caching
# keys, CORS itself, the content coding the browser has undone before a script sees the body).
SAFELISTED = {"cache-control", "content-language", "content-length", "content-type", "expires",
              "last-modified", "pragma"}
NOT_FOR_SCRIPTS = {"content-security-policy", "referrer-policy", "vary", "x-content-type-options",
                   "content-encoding"}


def cors_ok(r):
    """The answer r may be read by a script of any origin, without credentials."""
    assert r.headers.get("Access-Control-Allow-Origin") == "*", (r.status_code, r.headers)
    assert "Access-Control-Allow-Credentials" not in r.headers
    exposed = {h.strip().lower() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "link", "location", "x-request-id"} <= exposed
    return exposed


def get(server, path, **kw):
    headers = dict(kw.pop("headers", {}), Origin=ORIGIN)
    return server.http.get(server.url + path, headers=headers, timeout=10, **kw)


def options(server, path, method, req_headers=None):
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": method}
    if req_headers:
        headers["Access-Control-Request-Headers"] = req_headers
    return server.http.options(server.url + path, headers=headers, timeout=10)


def put_product(server, token, pid="acme-cam-1", **fields):
    return server.put("/v1/products/" + pid, token,
                      json=declaration(id=pid, **fields), headers={"Origin": ORIGIN})


def test_reads_errors_and_redirects_carry_allow_origin(server):
    token = add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    w = put_product(server, token, gtin="5012345678900")
    assert w.status_code == 201
    cors_ok(w)  # a write too
    ok = get(server, "/v1/products/acme-cam-1")
    assert ok.status_code == 200 and "ETag" in ok.headers
    cors_ok(ok)
    missing = get(server, "/v1/products/nope")
    assert missing.status_code == 404
    cors_ok(missing)
    bad = get(server, "/v1/products/acme-cam-1?nosuch=1")
    assert bad.status_code == 400
    cors_ok(bad)
    redirect = get(server, "/01/05012345678900", allow_redirects=False)
    assert 300 <= redirect.status_code < 400 and redirect.headers["Location"]
    cors_ok(redirect)
    nowhere = get(server, "/no/such/address")
    assert nowhere.status_code == 404
    cors_ok(nowhere)
    head = server.http.head(server.url + "/v1/products/acme-cam-1", timeout=10)
    cors_ok(head)
    for page in ("/", "/p/acme-cam-1", "/p/acme-cam-1/label.svg", "/v1/changes.atom"):
        cors_ok(get(server, page))


def cache_hits(server):
    text = server.get("/metrics").text
    return int(re.search(r"^seclabel_response_cache_hits_total (\d+)$", text, re.M).group(1))


def test_response_cache_hits_carry_allow_origin(server):
    token = add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    assert put_product(server, token).status_code == 201
    for path in ("/v1/products/acme-cam-1", "/p/acme-cam-1"):
        before = cache_hits(server)
        first, again = get(server, path), get(server, path)
        assert cache_hits(server) == before + 1  # the second came from the response cache
        assert first.content == again.content
        cors_ok(again)


def test_preflights_answer_from_the_route_table(server):
    read = options(server, "/v1/products/acme-cam-1", "GET", "if-none-match")
    write = options(server, "/v1/products/acme-cam-1", "PUT", "authorization, content-type")
    batch = options(server, "/v1/batch", "POST", "authorization, content-type")
    resolver = options(server, "/01/05012345678900", "GET")
    for r, methods in ((read, "GET, HEAD, PUT"), (write, "GET, HEAD, PUT"), (batch, "POST"),
                       (resolver, "GET, HEAD")):
        assert r.status_code == 204 and r.content == b""
        cors_ok(r)
        assert r.headers["Access-Control-Allow-Methods"] == methods + ", OPTIONS"
        assert r.headers["Allow"] == methods + ", OPTIONS"
        allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
        assert {"authorization", "content-type", "if-match", "if-none-match"} <= allowed
        assert int(r.headers["Access-Control-Max-Age"]) > 0
    # No route, no preflight: 404 as for any method.
    assert options(server, "/no/such/address", "GET").status_code == 404
    # The operators' endpoints answer OPTIONS but give other origins no leave.
    m = options(server, "/metrics", "GET")
    assert m.status_code == 204 and m.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert not any(h.lower().startswith("access-control-") for h in m.headers)
    assert "Access-Control-Allow-Origin" not in server.get("/healthz").headers


def test_no_answer_allows_credentials(server):
    token = add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    answers = [put_product(server, token), put_product(server, None, "acme-x"),
               options(server, "/v1/whoami", "GET", "authorization"),
               server.get("/v1/whoami", headers={"Authorization": "Bearer " + token,
                                                 "Origin": ORIGIN}),
               server.post("/v1/products/acme-cam-1/withdraw", "not-a-token",
                           headers={"Origin": ORIGIN})]
    for r in answers:
        cors_ok(r)


def test_a_cookie_carrying_the_token_does_not_authenticate(server):
    token = add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    db = (server.data / "data.mdb").read_bytes()
    for cookie in ("token=" + token, "Authorization=Bearer " + token, "seclabel_token=" + token,
                   "session=" + token):
        r = server.http.put(server.url + "/v1/products/acme-cam-1", json=declaration(),
                            headers={"Cookie": cookie, "Origin": ORIGIN}, timeout=10)
        assert r.status_code == 401 and r.json()["error"] == "unauthorized", r.text
        assert server.get("/v1/whoami", headers={"Cookie": cookie}).status_code == 401
    assert server.get("/v1/products/acme-cam-1").status_code == 404
    assert (server.data / "data.mdb").read_bytes() == db
    # The same token in the header does authenticate: the refusals above are the cookie's.
    assert put_product(server, token).status_code == 201


def test_every_header_a_handler_sends_is_readable_by_scripts(server):
    """The Expose list names every header the handlers send (found in their source, so a new
    one cannot be forgotten), unless the Fetch standard safelists it or it is of no use to a
    script."""
    exposed = cors_ok(get(server, "/v1/products/nope"))
    sent = set()
    for src in (ROOT / "registry" / "server").glob("*.c"):
        sent |= {h.lower() for h in
                 re.findall(r'http_resp_header\(\s*\w+,\s*"([A-Za-z-]+)"', src.read_text())}
    assert "etag" in sent and "location" in sent  # the search finds what it should
    sent -= {h for h in sent if h.startswith("access-control-")}
    missing = sent - exposed - SAFELISTED - NOT_FOR_SCRIPTS
    assert not missing, missing


def test_refused_methods_are_counted_under_their_route(server):
    server.post("/p/x")
    server.http.delete(server.url + "/v1/products/x", timeout=10)
    server.http.request("PATCH", server.url + "/v1/products/x", timeout=10)
    options(server, "/v1/products/x", "PUT")
    text = server.get("/metrics").text
    for line in ('{method="POST",route="/p/{}",status="405"} 1',
                 '{method="DELETE",route="/v1/products/{}",status="405"} 1',
                 '{method="other",route="/v1/products/{}",status="405"} 1',
                 '{method="OPTIONS",route="/v1/products/{}",status="204"} 1'):
        assert "seclabel_http_requests_total" + line + "\n" in text, text
    assert 'route="(none)"' not in text
    assert 'method=""' not in text
    promtool_check(text)


def raw(server, request):
    """The status line and header lines the server answers to request (bytes, sent as they are)."""
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    return head[0], [line.split(": ", 1) for line in head[1:]]


def test_errors_the_parser_answers_allow_any_origin(server):
    """400, 413, 414 and 431 are written before any route runs; a script of another origin still
    reads them (rather than an opaque network error)."""
    host = "Host: %s:%d\r\nOrigin: %s\r\n" % (server.host, server.port, ORIGIN)
    for request, status in (
            ("GET /%s HTTP/1.1\r\n%s\r\n" % ("a" * 5000, host), "414"),
            ("GET / HTTP/1.1\r\n%sX-Big: %s\r\n\r\n" % (host, "b" * 20000), "431"),
            ("PUT /v1/products/x HTTP/1.1\r\n%sContent-Length: 999999999\r\n\r\n" % host, "413"),
            ("GET / HTTP/1.1\r\n\r\n", "400")):  # no Host
        line, headers = raw(server, request.encode())
        assert line.split()[1] == status, (status, line)
        assert ["Access-Control-Allow-Origin", "*"] in headers, (status, headers)
