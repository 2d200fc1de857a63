"""The log's keys and signed notes against the independent checker: Go's
golang.org/x/mod/sumdb/note and sumdb/tlog (tests/tools/tlogcheck, built here in GOPATH mode
from Debian's golang-golang-x-mod-dev, no seclabel code). C's verifier key and C-signed notes
open in Go; a key Go made signs in C and Go verifies; and tlogcheck's `tiles` reads a small
C2SP tiled log (built here in Python, RFC 6962 by hand, signed by Go) over HTTP, proving every
entry and consistency with an older checkpoint, and catching a changed entry and a fork."""
import base64
import functools
import hashlib
import http.server
import os
import shutil
import subprocess
import threading

import pytest

from conftest import ROOT, add_manufacturer, cli

ORIGIN = "127.0.0.1:8080/log"


@pytest.fixture(scope="module")
def tlogcheck(tmp_path_factory):
    """The checker, built into a temporary directory (never committed)."""
    go = shutil.which("go")
    if not go:
        pytest.skip("go is not installed (scripts/setup test installs golang-go and "
                    "golang-golang-x-mod-dev): the Go checker of the log cannot run")
    out = tmp_path_factory.mktemp("tlogcheck") / "tlogcheck"
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode", GOFLAGS="",
               GOCACHE=str(out.parent / "cache"))
    r = subprocess.run([go, "build", "-o", str(out), "."], cwd=ROOT / "tests/tools/tlogcheck",
                       capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    return out


def go(tlogcheck, *args, stdin=None):
    return subprocess.run([str(tlogcheck), *map(str, args)], capture_output=True, text=True,
                          input=stdin, timeout=60)


@pytest.fixture
def data(tmp_path):
    d = tmp_path / "data"
    add_manufacturer(d, "acme", "Acme Devices Ltd", prefixes=[])
    return d


def test_c_key_and_note_open_in_go(tlogcheck, data):
    r = cli("admin", "log", "key", "--data", data)
    assert r.returncode == 1 and "--public-url" in r.stderr  # no key yet, no origin to make one
    assert not (data / "log.key").exists()
    r = cli("admin", "log", "key", "--data", data, "--public-url", "http://127.0.0.1:8080/")
    assert r.returncode == 0, r.stderr
    vkey = r.stdout.strip()
    assert vkey.startswith(ORIGIN + "+") and "created" in r.stderr
    key = data / "log.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert key.read_text().startswith("PRIVATE+KEY+" + ORIGIN + "+")
    # Asked again (no origin needed now): the same key.
    assert cli("admin", "log", "key", "--data", data).stdout.strip() == vkey
    text = "Notice: the registry moves to https://registry.example on 1 May.\n\nThanks.\n"
    r = cli("admin", "log", "sign", "--data", data, stdin=text)
    assert r.returncode == 0, r.stderr
    g = go(tlogcheck, "open", vkey, stdin=r.stdout)
    assert g.returncode == 0, g.stderr
    assert g.stdout == text
    # The checker can fail: one changed character, or another key.
    bad = go(tlogcheck, "open", vkey, stdin=r.stdout.replace("May", "Mai"))
    assert bad.returncode == 1 and "invalid signature" in bad.stderr
    other = go(tlogcheck, "genkey", ORIGIN).stdout.splitlines()[1]
    bad = go(tlogcheck, "open", other, stdin=r.stdout)
    assert bad.returncode == 1 and "no verifiable signatures" in bad.stderr


def test_key_file_never_replaced(data):
    before = cli("admin", "log", "key", "--data", data, "--public-url", "http://127.0.0.1:8080")
    assert before.returncode == 0, before.stderr
    content = (data / "log.key").read_bytes()
    r = cli("admin", "log", "key", "--data", data, "--public-url", "https://other.example")
    assert r.returncode == 1 and "other.example/log" in r.stderr and ORIGIN in r.stderr
    assert (data / "log.key").read_bytes() == content
    # A file that is not a key is refused, and left alone.
    (data / "log.key").write_text("not a key\n")
    r = cli("admin", "log", "key", "--data", data, "--public-url", "http://127.0.0.1:8080")
    assert r.returncode == 1 and "PRIVATE+KEY+" in r.stderr
    assert (data / "log.key").read_text() == "not a key\n"
    # No database there: no key is made either.
    r = cli("admin", "log", "key", "--data", data / "nothing", "--public-url",
            "http://127.0.0.1:8080")
    assert r.returncode == 1 and not (data / "nothing").exists()


def test_sign_never_signs_a_checkpoint(data):
    cli("admin", "log", "key", "--data", data, "--public-url", "http://127.0.0.1:8080")
    cp = "%s\n1\n%s\n" % (ORIGIN, base64.b64encode(bytes(32)).decode())
    r = cli("admin", "log", "sign", "--data", data, stdin=cp)
    assert r.returncode == 1 and "only seclabeld signs checkpoints" in r.stderr
    assert r.stdout == ""
    r = cli("admin", "log", "sign", "--data", data, stdin="no newline at the end")
    assert r.returncode == 1 and r.stdout == ""


def test_go_key_signs_in_c(tlogcheck, tmp_path):
    skey, vkey = go(tlogcheck, "genkey", ORIGIN).stdout.splitlines()
    key = tmp_path / "go.key"
    key.write_text(skey + "\n")
    r = cli("admin", "log", "key", "--log-key", key)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == vkey  # C derives Go's verifier key from Go's private key
    text = "statement\n"
    r = cli("admin", "log", "sign", "--log-key", key, stdin=text)
    assert r.returncode == 0, r.stderr
    g = go(tlogcheck, "open", vkey, stdin=r.stdout)
    assert g.returncode == 0 and g.stdout == text, g.stderr
    # Ed25519 is deterministic: Go signs the same text to the same bytes.
    assert go(tlogcheck, "sign", key, stdin=text).stdout == r.stdout
    r = cli("admin", "log", "key", "--log-key", key, "--public-url", "https://other.example")
    assert r.returncode == 1 and "other.example/log" in r.stderr
    r = cli("admin", "log", "key", "--log-key", tmp_path / "absent.key")
    assert r.returncode == 1 and not (tmp_path / "absent.key").exists()


# --- tlogcheck tiles against a small static C2SP log --------------------------------------------

def sha(b):
    return hashlib.sha256(b).digest()


def mth(leaves):
    """RFC 6962 2.1 Merkle Tree Hash of the leaf hashes."""
    if not leaves:
        return sha(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def tile_index(n):
    s = "%03d" % (n % 1000)
    while n >= 1000:
        n //= 1000
        s = "x%03d/%s" % (n % 1000, s)
    return s


def write_log(root, entries, tlogcheck, keyfile, sizes):
    """The C2SP tiles of entries under root/log, and a signed checkpoint for each of sizes
    (the last one served as root/log/checkpoint); returns the checkpoints."""
    leaves = [sha(b"\x00" + e) for e in entries]
    n = len(entries)

    def put(path, data):
        p = root / "log" / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)

    level, width = leaves, 1  # hashes at this tile level; leaves each one covers
    lv = 0
    while level:
        for t in range(0, len(level), 256):
            w = min(256, len(level) - t)
            put("tile/%d/%s%s" % (lv, tile_index(t // 256), "" if w == 256 else ".p/%d" % w),
                b"".join(level[t:t + w]))
        level = [mth(leaves[i * width * 256:(i + 1) * width * 256])
                 for i in range(n // (width * 256))]
        width *= 256
        lv += 1
    for t in range(0, n, 256):
        w = min(256, n - t)
        put("tile/entries/%s%s" % (tile_index(t // 256), "" if w == 256 else ".p/%d" % w),
            b"".join(len(e).to_bytes(2, "big") + e for e in entries[t:t + w]))
    cps = []
    for s in sizes:
        text = "%s\n%d\n%s\n" % (ORIGIN, s, base64.b64encode(mth(leaves[:s])).decode())
        r = go(tlogcheck, "sign", keyfile, stdin=text)
        assert r.returncode == 0, r.stderr
        cps.append(r.stdout)
    put("checkpoint", cps[-1].encode())
    return cps


@pytest.fixture
def static_log(tmp_path):
    """An HTTP server of tmp_path/www; yields (directory, base URL)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield www, "http://127.0.0.1:%d" % srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def test_tiles_proves_every_entry_and_consistency(tlogcheck, tmp_path, static_log):
    www, url = static_log
    skey, vkey = go(tlogcheck, "genkey", ORIGIN).stdout.splitlines()
    key = tmp_path / "k"
    key.write_text(skey)
    entries = [b'{"id":"acme-%d","version":1}' % i for i in range(300)]
    old, new = write_log(www, entries, tlogcheck, key, [100, 300])
    (tmp_path / "old").write_text(old)
    r = go(tlogcheck, "tiles", "-old", tmp_path / "old", "-entries", url, vkey)
    assert r.returncode == 0, r.stderr
    assert "size 300" in r.stderr and "300 entries included" in r.stderr
    assert "consistent with size 100" in r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 300
    assert lines[299] == "299 " + base64.b64encode(entries[299]).decode()
    # An entry changed in its bundle: not in the signed tree.
    bundle = www / "log/tile/entries/001.p/44"
    good = bundle.read_bytes()
    bundle.write_bytes(good.replace(b"acme-299", b"acme-298"))
    r = go(tlogcheck, "tiles", url, vkey)
    assert r.returncode == 1 and "entry 299 is not in the tree" in r.stderr
    bundle.write_bytes(good)
    # A fork: an old checkpoint of other entries is not consistent with the new one.
    forked = write_log(tmp_path / "fork", [b"x" + e for e in entries[:100]], tlogcheck, key,
                       [100])[0]
    (tmp_path / "forked").write_text(forked)
    r = go(tlogcheck, "tiles", "-old", tmp_path / "forked", url, vkey)
    assert r.returncode == 1 and "not consistent" in r.stderr
    # A checkpoint signed by another key.
    other = go(tlogcheck, "genkey", ORIGIN).stdout.splitlines()[1]
    r = go(tlogcheck, "tiles", url, other)
    assert r.returncode == 1 and "no verifiable signatures" in r.stderr
