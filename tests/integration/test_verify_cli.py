"""seclabel verify ID (issue 16): a record checked against the registry's transparency log with a
pinned key. seclabeld does not lie, so a small HTTP proxy in front of the real server changes one
thing at a time (the record's support date, the entry's bytes, a proof hash, the checkpoint's
signature, a checkpoint by another key, a forked log, an older checkpoint), and each must be
caught with a message that names it and exit 1; --save then --offline round trip, a changed
saved file caught offline; no pinned key refused, in one line, with how to get one."""
import base64
import http.server
import json
import shutil
import time

import pytest
import requests

from conftest import Server, StubHTTP, add_manufacturer, cli, declaration

ORIGIN = "127.0.0.1:8080/log"  # the key's name: made with --public-url http://127.0.0.1:8080
ID = "acme-cam-1"


class Proxy:
    """A tiny HTTP proxy to `upstream` (a Server); `tamper(path, body) -> body` may change an
    answer; `upstream` may be switched to another server."""

    def __init__(self, upstream):
        self.upstream, self.tamper = upstream, None
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                r = requests.get(proxy.upstream.url + self.path, timeout=10)
                body = r.content
                if proxy.tamper:
                    body = proxy.tamper(self.path, body)
                self.send_response(r.status_code)
                self.send_header("Content-Type", r.headers.get("Content-Type", "text/plain"))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.stub = StubHTTP(Handler)
        self.url, self.close = self.stub.url, self.stub.close


def make_data(d):
    """A data directory with maker acme and the log's key (origin ORIGIN); returns its token."""
    token = add_manufacturer(d, "acme", "Acme Devices Ltd")
    r = cli("admin", "log", "key", "--data", d, "--public-url", "http://127.0.0.1:8080")
    assert r.returncode == 0, r.stderr
    return token


def signed_size(server):
    return int(server.get("/log/checkpoint").text.split("\n")[1])


def covered(server, size):
    """Wait until the server's newest signed checkpoint has at least `size` entries (one is
    signed within about a second of a write)."""
    for _ in range(100):
        if signed_size(server) >= size:
            return
        time.sleep(0.1)
    raise AssertionError("no checkpoint of %d entries" % size)


def register(server, token, **fields):
    d = declaration(**{"gtin": "5012345678900",
                       "vulnerability_disclosure_policy": "https://acme.example/security",
                       **fields})
    r = server.put("/v1/products/" + d["id"], token=token, json=d)
    assert r.status_code in (200, 201), r.text


@pytest.fixture
def reg(tmp_path):
    """A registry (and a copy of its data directory made before any product: the same key and
    the same log so far), the key, a proxy in front of it, and the CLI's config directory."""
    d = tmp_path / "data"
    token = make_data(d)
    shutil.copytree(d, tmp_path / "twin")
    s = Server(d)
    register(s, token)
    p = Proxy(s)
    vkey = s.get("/log/key").text.strip()
    assert vkey.startswith(ORIGIN + "+")
    cfg = tmp_path / "cfg"
    yield type("Reg", (), dict(server=s, token=token, proxy=p, vkey=vkey, cfg=cfg,
                               tmp=tmp_path))
    p.close()
    s.stop()


def verify(reg, *args, via=None, pinned=True):
    env = {"XDG_CONFIG_HOME": str(reg.cfg)}
    key = ("--log-key", reg.vkey) if pinned else ()
    return cli("verify", ID, *key, *args, server=via or reg.proxy, env_extra=env)


def seen(reg):
    """The checkpoint the CLI kept for ORIGIN."""
    return (reg.cfg / "seclabel" / "checkpoints" / "127.0.0.1%3A8080%2Flog").read_text()


