"""Storage limits: the LMDB map starts small and grows as data arrives (seclabeld --map-size);
at its maximum (--map-size-max), on a full disk or at the process's file size limit a write is
refused with 507 storage_full and the JSON error, everything stored before stays readable, the
server goes on serving, and `seclabel admin verify` finds the database sound."""
import os
import resource
import subprocess

import pytest

from conftest import Server, add_manufacturer, cli, declaration

MiB = 1 << 20
# About 2.5 KB per stored record: a 1 MiB map holds a few hundred of them.
FILLER = "tamper-evident enclosure, signed firmware, secure boot; " * 35


def decl(i):
    """Declaration number i of maker acme, its text unique to it."""
    return declaration(id="acme-dev-%d" % i, product_name="Acme device %d, %s" % (i, FILLER))


def fill(server, token, first, count, per_batch):
    """Send declarations first.. in batches until `count` are stored or the server refuses a
    batch; returns (stored ids, the refusing response or None)."""
    stored = []
    i = first
    while i < first + count:
        r = server.post("/v1/batch", token,
                        json={"products": [decl(n) for n in range(i, i + per_batch)]})
        if r.status_code != 200:
            return stored, r
        assert r.json()["created"] == per_batch, r.text[:500]
        stored += range(i, i + per_batch)
        i += per_batch
    return stored, None


def assert_readable(server, stored):
    for i in stored:
        r = server.get("/v1/products/acme-dev-%d" % i)
        assert r.status_code == 200, r.text[:500]
        assert r.json()["product_name"] == decl(i)["product_name"]


def assert_full(r):
    assert r.status_code == 507, r.text[:500]
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["error"] == "storage_full" and r.json()["message"]


def assert_verifies(data):
    r = cli("admin", "verify", "--data", data)
    assert r.returncode == 0 and "verify: 0 problems" in r.stdout, r.stdout + r.stderr


def refused_then_still_serving(server, token, stored):
    """After a batch was refused: nothing of it was written; single PUTs, which need less room,
    go on until one is refused the same way; reads go on, and nothing stored is lost or
    changed."""
    for n in range(stored[-1] + 1, stored[-1] + 21):  # the refused batch
        assert server.get("/v1/products/acme-dev-%d" % n).status_code == 404
    for n in range(100000, 100500):
        r = server.put("/v1/products/acme-dev-%d" % n, token, json=decl(n))
        if r.status_code != 201:
            break
        stored.append(n)
    assert_full(r)
    assert server.get("/v1/products/acme-dev-%d" % n).status_code == 404
    assert server.get("/healthz").status_code == 200
    assert server.get("/v1/products?limit=5").status_code == 200
    assert_readable(server, stored)


def test_a_tiny_map_grows_as_data_arrives(tmp_path):
    s = Server(tmp_path / "data", "--map-size", "1M")
    try:
        token = add_manufacturer(s.data, "acme", "Acme Devices Ltd")
        stored, refused = fill(s, token, 0, 1000, 100)
        assert refused is None, refused.text[:300]
        assert (s.data / "data.mdb").stat().st_size > 3 * MiB
        assert "database map now" in s.log()
        assert_readable(s, stored)
    finally:
        s.stop()
    assert_verifies(s.data)


def test_the_map_at_its_maximum_refuses_writes_with_507(tmp_path):
    data = tmp_path / "data"
    s = Server(data, "--map-size", "1M", "--map-size-max", "2M")
    try:
        token = add_manufacturer(s.data, "acme", "Acme Devices Ltd")
        stored, refused = fill(s, token, 0, 2000, 20)
        assert refused is not None, "2 MiB held 2000 declarations of 2.5 KB?"
        assert_full(refused)
        assert "database map now %d bytes" % (2 * MiB) in s.log()  # it grew, to the maximum
        refused_then_still_serving(s, token, stored)
        assert (data / "data.mdb").stat().st_size <= 2 * MiB
    finally:
        s.stop()
    assert_verifies(data)
    # The same maximum after a restart: the data is there, and the map does not grow past it.
    # A few more writes may fit first (pages the old process's readers still held are free
    # now), but the map fills again and refuses within a few dozen.
    s = Server(data, "--map-size", "1M", "--map-size-max", "2M")
    try:
        assert_readable(s, stored)
        for n in range(999000, 999100):
            r = s.put("/v1/products/acme-dev-%d" % n, token, json=decl(n))
            if r.status_code != 201:
                break
            stored.append(n)
        assert_full(r)
        assert_readable(s, stored)
    finally:
        s.stop()
    assert (data / "data.mdb").stat().st_size <= 2 * MiB


def file_size_limit(limit):
    """For preexec_fn: writes past `limit` bytes fail (EFBIG, and SIGXFSZ, which seclabeld
    ignores). Works without privileges, unlike a small filesystem; the hard limit stays, so the
    test can lift the soft one later."""
    def set_limit():
        resource.setrlimit(resource.RLIMIT_FSIZE,
                           (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    return set_limit


def write_one_more(server, token):
    r = server.put("/v1/products/acme-dev-200000", token, json=decl(200000))
    assert r.status_code == 201, r.text[:300]


def test_a_file_size_limit_refuses_writes_with_507(tmp_path):
    data = tmp_path / "data"
    # The map (16 GiB by default) could take far more: the file size limit stops the writes.
    s = Server(data, preexec_fn=file_size_limit(3 * MiB // 2))
    try:
        token = add_manufacturer(s.data, "acme", "Acme Devices Ltd")
        stored, refused = fill(s, token, 0, 2000, 20)
        assert refused is not None
        assert_full(refused)
        assert len(stored) >= 100
        refused_then_still_serving(s, token, stored)
        assert s.proc.poll() is None
        # Room again (the limit lifted): writes go on without a restart.
        hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
        resource.prlimit(s.proc.pid, resource.RLIMIT_FSIZE, (hard, hard))
        write_one_more(s, token)
        assert_readable(s, stored)
    finally:
        s.stop()
    assert_verifies(data)


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MiB tmpfs: a real full disk. Needs root (CI runs as root) and mount rights."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; the file size limit test covers the rest")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + r.stderr.strip())
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


def test_a_full_disk_refuses_writes_with_507(small_disk):
    data = small_disk / "data"
    s = Server(data)
    try:
        token = add_manufacturer(s.data, "acme", "Acme Devices Ltd")
        stored, refused = fill(s, token, 0, 2000, 20)
        assert refused is not None
        assert_full(refused)
        assert len(stored) >= 100
        refused_then_still_serving(s, token, stored)
        assert os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize < MiB
        # Room again (the disk made larger): writes go on without a restart.
        subprocess.run(["mount", "-o", "remount,size=8m", str(small_disk)], check=True)
        write_one_more(s, token)
        assert_readable(s, stored)
    finally:
        s.stop()
    assert_verifies(data)
