"""The TLS front (deploy/nginx/seclabel.conf) run for real: Debian's nginx from a temporary
prefix, on free loopback ports, with a throw-away certificate for 127.0.0.1, in front of a real
seclabeld started with --trusted-proxy 127.0.0.1 and an https public URL.

The site file is rendered from the shipped one: only its ports, the host name and the paths of
the certificate and logs are replaced (each replacement must apply, so the test follows the file).
Skipped only if nginx or openssl is not installed (scripts/setup installs both).
"""
import http.client
import json
import os
import pathlib
import re
import shutil
import socket
import ssl
import subprocess
import time
import warnings

import pytest
import requests

from conftest import ROOT, Server, add_manufacturer, cli, declaration

SITE = ROOT / "deploy" / "nginx" / "seclabel.conf"
LIMITS = ROOT / "registry" / "core" / "reg_limits.h"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
OPENSSL = shutil.which("openssl")

pytestmark = pytest.mark.skipif(
    not NGINX or not OPENSSL,
    reason="nginx or openssl is not installed (Debian packages nginx and openssl: scripts/setup)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificate(d):
    """A self-signed certificate for 127.0.0.1 and localhost, valid two days: (cert, key)."""
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def render_site(d, https, http_port, upstream, cert, key):
    """deploy/nginx/seclabel.conf with this test's ports and paths (IPv6 listeners dropped)."""
    site = SITE.read_text()
    live = "/etc/letsencrypt/live/registry.example.org/"
    subs = [
        (live + "fullchain.pem", str(cert)),
        (live + "privkey.pem", str(key)),
        ("https://registry.example.org$request_uri", "https://127.0.0.1:%d$request_uri" % https),
        ("server_name registry.example.org;", "server_name 127.0.0.1 localhost;"),
        ("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % https),
        ("listen 80;", "listen 127.0.0.1:%d;" % http_port),
        ("server 127.0.0.1:8080;", "server 127.0.0.1:%d;" % upstream),
        ("/var/log/nginx/seclabel.access.log", str(d / "access.log")),
        ("/var/log/nginx/seclabel.error.log", str(d / "error.log")),
    ]
    for old, new in subs:
        assert old in site, "deploy/nginx/seclabel.conf no longer has %r" % old
        site = site.replace(old, new)
    site, n = re.subn(r"^\s*listen \[::\]:\d+.*\n", "", site, flags=re.M)
    assert n == 2
    # everything that named the real machine was replaced (comments aside)
    code = re.sub(r"#.*", "", site)
    assert not re.search(r"registry\.example\.org|/etc/|/var/", code), code
    return site


def main_conf(d):
    """The nginx.conf around the site: Debian's /etc/nginx/nginx.conf does the same (includes
    sites-enabled inside http), with every path in the temporary prefix."""
    user = "user root root;\n" if os.geteuid() == 0 else ""  # (as root, workers need our files)
    temps = "".join("%s_temp_path %s;\n" % (t, d / t)
                    for t in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
    return (user + "worker_processes 1;\npid %s;\nerror_log %s;\n"
            "events { worker_connections 2048; }\n"
            "http {\n%saccess_log %s;\ninclude %s;\n}\n"
            % (d / "nginx.pid", d / "nginx-error.log", temps, d / "main-access.log",
               d / "seclabel.conf"))


class Front:
    """seclabeld behind nginx; base (https) and plain (http) URLs, the pinned certificate."""

    def __init__(self, d):
        self.dir = d
        self.cert, self.key = make_certificate(d)
        self.https, self.http_port = free_port(), free_port()
        self.base = "https://127.0.0.1:%d" % self.https
        self.plain = "http://127.0.0.1:%d" % self.http_port
        self.server = Server(d / "data", "--trusted-proxy", "127.0.0.1", "--public-url", self.base,
                             "--security-contact", "security@registry.example")
        (d / "seclabel.conf").write_text(render_site(d, self.https, self.http_port,
                                                     self.server.port, self.cert, self.key))
        (d / "nginx.conf").write_text(main_conf(d))
        args = [NGINX, "-p", str(d), "-c", str(d / "nginx.conf"), "-e", str(d / "nginx-error.log")]
        t = subprocess.run(args + ["-t"], capture_output=True, text=True, timeout=30)
        assert t.returncode == 0, t.stderr
        self.nginx = subprocess.Popen(args + ["-g", "daemon off;"], stderr=subprocess.PIPE,
                                      text=True)
        deadline = time.time() + 20
        while True:  # nginx prints nothing when ready: wait for its port
            assert self.nginx.poll() is None, self.nginx.stderr.read()
            try:
                socket.create_connection(("127.0.0.1", self.https), timeout=1).close()
                break
            except OSError:
                assert time.time() < deadline, "nginx did not listen"
                time.sleep(0.05)
        self.token = add_manufacturer(self.server.data, "acme", "Acme Devices Ltd")

    def tls(self):
        return ssl.create_default_context(cafile=str(self.cert))

    def conn(self, source="127.0.0.1"):
        """An https connection from a source address of our choosing (all of 127/8 is ours)."""
        return http.client.HTTPSConnection("127.0.0.1", self.https, context=self.tls(),
                                           source_address=(source, 0), timeout=10)

    def stop(self):
        if self.nginx.poll() is None:
            self.nginx.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()
        self.nginx.stderr.close()
        self.server.stop()


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    f = Front(tmp_path_factory.mktemp("nginx"))
    yield f
    f.stop()


def limit(name):
    """A number from registry/core/reg_limits.h (seclabeld's own limits: their one home)."""
    m = re.search(r"#define %s \((\d+) \* (\d+)(?: \* (\d+))?\)" % name, LIMITS.read_text())
    return eval("*".join(g for g in m.groups() if g))


def test_the_api_and_a_page_over_tls_with_the_certificate_pinned(front):
    r = requests.get(front.base + "/v1/products", verify=str(front.cert), timeout=10)
    assert r.status_code == 200 and r.json()["items"] == []
    assert "X-Request-Id" in r.headers  # seclabeld's answer, through the proxy
    assert r.headers["Strict-Transport-Security"] == "max-age=63072000"
    page = requests.get(front.base + "/", verify=str(front.cert), timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    # seclabeld's own security headers pass through, once each (the front repeats none)
    csp = [v for k, v in page.raw.headers.items() if k.lower() == "content-security-policy"]
    assert len(csp) == 1 and "frame-ancestors 'none'" in csp[0]
    assert page.raw.headers.getlist("X-Content-Type-Options") == ["nosniff"]
    assert page.raw.headers.getlist("Strict-Transport-Security") == ["max-age=63072000"]
    # and nothing is served without a certificate the client trusts
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(front.base + "/v1/products", timeout=10)
    with socket.create_connection(("127.0.0.1", front.https), timeout=10) as raw:
        with front.tls().wrap_socket(raw, server_hostname="127.0.0.1") as s:
            assert s.version() in ("TLSv1.2", "TLSv1.3")


def test_a_tls_1_1_client_is_refused(front):
    ctx = front.tls()
    ctx.set_ciphers("ALL:@SECLEVEL=0")  # the client would (Debian's OpenSSL alone would not)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_connection(("127.0.0.1", front.https), timeout=10) as raw:
        with pytest.raises(ssl.SSLError):
            ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def test_plain_http_is_redirected_to_the_public_https_address(front):
    r = requests.get(front.plain + "/p/acme-cam-1?lang=de", allow_redirects=False, timeout=10,
                     headers={"Host": "evil.example"})
    assert r.status_code == 301
    assert r.headers["Location"] == front.base + "/p/acme-cam-1?lang=de"  # not the Host sent


def test_a_write_with_a_token_goes_through(front):
    h = {"Authorization": "Bearer " + front.token}
    d = declaration(id="acme-front-1")
    r = requests.put(front.base + "/v1/products/acme-front-1", json=d, headers=h,
                     verify=str(front.cert), timeout=10)
    assert r.status_code in (200, 201), r.text
    got = requests.get(front.base + "/v1/products/acme-front-1", verify=str(front.cert), timeout=10)
    assert got.status_code == 200 and got.json()["product_name"] == d["product_name"]
    # the QR code's URL is the https public URL
    assert front.base + "/p/acme-front-1" in got.text


def test_bodies_over_seclabelds_limits_are_refused_by_nginx(front):
    h = {"Authorization": "Bearer " + front.token, "Content-Type": "application/json"}
    v = str(front.cert)
    body, batch = limit("REG_MAX_BODY"), limit("REG_MAX_BATCH_BODY")
    # at the limit: nginx passes it on, and seclabeld answers (it is no declaration)
    r = requests.put(front.base + "/v1/products/acme-big", data=b" " * body, headers=h, verify=v,
                     timeout=10)
    assert r.status_code == 400 and "X-Request-Id" in r.headers, r.text
    # one byte over: nginx answers 413 in seclabeld's form, and seclabeld never sees it
    r = requests.put(front.base + "/v1/products/acme-big", data=b" " * (body + 1), headers=h,
                     verify=v, timeout=10)
    assert r.status_code == 413 and "X-Request-Id" not in r.headers
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"error": "payload_too_large", "message": "The request body is too large."}
    # a batch has its own, larger limit
    r = requests.post(front.base + "/v1/batch", data=b" " * batch, headers=h, verify=v, timeout=10)
    assert r.status_code == 400 and "X-Request-Id" in r.headers, r.text
    r = requests.post(front.base + "/v1/batch", data=b" " * (batch + 1), headers=h, verify=v,
                      timeout=10)
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"


def log_line(server, rid):
    deadline = time.time() + 10
    while True:
        for line in server.log().splitlines():
            if " %s " % rid in line:
                return line.split(" ")
        assert time.time() < deadline, server.log()
        time.sleep(0.02)


def test_the_access_log_names_the_client_not_the_proxy(front):
    c = front.conn(source="127.0.0.2")
    # what a client writes into X-Forwarded-For itself is kept, but not believed
    c.request("GET", "/healthz", headers={"X-Forwarded-For": "203.0.113.66"})
    r = c.getresponse()
    r.read()
    assert r.status == 200
    fields = log_line(front.server, r.getheader("X-Request-Id"))
    assert fields[2:5] == ["127.0.0.2", "GET", "/healthz"]
    c.close()
    # nginx's own log has the same client
    assert re.search(r"^127\.0\.0\.2 .*\"GET /healthz HTTP/1\.1\" 200 ",
                     (front.dir / "access.log").read_text(), re.M)


def test_the_cli_trusts_a_private_ca_named_as_curl_reads_it(front, tmp_path):
    """The front's certificate is no system CA's: seclabel refuses it (exit 3, one line) unless
    CURL_CA_BUNDLE or SSL_CERT_FILE names it; then a write goes through TLS."""
    f = tmp_path / "cam.json"
    f.write_text(json.dumps(declaration(id="acme-front-ca")))
    env = {"SECLABEL_SERVER": front.base, "SECLABEL_TOKEN": front.token,
           "CURL_CA_BUNDLE": "", "SSL_CERT_FILE": "", "SSL_CERT_DIR": ""}  # empty: unset
    r = cli("register", f, env_extra=env)
    assert r.returncode == 3 and len(r.stderr.splitlines()) == 1, r.stderr
    for var in ("CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        r = cli("register", f, env_extra=dict(env, **{var: str(front.cert)}))
        assert r.returncode == 0, (var, r.stderr)
    r = cli("show", "acme-front-ca", "--json", env_extra=dict(env, SSL_CERT_FILE=str(front.cert)))
    assert r.returncode == 0 and json.loads(r.stdout)["id"] == "acme-front-ca"


def test_a_mirror_follows_an_https_primary_behind_a_private_ca(front, tmp_path):
    """seclabeld --mirror-of the TLS front: the throw-away certificate is no system CA's, so the
    mirror cannot reach it (/healthz names the TLS failure) unless SSL_CERT_FILE names it; then
    it follows and serves the primary's record."""
    r = requests.put(front.base + "/v1/products/acme-mirror-1", verify=str(front.cert),
                     json=declaration(id="acme-mirror-1"), timeout=10,
                     headers={"Authorization": "Bearer " + front.token})
    assert r.status_code == 201, r.text
    key = cli("admin", "log", "key", "--data", front.server.data).stdout.strip()
    unset = {"CURL_CA_BUNDLE": "", "SSL_CERT_FILE": "", "SSL_CERT_DIR": ""}
    for name, env in (("m1", unset), ("m2", dict(unset, SSL_CERT_FILE=str(front.cert)))):
        m = Server(tmp_path / name, "--mirror-of", front.base, "--mirror-key", key,
                   "--public-url", front.base, env=env)
        try:
            deadline = time.time() + 30
            while True:
                h = m.get("/healthz").json()["mirror"]
                if (h["state"] == "following") if name == "m2" else h["state"] == "unreachable":
                    break
                assert time.time() < deadline, h
                time.sleep(0.1)
            if name == "m1":
                assert "certificate" in h["error"], h
            else:
                want = requests.get(front.base + "/v1/products/acme-mirror-1",
                                    verify=str(front.cert), timeout=10).content
                while m.get("/v1/products/acme-mirror-1").content != want:
                    assert time.time() < deadline, m.get("/healthz").text
                    time.sleep(0.1)
        finally:
            m.stop()


def test_the_metrics_are_refused_to_the_public(front):
    """/metrics is the operator's: from another address the front refuses it in seclabeld's
    error form; from the machine itself it passes (the limits test reads it so)."""
    c = front.conn(source="127.0.0.7")
    c.request("GET", "/metrics")
    r = c.getresponse()
    body = json.loads(r.read())
    assert r.status == 403 and body["error"] == "forbidden", body
    assert "seclabel_" not in json.dumps(body)
    assert r.getheader("Strict-Transport-Security")
    c.close()
    c = front.conn()
    c.request("GET", "/metrics")
    r = c.getresponse()
    assert r.status == 200 and b"seclabel_http_requests_total" in r.read()
    c.close()


def read_head(s):
    """The head of the next answer on TLS socket s, and the bytes of what follows it so far."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, "connection closed"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.decode("latin-1") + "\r\n", rest


def held_request(front, source):
    """A PUT whose body never comes, from source: nginx either refuses it at once, or admits it
    (limit_conn then counts it as in progress until it ends) and, asked for 100-continue, says
    so when it starts reading the body. Returns the socket of an admitted request, or the head
    and body of the refusal. No waiting on a clock either way."""
    raw = socket.create_connection(("127.0.0.1", front.https), timeout=30,
                                   source_address=(source, 0))
    s = front.tls().wrap_socket(raw, server_hostname="127.0.0.1")
    s.sendall(b"PUT /v1/products/acme-held HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: application/json\r\nContent-Length: 10\r\n"
              b"Expect: 100-continue\r\n\r\n")
    head, rest = read_head(s)
    if head.startswith("HTTP/1.1 100 "):
        return s
    length = int(re.search(r"^Content-Length: (\d+)", head, re.M | re.I).group(1))
    while len(rest) < length:
        rest += s.recv(65536)
    s.close()
    return head, rest


def refusal_is_ours(head, body):
    """A per-client refusal: 503 `unavailable` with Retry-After, as seclabeld answers a client over
    its own limit (docs/API.md), and HSTS as on every answer."""
    assert head.startswith("HTTP/1.1 503 "), head
    assert "\r\nRetry-After: 1\r\n" in head
    assert "\r\nStrict-Transport-Security: max-age=63072000\r\n" in head
    assert json.loads(body)["error"] == "unavailable"


def test_a_client_with_too_many_requests_in_progress_is_refused(front):
    """limit_conn: a client with as many requests in progress as the site allows is refused the
    next (fewer than the request rate's burst, so only limit_conn can refuse). Another address
    is served meanwhile, and seclabeld refused nothing: it counts none of the proxy's
    connections. (The held requests must all be open within client_body_timeout, 10 s: they
    take well under a second.)"""
    site = SITE.read_text()
    n = int(re.search(r"limit_conn seclabel_conn (\d+);", site).group(1))
    assert n < int(re.search(r"limit_req zone=seclabel_req burst=(\d+)", site).group(1))
    held = []
    try:
        for _ in range(n):
            h = held_request(front, "127.0.0.3")
            assert not isinstance(h, tuple), h
            held.append(h)
        refusal_is_ours(*held_request(front, "127.0.0.3"))
        assert 'limiting connections by zone "seclabel_conn", client: 127.0.0.3' in \
            (front.dir / "error.log").read_text()
        c = front.conn(source="127.0.0.4")  # another client is not affected
        c.request("GET", "/healthz")
        assert c.getresponse().status == 200
        c.close()
    finally:
        for s in held:
            s.close()
    m = requests.get(front.base + "/metrics", verify=str(front.cert), timeout=10).text
    assert re.search(r"^seclabel_connections_refused_total 0$", m, re.M)


def test_a_client_sending_requests_too_fast_is_refused(front):
    """limit_req: requests sent back to back on one connection are refused once past the burst
    (50 a second, bursts of 200: long before 5000, unless each took over 5 ms)."""
    raw = socket.create_connection(("127.0.0.1", front.https), timeout=10,
                                   source_address=("127.0.0.5", 0))
    with front.tls().wrap_socket(raw, server_hostname="127.0.0.1") as s:
        for sent in range(1, 5001):
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            head, rest = read_head(s)
            length = int(re.search(r"^Content-Length: (\d+)", head, re.M | re.I).group(1))
            while len(rest) < length:
                rest += s.recv(65536)
            if not head.startswith("HTTP/1.1 200 "):
                break
    refusal_is_ours(head, rest)
    assert sent > 200  # the burst was served
    # nginx logs the excess with its fraction: past the burst of 200, so 200.x or 201.0
    excess = re.search(r"limiting requests, excess: (\d+)\.\d+ by zone \"seclabel_req\"",
                       (front.dir / "error.log").read_text())
    assert excess and int(excess.group(1)) >= 200, (front.dir / "error.log").read_text()


def test_security_txt_through_the_tls_front_passes_sectxt(front, monkeypatch):
    """DigitalTrustCenter's sectxt fetches /.well-known/security.txt over https (the pinned
    certificate as its CA bundle) and checks it against RFC 9116."""
    sectxt = pytest.importorskip(
        "sectxt", reason="the independent checker sectxt is not installed (pip install sectxt)")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(front.cert))
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    s = sectxt.SecurityTXT(front.base)
    assert s.errors == [], s.errors
    assert s.is_valid()
    assert s.resolved_url == front.base + "/.well-known/security.txt"
    # what it still recommends: a signature, and an Encryption field for an e-mail contact
    assert {r["code"] for r in s.recommendations} <= {"not_signed", "no_encryption"}, \
        s.recommendations