def test_a_true_record_is_verified(reg):
    r = cli("config", "set", "log-key", reg.vkey, env_extra={"XDG_CONFIG_HOME": str(reg.cfg)})
    assert r.returncode == 0, r.stderr
    r = verify(reg, pinned=False)  # the key pinned in the config file
    assert r.returncode == 0, r.stderr
    index = reg.server.get("/v1/products/" + ID).json()["log"]["index"]
    size = int(seen(reg).split("\n")[1])
    assert r.stdout.startswith("verified: %s version 1 is entry %d of %s (checkpoint %d, fetched "
                               % (ID, index, ORIGIN, size)), r.stdout
    assert r.stdout.rstrip().endswith("and says what the registry shows")
    assert "first checkpoint" in r.stderr
    j = json.loads(verify(reg, "--json").stdout)
    assert j["verified"] is True and j["index"] == index and j["checkpoint"]["origin"] == ORIGIN
    assert j["consistency"].startswith(("the same", "consistent"))


def test_no_pinned_key_is_refused_with_how_to_get_one(reg):
    r = verify(reg, pinned=False)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1, r.stderr  # a CLI error: one line on stderr
    assert r.stderr.startswith("seclabel: verify: no pinned log key: get it from the operator")
    assert reg.proxy.url + "/log/key" in r.stderr and "seclabel config set log-key" in r.stderr
    assert "--log-key" in r.stderr
    assert not (reg.cfg / "seclabel" / "checkpoints").exists()  # nothing trusted on first use
    bad = verify(reg, "--log-key", "not-a-key", pinned=False)
    assert bad.returncode == 2 and "not a verifier key" in bad.stderr


def json_edit(body, fn):
    doc = json.loads(body)
    fn(doc)
    return json.dumps(doc).encode()


def record_support_date(path, body):
    if path == "/v1/products/" + ID:
        return json_edit(body, lambda d: d.update(support_date="2040-01-01"))
    return body


def entry_bytes(path, body):
    return body.replace(b"2031-12-31", b"2041-12-31") if path.endswith("/entry") else body


def proof_hash(path, body):
    def flip(d):
        h = bytearray(base64.b64decode(d["proof"][0]))
        h[0] ^= 1
        d["proof"][0] = base64.b64encode(bytes(h)).decode()
    return json_edit(body, flip) if "/proof?" in path and path.startswith("/v1/") else body


def signature(path, body):
    def change(d):
        text = d["checkpoint"]
        sig = text.rstrip("\n").rsplit(" ", 1)[1]
        raw = bytearray(base64.b64decode(sig))
        raw[-1] ^= 1  # the signature's last byte; the key hash before it stays
        d["checkpoint"] = text.replace(sig, base64.b64encode(bytes(raw)).decode())
    return json_edit(body, change) if "/proof?" in path and path.startswith("/v1/") else body


