"""Upgrades (registry/core/dataver.h, docs/OPERATIONS.md "Upgrades"): the data directory's
format mark is written when a directory is made; an older directory is brought to the current
format in one transaction at start-up; a newer one is refused with one line naming both formats
and left byte for byte as it was.

A directory written by the previous release: the real one is used when SECLABEL_PREV_BIN names
that release's zig-out/bin (e.g. commit 3d0629d, built as docs/OPERATIONS.md shows; CI can
build it once); committing a database as a fixture is not allowed, and building a whole old
tree in every run takes too long. Without it, tests/unit/test_dataver.c makes the same layout
with the store's own calls (a directory written now, stripped of what format 2 added: the mark,
the log) and upgrades it; LMDB's mdb_dump | mdb_load cannot make it here (Debian 12's 0.9.24
drops tables and their duplicate-keys flag on the way)."""
import hashlib
import os
import pathlib
import re
import shutil
import subprocess

import pytest
import requests

from conftest import BIN, Server, add_manufacturer, cli, declaration

CURRENT = 2
PREV = os.environ.get("SECLABEL_PREV_BIN")


def need(tool):
    if not shutil.which(tool):
        pytest.skip("%s missing (Debian's lmdb-utils; scripts/setup installs it)" % tool)


def mark(data):
    """The format mark as stored (None: none), read with mdb_dump."""
    need("mdb_dump")
    out = subprocess.run(["mdb_dump", "-p", "-s", "meta", str(data)], capture_output=True,
                         text=True, check=True).stdout
    m = re.search(r"^ format\n \\00\\00\\00(\\[0-9a-f]{2}|.)\n", out, re.M)
    if not m:
        return None
    v = m.group(1)
    return int(v[1:], 16) if v.startswith("\\") else ord(v)


def sha(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def test_a_new_directory_gets_the_current_mark(tmp_path):
    s = Server(tmp_path / "data")
    s.stop()
    assert mark(tmp_path / "data") == CURRENT


def test_a_newer_format_is_refused_and_left_untouched(tmp_path):
    need("mdb_load")
    data = tmp_path / "data"
    s = Server(data)
    token = add_manufacturer(data, "acme", "Acme Devices Ltd")
    assert s.put("/v1/products/acme-cam-1", token, json=declaration()).status_code == 201
    s.stop()
    # What a release of format 99 might leave: the mark says so.
    subprocess.run(["mdb_load", "-T", "-s", "meta", str(data)], input=b"format\n\\00\\00\\00c\n",
                   check=True)
    assert mark(data) == 99
    # Every file but lock.mdb, LMDB's table of readers, which a reader's open rewrites.
    before = {p.name: sha(p) for p in data.iterdir() if p.name != "lock.mdb"}
    r = subprocess.run([str(BIN / "seclabeld"), "--data", str(data), "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == ("seclabeld: %s: the data directory is in format 99, newer than this "
                        "seclabel's format 2: run the release that wrote it (or a newer one), or "
                        "restore a backup made by this one\n" % data)
    # The CLI's writes too.
    c = cli("admin", "manufacturer", "add", "other", "--name", "Other", "--data", str(data))
    assert c.returncode != 0 and c.stderr.count("\n") == 1
    assert c.stderr.startswith("seclabel: %s: the data directory is in format 99, newer than "
                               "this seclabel's format 2" % data)
    assert {p.name: sha(p) for p in data.iterdir() if p.name != "lock.mdb"} == before
    assert "data.mdb" in before


def served(s, ids):
    """What the server answers for each product, minus what a release adds on its own."""
    out = {}
    for i in ids:
        r = s.get("/v1/products/" + i)
        assert r.status_code == 200, r.text
        out[i] = {k: v for k, v in r.json().items() if k in declaration()}
    return out


def check_upgrade(data, ids, expect):
    """Start today's seclabeld on data (format 1): it upgrades, says so, serves what was stored,
    and logs every version."""
    assert mark(data) is None
    s = Server(data)
    try:
        assert served(s, ids) == expect
        checkpoint = s.get("/log/checkpoint").text.splitlines()
        size = int(checkpoint[1])
        for i in ids:  # each version is in the log
            r = s.get("/v1/products/%s/versions/1/entry" % i)
            assert r.status_code == 200 and int(r.headers["Seclabel-Log-Index"]) < size
    finally:
        s.stop()
    log = s.log_path.read_text()
    m = re.search(r"data directory \S+ upgraded from format 1 to 2 in one transaction "
                  r"\(transparency log: (\d+) entries added\)", log)
    assert m, log
    assert int(m.group(1)) == size >= len(ids) + 1  # a maker's snapshot, each product version
    assert mark(data) == CURRENT
    # The next start finds nothing to do.
    s = Server(data)
    s.stop()
    assert "upgraded" not in s.log_path.read_text()


@pytest.mark.skipif(not PREV, reason="SECLABEL_PREV_BIN unset: no previous release's binaries "
                    "(build commit 3d0629d and point it at its zig-out/bin)")
def test_a_directory_of_the_previous_release_is_upgraded(tmp_path):
    prev = pathlib.Path(PREV)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k != "SECLABEL_TOKEN"}
    r = subprocess.run([str(prev / "seclabel"), "admin", "manufacturer", "add", "acme", "--name",
                        "Acme Devices Ltd", "--data", str(data)], capture_output=True,
                       text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]
    old = subprocess.Popen([str(prev / "seclabeld"), "--listen", "127.0.0.1:0", "--data",
                            str(data), "--quiet"], stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"listening on (http://\S+)", old.stdout.readline()).group(1)
        ids = ["acme-cam-%d" % i for i in range(1, 4)]
        for i in ids:
            r = requests.put(url + "/v1/products/" + i, timeout=10,
                             json=declaration(id=i, product_name="Camera " + i),
                             headers={"Authorization": "Bearer " + token})
            assert r.status_code == 201, r.text
        expect = {i: {k: v for k, v in requests.get(url + "/v1/products/" + i, timeout=10)
                      .json().items() if k in declaration()} for i in ids}
    finally:
        old.terminate()
        old.wait(timeout=30)
    check_upgrade(data, ids, expect)
