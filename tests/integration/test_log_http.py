"""The transparency log as seclabeld serves it (docs/TRANSPARENCY.md), end to end: after maker
events, PUTs, updates, withdrawals and a batch that fills a whole tile, the signed checkpoint covers
every write; Go's sumdb/note and sumdb/tlog (tests/tools/tlogcheck) verify it with the key from
`seclabel admin log key` (the one /log/key serves), prove every entry through the tiles and
consistency with an older checkpoint; each version's entry is the version record the API shows;
the JSON proofs verify under RFC 9162 verifiers written here (and fail when a hash is changed);
tile paths are strict; a restarted server keeps its key and its tree."""
import base64
import hashlib
import json
import os
import socket
import subprocess
import time

import pytest

from conftest import Server, add_manufacturer, cli, declaration, keepalive_get
from test_note_go import go, tlogcheck  # noqa: F401 (the Go checker, built once per module)

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=1"
BATCH = 300  # with the other writes, more than one full tile of 256 entries


# --- RFC 6962 / RFC 9162, written here from the RFC (no seclabel code) -------------------------

def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves):
    """RFC 6962 section 2.1: the Merkle tree hash of a list of leaf hashes."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def shift_while_even(fn, sn):
    while not fn & 1 and fn:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = shift_while_even(fn, sn)
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 section 2.1.4.2 (equal sizes: an empty proof and equal roots)."""
    if first == second:
        return not proof and first_root == second_root
    if not proof or first > second:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            fn, sn = shift_while_even(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


def b64(hashes):
    return [base64.b64decode(h) for h in hashes]


def changed(hashes, i):
    """The proof with one bit of hash i flipped."""
    out = list(hashes)
    out[i] = bytes([out[i][0] ^ 1]) + out[i][1:]
    return out


# --- the server's log ---------------------------------------------------------------------------

def checkpoint(server, tlogcheck):  # noqa: F811
    """The newest checkpoint: (text, size, root), its signature checked by Go."""
    text = server.get("/log/checkpoint").text
    vkey = server.get("/log/key").text
    r = go(tlogcheck, "checkpoint", vkey, stdin=text)
    assert r.returncode == 0, r.stderr
    size, root = r.stdout.split()
    return text, int(size), base64.b64decode(root)


def covering(server, tlogcheck, index, patience=30):  # noqa: F811
    """Poll until a checkpoint covers entry `index`; fails if none does in `patience` seconds
    (a bound for a broken signer, not a measurement: checkpoints are signed every second)."""
    deadline = time.monotonic() + patience
    while True:
        cp = checkpoint(server, tlogcheck)
        if cp[1] > index:
            return cp
        assert time.monotonic() < deadline, "no checkpoint covers entry %d: %s" % (index, cp[0])
        time.sleep(0.05)


def version_json(server, pid, n):
    r = server.get("/v1/products/%s/versions/%d" % (pid, n))
    assert r.status_code == 200
    return r.json(object_pairs_hook=list)


def entry_of(server, pid, n):
    r = server.get("/v1/products/%s/versions/%d/entry" % (pid, n))
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["Cache-Control"] == IMMUTABLE
    return r.content, int(r.headers["Seclabel-Log-Index"])


@pytest.fixture
def written(server, acme, tlogcheck):  # noqa: F811
    """A log with maker events, created, updated and withdrawn versions and a batch of BATCH
    products; returns (versions {(id, n): index}, the checkpoint taken after the first writes)."""
    nordlicht = add_manufacturer(server.data, "nordlicht", "Nordlicht GmbH")
    r = cli("admin", "manufacturer", "verify", "acme", "--evidence", "company register",
            "--data", server.data)
    assert r.returncode == 0, r.stderr
    assert server.put("/v1/products/acme-cam-1", acme, json=declaration()).status_code == 201
    assert server.put("/v1/products/nordlicht-thermo", nordlicht, json=declaration(
        id="nordlicht-thermo", manufacturer_name="Nordlicht GmbH")).status_code == 201
    first = server.get("/v1/products/nordlicht-thermo").json()["log"]["index"]
    old = covering(server, tlogcheck, first)
    assert server.put("/v1/products/acme-cam-1", acme, json=declaration(
        support_date="2033-06-30")).status_code == 200
    assert server.put("/v1/products/acme-plug", acme, json=declaration(
        id="acme-plug")).status_code == 201
    assert server.post("/v1/products/acme-plug/withdraw", acme).status_code == 200
    many = [declaration(id="acme-batch-%03d" % i, product_model="B-%d" % i) for i in range(BATCH)]
    r = server.post("/v1/batch", acme, json={"products": many})
    assert r.status_code == 200 and {x["result"] for x in r.json()["results"]} == {"created"}
    assert server.put("/v1/products/acme-last", acme, json=declaration(
        id="acme-last")).status_code == 201  # the newest entry: written after everything else
    versions = {("acme-cam-1", 1): None, ("acme-cam-1", 2): None, ("nordlicht-thermo", 1): None,
                ("acme-plug", 1): None, ("acme-plug", 2): None, ("acme-last", 1): None}
    versions.update({("acme-batch-%03d" % i, 1): None for i in range(BATCH)})
    for pid, n in versions:
        versions[(pid, n)] = version_json(server, pid, n)[-1][1][0][1]  # "log": {"index": N}
    return versions, old


def test_go_verifies_the_checkpoint_every_entry_and_consistency(server, written, tmp_path,
                                                                tlogcheck):  # noqa: F811
    versions, (old_text, old_size, _) = written
    last = versions[("acme-last", 1)]
    assert last == max(versions.values())
    text, size, root = covering(server, tlogcheck, last)
    assert size == last + 1  # nothing but these writes: the checkpoint covers exactly them
    assert old_size < size and size > 256
    (tmp_path / "old").write_text(old_text)
    # The key as the operator publishes it (issue 16's Done-when), the one /log/key serves.
    k = cli("admin", "log", "key", "--data", server.data, "--public-url", server.url)
    assert k.returncode == 0, k.stderr
    vkey = k.stdout.strip()
    assert vkey == server.get("/log/key").text.strip()
    r = go(tlogcheck, "tiles", "-old", tmp_path / "old", "-entries", server.url, vkey)
    assert r.returncode == 0, r.stderr
    assert "%d entries included" % size in r.stderr and "consistent with size %d" % old_size \
        in r.stderr, r.stderr
    entries = [base64.b64decode(line.split()[1]) for line in r.stdout.splitlines()]
    assert len(entries) == size and mth([leaf_hash(e) for e in entries]) == root

    # Each version's entry: the same bytes in the bundle and at /entry, the version record the
    # API shows (its fields, in order), at the index the record and the version carry.
    for (pid, n), index in versions.items():
        entry, at = entry_of(server, pid, n)
        assert at == index and entries[index] == entry, (pid, n)
        shown = version_json(server, pid, n)
        assert shown[-3:][0][0] == "kind" and shown[-1] == ("log", [("index", index)])
        assert json.loads(entry, object_pairs_hook=list) == shown[:-3], (pid, n)
    for pid in ("acme-cam-1", "acme-plug", "acme-last"):
        rec = server.get("/v1/products/" + pid).json()
        assert rec["log"] == {"index": versions[(pid, rec["version"])]}

    # Maker events: in commit order, the maker's public state after each, never a token.
    events = [json.loads(e) for e in entries if e.startswith(b'{"manufacturer_event"')]
    assert [(e["manufacturer_event"], e["slug"], e.get("detail")) for e in events] == [
        ("added", "acme", None), ("gs1_prefix_added", "acme", "5012345"),
        ("gs1_prefix_added", "acme", "0036000"), ("gs1_prefix_added", "acme", "000001234567"),
        ("added", "nordlicht", None), ("gs1_prefix_added", "nordlicht", "4006381"),
        ("verified", "acme", "company register")]
    assert events[-1]["verified"] is True and b"slt_" not in b"".join(entries)
    assert len(events) + len(versions) == size

    # A checkpoint signed by another key is refused (the check can fail).
    other = go(tlogcheck, "genkey", vkey.split("+")[0]).stdout.splitlines()[1]
    assert go(tlogcheck, "tiles", server.url, other).returncode == 1


def test_json_proofs_verify_against_the_checkpoint(server, written, tlogcheck):  # noqa: F811
    versions, (old_text, old_size, old_root) = written
    text, size, root = covering(server, tlogcheck, versions[("acme-last", 1)])
    for (pid, n) in [("acme-cam-1", 1), ("acme-cam-1", 2), ("acme-plug", 2),
                     ("acme-batch-000", 1), ("acme-last", 1)]:
        index = versions[(pid, n)]
        leaf = leaf_hash(entry_of(server, pid, n)[0])
        r = server.get("/v1/products/%s/proof" % pid, params={"size": size, "version": n})
        assert r.status_code == 200 and r.headers["Cache-Control"] == IMMUTABLE
        p = r.json()
        assert (p["id"], p["version"], p["index"], p["size"]) == (pid, n, index, size)
        assert "checkpoint" not in p
        proof = b64(p["proof"])
        assert verify_inclusion(index, size, leaf, proof, root), (pid, n)
        assert not verify_inclusion(index, size, leaf, changed(proof, 0), root)
        assert not verify_inclusion(index, size, leaf_hash(b"x"), proof, root)
        if index < old_size:  # also in the older, smaller tree
            p = server.get("/v1/products/%s/proof" % pid,
                           params={"size": old_size, "version": n}).json()
            assert verify_inclusion(index, old_size, leaf, b64(p["proof"]), old_root)
        else:
            r = server.get("/v1/products/%s/proof" % pid, params={"size": old_size,
                                                                  "version": n})
            assert r.status_code == 404 and r.json()["error"] == "not_in_checkpoint"
        r = server.get("/v1/products/%s/proof" % pid, params={"size": index, "version": n})
        assert r.status_code == 404 and r.json()["error"] == "not_in_checkpoint"

    # Without ?size=: the current version, to the newest checkpoint, which the answer carries
    # (one Cache-Control: a second, since the newest checkpoint changes).
    r = server.get("/v1/products/acme-cam-1/proof")
    assert r.status_code == 200 and r.headers["Cache-Control"] == SHORT
    p = r.json()
    got, vkey = p["checkpoint"], server.get("/log/key").text
    c = go(tlogcheck, "checkpoint", vkey, stdin=got)
    assert c.returncode == 0, c.stderr
    csize, croot = int(c.stdout.split()[0]), base64.b64decode(c.stdout.split()[1])
    assert p["size"] == csize and p["version"] == 2 and p["index"] == versions[("acme-cam-1", 2)]
    leaf = leaf_hash(entry_of(server, "acme-cam-1", 2)[0])
    assert verify_inclusion(p["index"], csize, leaf, b64(p["proof"]), croot)

    # Consistency: the older checkpoint's tree is a prefix of the newer one's.
    r = server.get("/log/proof", params={"old": old_size, "new": size})
    assert r.status_code == 200 and r.headers["Cache-Control"] == IMMUTABLE
    p = r.json()
    assert (p["old"], p["new"]) == (old_size, size)
    proof = b64(p["proof"])
    assert verify_consistency(old_size, size, old_root, root, proof)
    assert not verify_consistency(old_size, size, old_root, root, changed(proof, len(proof) - 1))
    assert not verify_consistency(old_size, size, leaf_hash(b"fork"), root, proof)
    p = server.get("/log/proof", params={"old": size, "new": size}).json()
    assert verify_consistency(size, size, root, root, b64(p["proof"]))
    for q in ({"old": size + 1, "new": size}, {"old": 0, "new": size}, {"old": 1}):
        assert server.get("/log/proof", params=q).status_code == 400, q
    assert server.get("/log/proof", params={"old": 1, "new": size + 10 ** 6}).status_code == 404


def test_tiles_full_partial_beyond_and_non_canonical(server, written, tlogcheck):  # noqa: F811
    versions, _ = written
    _, size, root = covering(server, tlogcheck, versions[("acme-last", 1)])
    rest = size - 256
    assert 0 < rest < 256
    full = server.get("/log/tile/0/000")
    assert full.status_code == 200 and full.headers["Cache-Control"] == IMMUTABLE
    assert len(full.content) == 256 * 32
    bundle = server.get("/log/tile/entries/000")
    assert bundle.status_code == 200 and bundle.headers["Cache-Control"] == IMMUTABLE
    entries, at = [], 0
    while at < len(bundle.content):
        n = int.from_bytes(bundle.content[at:at + 2], "big")
        entries.append(bundle.content[at + 2:at + 2 + n])
        at += 2 + n
    assert len(entries) == 256
    assert full.content == b"".join(leaf_hash(e) for e in entries)
    top = server.get("/log/tile/1/000.p/1")  # level 8: the hash of the first 256 leaves
    assert top.status_code == 200 and top.content == mth([leaf_hash(e) for e in entries])
    assert top.headers["Cache-Control"] == SHORT
    for path in ("0/001.p/%d" % rest, "entries/001.p/%d" % rest):
        r = server.get("/log/tile/" + path)
        assert r.status_code == 200 and r.headers["Cache-Control"] == SHORT, path
    assert len(server.get("/log/tile/0/001.p/%d" % rest).content) == rest * 32
    # Beyond the tree (as a checkpoint's size says it is, no write since): 404.
    for path in ("0/001", "0/001.p/%d" % (rest + 1), "entries/001", "entries/002.p/1",
                 "1/000", "1/000.p/2", "2/000.p/1"):
        r = server.get("/log/tile/" + path)
        assert r.status_code == 404 and r.json()["error"] == "not_found", path
    # Not the canonical C2SP path: 404, even where the canonical one exists.
    for path in ("0/000.p/256", "0/000.p/0", "0/000.p/02", "0/x000/000", "0/00", "0/0000",
                 "0/0", "00/000", "0/x001", "entries/x000/000", "64/000.p/1", "0/000/",
                 "0/001.p/" + str(rest) + "/"):
        r = server.get("/log/tile/" + path)
        assert r.status_code == 404 and r.json()["error"] == "not_found", path
    # Percent-encoded (sent as written: a client library would decode %30 to 0).
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        for path in ("0/%30%30%30", "0%2F000", "0/000%2Ep/1", "entries/000.p%2F1"):
            lines, body = keepalive_get(sock, "/log/tile/" + path)
            assert lines[0] == "HTTP/1.1 404 Not Found", path
            assert json.loads(body)["error"] == "not_found", path
        lines, _ = keepalive_get(sock, "/log/tile/0/000")
        assert lines[0] == "HTTP/1.1 200 OK"


def test_restart_keeps_the_key_and_the_tree(tmp_path, tlogcheck):  # noqa: F811
    data = tmp_path / "data"
    token = add_manufacturer(data, "acme", "Acme Devices Ltd")
    s = Server(data)
    try:
        assert s.put("/v1/products/acme-cam-1", token, json=declaration()).status_code == 201
        index = s.get("/v1/products/acme-cam-1").json()["log"]["index"]
        text, size, root = covering(s, tlogcheck, index)
        vkey = s.get("/log/key").text
    finally:
        s.stop()
    key = data / "log.key"
    assert os.stat(key).st_mode & 0o777 == 0o600
    assert key.read_text().startswith("PRIVATE+KEY+" + vkey.split("+")[0] + "+")
    s = Server(data)  # another port: the key keeps its name
    try:
        assert s.get("/log/key").text == vkey
        again, size2, root2 = checkpoint(s, tlogcheck)  # signed at start-up
        assert (size2, root2) == (size, root) and again == text  # Ed25519 is deterministic
        r = subprocess.run([str(tlogcheck), "tiles", s.url, vkey], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
    finally:
        s.stop()
    assert os.stat(key).st_mode & 0o777 == 0o600
