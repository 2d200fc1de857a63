"""HTTP behaviour and every error case of the skeleton, against the real server over TCP."""
import re
import json
import socket
import time

from conftest import Server, declaration


def raw(server, data, timeout=5):
    """Send raw bytes on a fresh connection; return everything read until the server closes
    (or the timeout)."""
    s = socket.create_connection((server.host, server.port), timeout=timeout)
    s.sendall(data)
    chunks = []
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    except socket.timeout:
        chunks.append(b"<timeout>")
    s.close()
    return b"".join(chunks)


def error_of(resp):
    body = resp.json()
    assert set(body) >= {"error", "message"} and body["message"]
    return body["error"]


def test_keep_alive_and_pipelining_on_one_connection(server, acme):
    server.put("/v1/products/acme-cam-1", acme, json=declaration())
    req = b"GET /v1/products/acme-cam-1 HTTP/1.1\r\nHost: x\r\n\r\n"
    last = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    out = raw(server, req * 3 + last)
    assert out.count(b"HTTP/1.1 200 OK") == 4
    assert out.index(b'"products":1') > out.rindex(b'"id":"acme-cam-1"')
    assert b"<timeout>" not in out  # the server closed after Connection: close


def test_unknown_product_is_404_json_and_helpful_html(server):
    r = server.get("/v1/products/nope")
    assert r.status_code == 404 and error_of(r) == "not_found"
    assert "nope" in r.json()["message"]
    page = server.get("/p/nope")
    assert page.status_code == 404 and "Product not found" in page.text
    assert server.get("/no/such/path").status_code == 404


def test_bad_id_is_400(server, acme):
    r = server.put("/v1/products/.bad", acme, json=declaration(id=None))
    assert r.status_code == 400 and error_of(r) == "invalid_id"
    assert error_of(server.get("/v1/products/" + "a" * 65)) == "invalid_id"


def test_missing_or_unknown_token_is_401(server, acme):
    r = server.put("/v1/products/acme-cam-1", json=declaration())
    assert r.status_code == 401 and error_of(r) == "unauthorized"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    r = server.put("/v1/products/acme-cam-1", "slt_" + "A" * 43, json=declaration())
    assert r.status_code == 401
    assert server.get("/v1/products/acme-cam-1").status_code == 404


def test_invalid_declaration_lists_every_problem(server, acme):
    d = declaration(support_date="31/12/2031", default_password="admin", product_model=None,
                    colour="red")
    r = server.put("/v1/products/acme-cam-1", acme, json=d)
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "invalid_declaration"
    got = {(e["path"], e["rule"]) for e in body["details"]}
    assert got == {("/support_date", "format"), ("/default_password", "enum"),
                   ("/product_model", "required"), ("/colour", "additionalProperties")}
    assert server.get("/v1/products/acme-cam-1").status_code == 404


