"""A data directory written by an earlier release (issue 15): one without the search index's
tables, and one whose posting lists have the first index's layout. The read-only admin commands
work on both (`admin stats` counts the records, `admin verify` says the index is not built and
how to build it, changing nothing); `admin reindex` or seclabeld's start-up builds the index,
and verify then agrees. The earlier layouts are made with LMDB's own tools (mdb_dump, mdb_load)
from a directory this release wrote: the tables an earlier release had, copied as they are."""
import shutil
import subprocess

import pytest

from conftest import Server, add_manufacturer, cli, declaration

# The tables of the release before the search index (store.h), and the index's own.
OLD_TABLES = ["products", "versions", "manufacturers", "tokens", "gtins", "owners", "changes",
              "meta"]
INDEX_TABLES = ["spostings", "sdocs", "scounts"]
SINDEX_KEY = "sindex".encode().hex()  # meta's key that says the index is built, and which


def dump(data, table):
    return subprocess.run(["mdb_dump", "-s", table, str(data)], capture_output=True, text=True,
                          check=True).stdout


def without_pair(text, key_hex):
    """An mdb_dump text without the record whose key is key_hex (its key and value lines)."""
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        if lines[i] == " " + key_hex:
            i += 2
            continue
        out.append(lines[i])
        i += 1
    return "\n".join(out) + "\n"


def load(dest, table, text):
    subprocess.run(["mdb_load", "-s", table, str(dest)], input=text, text=True, check=True)


@pytest.fixture
def written(tmp_path):
    """A data directory this release wrote: three products, one withdrawn; the server stopped."""
    if not shutil.which("mdb_dump") or not shutil.which("mdb_load"):
        pytest.skip("needs LMDB's tools (Debian lmdb-utils)")
    s = Server(tmp_path / "data")
    try:
        tok = add_manufacturer(s.data, "acme", "Acme Devices Ltd")
        for i, name in enumerate(["Acme Kettle", "Acme Camera", "Acme Plug"]):
            pid = "acme-old-%d" % i
            r = s.put("/v1/products/" + pid, tok,
                      json=declaration(id=pid, product_name=name, gtin=None))
            assert r.status_code == 201, r.text
        r = s.post("/v1/products/acme-old-2/withdraw", tok)
        assert r.status_code == 200, r.text
    finally:
        s.stop()
    return s.data


def before_the_index(src, dest):
    """dest: src as the release before the search index wrote it (no index tables, no mark)."""
    dest.mkdir()
    for t in OLD_TABLES:
        text = dump(src, t)
        load(dest, t, without_pair(text, SINDEX_KEY) if t == "meta" else text)
    return dest


def test_admin_reads_a_directory_without_the_index(written, tmp_path):
    old = before_the_index(written, tmp_path / "old")
    before = (old / "data.mdb").read_bytes()
    r = cli("admin", "stats", "--data", old)
    assert r.returncode == 0, r.stderr
    assert "not a seclabel database" not in r.stderr
    assert "products" in r.stdout and "3" in r.stdout, r.stdout
    r = cli("admin", "verify", "--data", old)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "search index: not built" in r.stdout, r.stdout
    assert "seclabel admin reindex --data" in r.stdout, r.stdout
    assert "verify: 1 problem" in r.stdout, r.stdout  # one line, not one per product
    assert (old / "data.mdb").read_bytes() == before  # reading changed nothing
    # Built by reindex, the index agrees with the records.
    r = cli("admin", "reindex", "--data", old)
    assert r.returncode == 0, r.stderr
    assert "3 products" in r.stdout, r.stdout
    r = cli("admin", "verify", "--data", old)
    assert r.returncode == 0, r.stdout + r.stderr


def test_an_older_index_layout_is_rebuilt_at_start_up(written, tmp_path):
    """The first index kept its posting lists as plain keys: the table without sorted
    duplicates, and meta saying version 1. Reading says so; seclabeld builds it anew."""
    old = before_the_index(written, tmp_path / "old")
    for t in INDEX_TABLES:
        text = dump(written, t)
        if t == "spostings":  # the same table as plain keys (a key's last value stays)
            text = "\n".join(x for x in text.splitlines() if x != "duplicates=1") + "\n"
        load(old, t, text)
    meta = dump(old, "meta").replace("HEADER=END\n", "HEADER=END\n %s\n %s\n" % (
        SINDEX_KEY, "1".encode().hex()), 1)
    load(old, "meta", meta)
    r = cli("admin", "stats", "--data", old)
    assert r.returncode == 0, r.stderr
    r = cli("admin", "verify", "--data", old)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "search index: not built for this release" in r.stdout, r.stdout
    s = Server(old)
    try:
        r = s.get("/v1/products", params={"q": "acme", "status": "any"})
        assert r.status_code == 200, r.text
        assert [x["id"] for x in r.json()["items"]] == ["acme-old-0", "acme-old-1", "acme-old-2"]
        r = s.get("/v1/products", params={"q": "kettle"})
        assert [x["id"] for x in r.json()["items"]] == ["acme-old-0"]
    finally:
        s.stop()
    r = cli("admin", "verify", "--data", old)
    assert r.returncode == 0, r.stdout + r.stderr