CASES = {
    "record": (record_support_date, "field",
               'support_date: the registry shows "2040-01-01", the log entry says "2031-12-31"'),
    "entry": (entry_bytes, "inclusion", "the entry is not proved to be in the log"),
    "proof": (proof_hash, "inclusion", "the entry is not proved to be in the log"),
    "signature": (signature, "signature", "not signed by the pinned key " + ORIGIN),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_change_is_caught(reg, case):
    assert verify(reg).returncode == 0  # the same proxy, passing answers through
    tamper, failed, message = CASES[case]
    reg.proxy.tamper = tamper
    r = verify(reg)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout == "" and message in r.stderr and "not verified" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    j = json.loads(verify(reg, "--json").stdout)
    assert j["verified"] is False and j["failed"] == failed and message in j["message"]
    if case == "record":
        assert j["differences"] == [{"field": "support_date", "registry": "2040-01-01",
                                     "entry": "2031-12-31"}]


def test_a_checkpoint_by_another_key_is_caught(reg, tmp_path):
    other = tmp_path / "other"
    token = make_data(other)  # another key of the same name
    s = Server(other)
    try:
        register(s, token)
        reg.proxy.upstream = s
        r = verify(reg)
        assert r.returncode == 1
        assert "not signed by the pinned key" in r.stderr, r.stderr
    finally:
        s.stop()


def test_a_forked_log_is_caught(reg):
    assert verify(reg).returncode == 0
    size = int(seen(reg).split("\n")[1])
    # The twin: the same key and log up to the product, then another version 1 written: a
    # checkpoint of the same size with another root, properly signed.
    twin = Server(reg.tmp / "twin")
    try:
        register(twin, reg.token, support_date="2026-06-30")
        reg.proxy.upstream = twin
        r = verify(reg)
        assert r.returncode == 1, r.stdout
        assert "the log forked" in r.stderr and "another root hash" in r.stderr
        assert "%d entries" % size in r.stderr
        assert int(seen(reg).split("\n")[1]) == size  # the fork is not kept
        # grown past the fork: the consistency proof from the size seen fails
        register(twin, reg.token, id="acme-cam-2", gtin="5012345678917")
        covered(twin, size + 1)
        r = verify(reg)
        assert r.returncode == 1 and "does not extend the one of %d entries" % size in r.stderr
        reg.proxy.upstream = reg.server  # the true log still verifies
        assert verify(reg).returncode == 0
    finally:
        twin.stop()


def test_an_older_checkpoint_is_caught(reg):
    old = {}

    def keep(path, body):
        if "/proof?" in path and b'"checkpoint"' in body:  # (not a "not yet" answer)
            old.setdefault(path, body)
        return body
    reg.proxy.tamper = keep
    assert verify(reg).returncode == 0
    before = seen(reg)
    register(reg.server, reg.token, id="acme-cam-2", gtin="5012345678917")
    covered(reg.server, int(before.split("\n")[1]) + 1)
    reg.proxy.tamper = None
    r = verify(reg)  # the newer checkpoint, consistent: kept
    assert r.returncode == 0 and "consistent with the checkpoint seen before" in r.stderr
    assert seen(reg) != before
    reg.proxy.tamper = lambda path, body: old.get(path, body)  # yesterday's answer
    r = verify(reg)
    assert r.returncode == 1
    assert "older than the one of" in r.stderr and "rolled back" in r.stderr


def test_save_then_offline(reg, tmp_path):
    saved = tmp_path / "evidence"
    r = verify(reg, "--save", saved)
    assert r.returncode == 0, r.stderr
    files = sorted(p.name for p in saved.iterdir())
    assert files == ["checkpoint", "entry.json", "log-key", "proof.json", "record.json"]
    assert (saved / "log-key").read_text().strip() == reg.vkey
    assert (saved / "entry.json").read_bytes() == reg.server.get(
        "/v1/products/%s/versions/1/entry" % ID).content
    nowhere = type("Nowhere", (), {"url": "http://127.0.0.1:9"})  # offline: no request at all
    r = verify(reg, "--offline", saved, via=nowhere)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("verified: %s version 1 is entry" % ID) and "saved)" in r.stdout
    # no pinned key: refused, pointing at the saved key without trusting it
    r = verify(reg, "--offline", saved, via=nowhere, pinned=False)
    assert r.returncode == 2 and str(saved / "log-key") in r.stderr
    assert r.stderr.count("\n") == 1 and "no pinned log key" in r.stderr, r.stderr
    # one saved file changed at a time
    changes = {
        "record.json": (lambda b: json_edit(b, lambda d: d.update(
            default_password="universal")), 'default_password: the registry shows "universal"'),
        "entry.json": (lambda b: b.replace(b"security@acme", b"security@evil"),
                       "the entry is not proved to be in the log"),
        "checkpoint": (lambda b: b.replace(b"\n", b"\n\n", 1), "the checkpoint is not"),
        "proof.json": (lambda b: json_edit(b, lambda d: d.update(index=d["index"] + 1)),
                       "log.index: the registry shows"),
    }
    for name, (change, message) in changes.items():
        original = (saved / name).read_bytes()
        (saved / name).write_bytes(change(original))
        r = verify(reg, "--offline", saved, via=nowhere)
        assert r.returncode == 1 and message in r.stderr, (name, r.stderr)
        (saved / name).write_bytes(original)
    assert verify(reg, "--offline", saved, via=nowhere).returncode == 0