def test_not_json_is_400_and_wrong_type_is_415(server, acme):
    r = server.put("/v1/products/acme-cam-1", acme, data="{oops",
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and error_of(r) == "invalid_json"
    r = server.put("/v1/products/acme-cam-1", acme, data=json.dumps(declaration()),
                   headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and error_of(r) == "unsupported_media_type"


def test_method_not_allowed_has_allow_header(server):
    r = server.http.delete(server.url + "/v1/products/acme-cam-1", timeout=5)
    assert r.status_code == 405 and error_of(r) == "method_not_allowed"
    assert r.headers["Allow"] == "GET, HEAD, PUT, OPTIONS"
    r = server.http.post(server.url + "/p/x", timeout=5)
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_head_has_headers_but_no_body(server, acme):
    server.put("/v1/products/acme-cam-1", acme, json=declaration())
    g = server.get("/v1/products/acme-cam-1")
    h = server.http.head(server.url + "/v1/products/acme-cam-1", timeout=5)
    assert h.status_code == 200 and h.content == b""
    assert h.headers["Content-Length"] == g.headers["Content-Length"]


def test_every_response_has_date_length_type_and_request_id(server):
    for path in ["/", "/healthz", "/v1/products/x", "/p/x"]:
        r = server.get(path, headers={"Accept-Encoding": "identity"})  # length of what is read
        assert r.headers["Date"].endswith("GMT")
        assert int(r.headers["Content-Length"]) == len(r.content)
        assert "charset=utf-8" in r.headers["Content-Type"]
        assert len(r.headers["X-Request-Id"]) == 16


def test_oversized_body_is_413(server, acme):
    r = server.put("/v1/products/acme-cam-1", acme, data=b"x" * (64 * 1024 + 1),
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and error_of(r) == "payload_too_large"


def test_oversized_uri_and_headers(server):
    out = raw(server, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 414 ")
    out = raw(server, b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(70))
              + b"\r\n")
    assert out.startswith(b"HTTP/1.1 431 ")
    out = raw(server, b"GET / HTTP/1.1\r\nX-Big: " + b"v" * 20000 + b"\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 431 ")


def test_malformed_request_gets_400_then_close(server):
    out = raw(server, b"GARBAGE\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 ")
    assert b'"error":"bad_request"' in out
    assert b"Connection: close" in out
    assert out.count(b"HTTP/1.1") == 1
    assert b"<timeout>" not in out


def test_request_smuggling_attempt_is_refused(server):
    out = raw(server, b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 ")
    assert out.count(b"HTTP/1.1 ") == 1


def test_slow_request_times_out_with_408(tmp_path):
    s = Server(tmp_path / "data", "--request-timeout-ms", "300", "--idle-timeout-ms", "5000")
    try:
        c = socket.create_connection((s.host, s.port), timeout=5)
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
        data = c.recv(65536)  # the socket's 5 s timeout: a generous bound, not a measurement
        assert data.startswith(b"HTTP/1.1 408 ")
        assert c.recv(100) == b""  # closed
        c.close()
    finally:
        s.stop()


def test_idle_keep_alive_connection_is_closed(tmp_path):
    s = Server(tmp_path / "data", "--idle-timeout-ms", "200")
    try:
        c = socket.create_connection((s.host, s.port), timeout=5)
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = c.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        assert c.recv(100) == b""  # closed by the idle timer, without a response
        c.close()
    finally:
        s.stop()


def test_a_busy_keep_alive_connection_outlives_the_idle_timeout(tmp_path):
    """The idle timeout counts from the last request, not from the first: a connection that
    asks every 50 ms is still served after three idle timeouts have passed since it opened,
    and is closed once it falls silent. The clock only paces the requests; nothing asserts how
    long anything took (the socket's 5 s timeout bounds the wait for the close)."""
    s = Server(tmp_path / "data", "--idle-timeout-ms", "500")
    try:
        c = socket.create_connection((s.host, s.port), timeout=5)
        start = time.monotonic()
        while time.monotonic() - start < 1.5:  # three idle timeouts
            time.sleep(0.05)
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert c.recv(65536).startswith(b"HTTP/1.1 200 ")
        assert c.recv(100) == b""  # silent now: closed by the idle timer, without a response
        c.close()
    finally:
        s.stop()


def test_sigint_and_sigterm_stop_cleanly_with_open_connections(tmp_path):
    import signal
    for sig in (signal.SIGINT, signal.SIGTERM):
        s = Server(tmp_path / "data")
        c = socket.create_connection((s.host, s.port), timeout=5)
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert c.recv(65536).startswith(b"HTTP/1.1 200 ")
        assert s.stop(sig) == 0
        c.close()


def test_repeated_reads_are_never_stale(server, acme):
    """Answers kept for repeated scans (the response cache) follow every write at once, keep
    languages apart, and still get their own request id and date."""
    from conftest import declaration
    assert server.put("/v1/products/acme-cam", acme, json=declaration(id="acme-cam")).status_code == 201
    first = [server.get("/v1/products/acme-cam") for _ in range(3)]
    assert len({r.headers["X-Request-Id"] for r in first}) == 3
    assert all(r.json()["version"] == 1 and r.headers["Date"] for r in first)
    label = server.get("/p/acme-cam/label.svg").text
    assert server.get("/p/acme-cam/label.svg").text == label and "Acme Indoor Camera" in label
    de = server.get("/p/acme-cam", headers={"Accept-Language": "de"}).text
    en = server.get("/p/acme-cam", headers={"Accept-Language": "en"}).text
    assert server.get("/p/acme-cam", headers={"Accept-Language": "de"}).text == de != en
    assert server.put("/v1/products/acme-cam", acme, json=declaration(
        id="acme-cam", product_name="Renamed Camera")).status_code == 200
    assert server.get("/v1/products/acme-cam").json()["product_name"] == "Renamed Camera"
    assert "Renamed Camera" in server.get("/p/acme-cam", headers={"Accept-Language": "de"}).text
    assert "Renamed Camera" in server.get("/p/acme-cam/label.svg").text
    assert server.post("/v1/batch", acme, json={"products": [
        declaration(id="acme-cam", product_name="Batch Camera")]}).json()["updated"] == 1
    assert server.get("/v1/products/acme-cam").json()["product_name"] == "Batch Camera"
    assert server.post("/v1/products/acme-cam/withdraw", acme).status_code == 200
    assert server.get("/v1/products/acme-cam").json()["status"] == "withdrawn"
    etag = server.get("/v1/products/acme-cam").headers["ETag"]
    assert server.get("/v1/products/acme-cam", headers={"If-None-Match": etag}).status_code == 304
    r = server.http.head(server.url + "/v1/products/acme-cam", timeout=10)
    assert r.status_code == 200 and r.content == b"" and int(r.headers["Content-Length"]) > 100
    # The operator verifying the maker (another process, straight into the database) is a
    # write too: the server looks for such changes every second and then drops what it kept,
    # so pages and records naming the maker soon show it.
    from conftest import cli
    assert "Not verified" in server.get("/p/acme-cam").text
    assert server.get("/v1/products/acme-cam").json()["manufacturer_account"]["verified"] is False
    r = cli("admin", "manufacturer", "verify", "acme", "--evidence", "Company register checked",
            "--data", server.data)
    assert r.returncode == 0, r.stderr
    deadline = time.time() + 20
    while time.time() < deadline and "Not verified" in server.get("/p/acme-cam").text:
        time.sleep(0.1)
    assert "Verified by the registry on" in server.get("/p/acme-cam").text
    assert server.get("/v1/products/acme-cam").json()["manufacturer_account"]["verified"] is True
    metrics = server.get("/metrics").text
    hits = re.search(r"^seclabel_response_cache_hits_total (\d+)$", metrics, re.M)
    assert hits and int(hits.group(1)) >= 3


def test_pipelined_requests_behind_a_write_are_answered_in_order(server, acme):
    """A write is committed off the event loop; requests pipelined behind it on the same
    connection wait for it and see what it wrote."""
    body = json.dumps(declaration(id="acme-pipe")).encode()
    put = (b"PUT /v1/products/acme-pipe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
           acme.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: " +
           str(len(body)).encode() + b"\r\n\r\n" + body)
    get = b"GET /v1/products/acme-pipe HTTP/1.1\r\nHost: x\r\n\r\n"
    c = socket.create_connection((server.host, server.port), timeout=10)
    c.sendall(put + get + put + get)
    data = b""

    def complete(d, n):  # n whole responses (each with its Content-Length) in d
        for _ in range(n):
            head, sep, rest = d.partition(b"\r\n\r\n")
            m = re.search(rb"Content-Length: (\d+)", head)
            if not sep or not m or len(rest) < int(m.group(1)):
                return False
            d = rest[int(m.group(1)):]
        return True
    while not complete(data, 4):
        chunk = c.recv(65536)
        assert chunk, data
        data += chunk
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", data)
    assert statuses == [b"201", b"200", b"200", b"200"]
    assert data.count(b"Seclabel-Change: created") == 1
    assert data.count(b"Seclabel-Change: unchanged") == 1
    c.close()


def test_a_client_gone_during_a_write_harms_nothing(server, acme):
    """The connection closes while its batch is being written: the write still lands and the
    server carries on."""
    body = json.dumps({"products": [declaration(id="acme-gone-%03d" % i) for i in range(500)]})
    req = (b"POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + acme.encode() +
           b"\r\nContent-Type: application/json\r\nContent-Length: " +
           str(len(body)).encode() + b"\r\n\r\n" + body.encode())
    for _ in range(3):
        c = socket.create_connection((server.host, server.port), timeout=10)
        c.sendall(req)
        c.close()
    deadline = time.time() + 20
    while time.time() < deadline and server.get("/healthz").json()["products"] < 500:
        time.sleep(0.05)
    assert server.get("/healthz").json()["products"] == 500
    assert server.get("/v1/products/acme-gone-499").status_code == 200
    assert server.proc.poll() is None


def test_several_event_loops_share_one_registry(tmp_path):
    """--loops 4: connections land on different loops (SO_REUSEPORT); a write answered on one
    loop is seen at once on every other (their cached answers go stale); /metrics counts all
    loops; SIGTERM stops them all."""
    import requests
    from conftest import add_manufacturer
    s = Server(tmp_path / "data", "--loops", "4")
    try:
        token = add_manufacturer(s.data, "acme", "Acme Devices Ltd")
        r = s.put("/v1/products/acme-cam", token, json=declaration(id="acme-cam"))
        assert r.status_code == 201
        readers = [requests.Session() for _ in range(16)]  # 16 connections, spread over loops
        for r in readers:  # warm every loop's cache with the first version
            assert r.get(s.url + "/p/acme-cam", timeout=10).status_code == 200
            assert r.get(s.url + "/v1/products/acme-cam", timeout=10).json()["version"] == 1
        for v in range(2, 6):
            assert s.put("/v1/products/acme-cam", token, json=declaration(
                id="acme-cam", support_date="20%d-12-31" % (40 + v))).status_code == 200
            for r in readers:
                assert r.get(s.url + "/v1/products/acme-cam", timeout=10).json()["version"] == v
                assert "20%d" % (40 + v) in r.get(s.url + "/p/acme-cam", timeout=10).text
        metrics = s.get("/metrics").text
        total = sum(int(n) for n in re.findall(
            r'^seclabel_http_requests_total\{method="GET",route="/v1/products/\{\}",'
            r'status="200"\} (\d+)$', metrics, re.M))
        assert total == 16 * 5
        assert re.search(r"^seclabel_open_connections (\d+)$", metrics, re.M)
        assert "4 event loops" in s.first_line
        for r in readers:
            r.close()
    finally:
        assert s.stop() == 0
