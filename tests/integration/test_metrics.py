"""GET /metrics as Prometheus scrapes it, checked by Prometheus's own linter (promtool check
metrics, from Debian's prometheus package): after requests of many kinds, refusals included, the
exposition parses and follows the naming and HELP/TYPE rules."""
import shutil
import socket
import subprocess
import time

from conftest import Server, declaration


def promtool_check(exposition):
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian's prometheus package, installed by scripts/setup)"
    r = subprocess.run([promtool, "check", "metrics"], input=exposition, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr


def test_metrics_pass_promtool(server, acme):
    server.put("/v1/products/acme-cam-1", acme, json=declaration())
    server.get("/v1/products/acme-cam-1")
    server.get("/p/acme-cam-1")
    server.get("/p/acme-cam-1/label.png")
    server.get("/v1/products/nope")
    server.put("/v1/products/acme-cam-1", json=declaration())  # 401
    server.post("/v1/products/acme-cam-1")  # 405
    text = server.get("/metrics").text
    assert 'status="401"' in text and 'status="405"' in text
    promtool_check(text)


def test_refused_connections_are_counted(tmp_path):
    small = Server(tmp_path / "small", "--max-conns-per-client", "1")
    try:
        with socket.create_connection((small.host, small.port)) as first:
            # An answer on the first connection shows the server has accepted and counted it:
            # the handshake alone does not (with --loops N another loop may take the second
            # connection before the first one's loop has accepted it).
            first.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            assert first.recv(4096).startswith(b"HTTP/1.1 200")
            with socket.create_connection((small.host, small.port)) as extra:
                assert b"503" in extra.recv(4096)
        refused = 1
        for _ in range(100):  # the server sees the first connection close soon after
            r = small.http.get(small.url + "/metrics", timeout=10)
            if r.status_code == 200:
                break
            refused += 1  # this one was refused too
            small.http.close()
            time.sleep(0.05)
        assert "seclabel_connections_refused_total %d\n" % refused in r.text
        promtool_check(r.text)
    finally:
        small.stop()
