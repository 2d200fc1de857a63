"""Tampering an operator could do, caught by the three checkers (issue 16): `seclabel admin verify`
(the operator's own check of the database), `seclabel verify ID` (a retailer or shopper, with the
pinned key) and `seclabel monitor` (a watchdog following the log).

- A stored record edited directly in the database with LMDB's own tool (mdb_load), the server
  stopped and started again: either the logged version itself (what the log's entry and tiles
  are read from) or the product's current record (what the API and the pages show).
- A log rolled back: the data directory restored from an old `seclabel admin backup` with the
  real `seclabel admin restore`, and then written differently, to fewer entries than the
  checkers saw, as many, or more. verify (against the checkpoint it kept) and monitor (against
  its state) must each say the log forked or went back, exit non-zero and keep what they saw."""
import json
import shutil
import subprocess

import pytest

from conftest import Server, cli
from test_verify_cli import covered, make_data, register, signed_size

A, B = "acme-cam-1", "acme-cam-2"


@pytest.fixture
def reg(tmp_path):
    """A registry with products A and B, every write covered by a signed checkpoint."""
    d = tmp_path / "data"
    token = make_data(d)
    s = Server(d)
    register(s, token)
    register(s, token, id=B, gtin=None)
    covered(s, s.get("/v1/products/" + B).json()["log"]["index"] + 1)
    r = type("Reg", (), dict(server=s, token=token, vkey=s.get("/log/key").text.strip(),
                             data=d, tmp=tmp_path, cfg=tmp_path / "cfg"))
    yield r
    r.server.stop()


def run(reg, *args):
    """The CLI as a user with the pinned key and their own config directory."""
    return cli(*args, "--log-key", reg.vkey, server=reg.server,
               env_extra={"XDG_CONFIG_HOME": str(reg.cfg)})


def verify(reg, *args):
    return run(reg, "verify", A, *args)


def monitor(reg, *args):
    return run(reg, "monitor", "--once", *args)


def admin_verify(data):
    r = cli("admin", "verify", "--data", data)
    return r.returncode, r.stdout + r.stderr


def mdb_put(data, table, key, value):
    """key -> value into a table of a stopped registry's database (mdb_load -T's escapes)."""
    esc = lambda s: s.replace("\\", "\\\\")  # noqa: E731
    subprocess.run(["mdb_load", "-T", "-s", table, str(data)], check=True, text=True,
                   input="%s\n%s\n" % (key, esc(value)))


def edit_while_stopped(reg, table, key, value):
    reg.server.stop()
    mdb_put(reg.data, table, key, value)
    reg.server = Server(reg.data)


# Version 1 of A in the versions table: key id \0 u32be(1), written as mdb_load -T escapes.
VERSION_1 = A + "\\00\\00\\00\\00\\01"


@pytest.mark.parametrize("where", ["logged version", "current record"])
def test_a_record_edited_in_the_database_is_caught_by_all_three(reg, where):
    if not shutil.which("mdb_load"):
        pytest.skip("needs LMDB's tools (Debian lmdb-utils)")
    assert admin_verify(reg.data)[0] == 0
    assert verify(reg).returncode == 0
    assert monitor(reg).returncode == 0  # the monitor has seen the log as it was
    index = reg.server.get("/v1/products/" + A).json()["log"]["index"]
    entry = reg.server.get("/v1/products/%s/versions/1/entry" % A).content
    record = json.loads(entry)
    record["support_date"] = "2026-12-31"  # five years of updates quietly taken away
    forged = json.dumps(record, separators=(",", ":"))
    if where == "logged version":
        edit_while_stopped(reg, "versions", VERSION_1, forged)
        # The registry itself now serves the forged bytes as the entry: only the hashes tell.
        assert reg.server.get("/v1/products/%s/versions/1/entry" % A).text == forged
    else:
        edit_while_stopped(reg, "products", A, forged)
        assert reg.server.get("/v1/products/%s/versions/1/entry" % A).content == entry
    assert reg.server.get("/v1/products/" + A).json()["support_date"] == "2026-12-31"

    code, out = admin_verify(reg.data)
    assert code != 0, out
    if where == "logged version":
        assert "log: hash %d (level 0) differs from the hash of the entries" % index in out, out
    else:
        assert "product %s: the current record is not its newest version" % A in out, out

    r = verify(reg)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "not verified" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    if where == "logged version":
        assert "the entry is not proved to be in the log" in r.stderr, r.stderr
    else:
        assert "support_date" in r.stderr and "2026-12-31" in r.stderr, r.stderr

    # No new entry: the monitor audits known products against the API through their proved
    # entries (--audit, 100 a pass by default) and knows what A's entry said.
    r = monitor(reg, "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    found = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(f["finding"], f["product"], f["member"], f["registry"], f["log"])
            for f in found if f["finding"] == "api_differs"] == [
        ("api_differs", A, "support_date", "2026-12-31", "2031-12-31")], found
    if where == "logged version":
        assert [(f["finding"], f["product"], f["index"]) for f in found
                if f["finding"] == "entry_not_logged"] == [("entry_not_logged", A, index)]
        # A monitor reading the log from entry 0 reads the forged entry in the tiles: the
        # tiles' hashes do not match it, so the log cannot be checked (exit 3), never 0.
        r = monitor(reg, "--state", str(reg.tmp / "fresh"))
        assert r.returncode == 3, r.stdout + r.stderr
        assert "what the registry serves is not its signed log" in r.stderr, r.stderr


def test_the_audit_goes_round_the_products_a_few_each_pass(reg):
    if not shutil.which("mdb_load"):
        pytest.skip("needs LMDB's tools (Debian lmdb-utils)")
    assert monitor(reg).returncode == 0
    record = json.loads(reg.server.get("/v1/products/%s/versions/1/entry" % B).content)
    record["default_password"] = "universal"
    edit_while_stopped(reg, "products", B, json.dumps(record, separators=(",", ":")))
    audited = reg.cfg / "seclabel" / "monitor" / "127.0.0.1%3A8080%2Flog" / "audit"
    assert monitor(reg, "--audit", "0").returncode == 0  # no audit: nothing new, nothing seen
    assert not audited.exists()
    r = monitor(reg, "--audit", "1")  # A (in ID order): as logged
    assert r.returncode == 0 and r.stdout == "", r.stdout + r.stderr
    assert r.stderr.count("\n") == 1, r.stderr  # the summary alone (no audit file yet is fine)
    assert "no new entries, 1 other product audited (consistent" in r.stderr, r.stderr
    assert audited.read_text() == A + "\n"
    r = monitor(reg, "--audit", "1")  # then B
    assert r.returncode == 1, r.stdout + r.stderr
    assert ('api_differs: %s: the registry shows default_password "universal", its newest log '
            'entry' % B) in r.stdout, r.stdout
    assert audited.read_text() == B + "\n"
    assert monitor(reg, "--audit", "1").returncode == 0  # round again: A


def restore_old(reg, backup, more):
    """Stop the registry, restore `backup` over its data with the real CLI, start it again and
    write `more` versions that differ from what was written after the backup."""
    reg.server.stop()
    shutil.rmtree(reg.data)
    r = cli("admin", "restore", backup, "--data", reg.data)
    assert r.returncode == 0, r.stderr
    reg.server = Server(reg.data)
    start = signed_size(reg.server)
    for k in range(more):
        register(reg.server, reg.token, id="acme-cam-%d" % (20 + k), gtin=None,
                 support_date="2027-01-31")
    covered(reg.server, start + more)
    return signed_size(reg.server)


@pytest.mark.parametrize("more", [1, 2, 4])
def test_a_log_restored_from_an_old_backup_is_caught(reg, more):
    backup = reg.tmp / "backup"
    r = cli("admin", "backup", backup, "--data", reg.data)
    assert r.returncode == 0, r.stderr
    at_backup = signed_size(reg.server)
    register(reg.server, reg.token, support_date="2034-12-31")  # A's version 2
    register(reg.server, reg.token, id=B, gtin=None, support_date="2034-12-31")
    covered(reg.server, at_backup + 2)
    seen = signed_size(reg.server)
    assert verify(reg).returncode == 0 and monitor(reg).returncode == 0
    origin = "127.0.0.1%3A8080%2Flog"  # the key's name, as the CLI names its files
    kept = {p: p.read_text() for p in (reg.cfg / "seclabel" / "checkpoints" / origin,
                                       reg.cfg / "seclabel" / "monitor" / origin / "checkpoint")}

    size = restore_old(reg, backup, more)
    assert size - seen == more - 2  # fewer entries than seen, as many, or more
    r = verify(reg)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "not verified" in r.stderr
    if size < seen:
        assert "rolled back" in r.stderr, r.stderr
    else:
        assert "the log forked" in r.stderr, r.stderr
    r = monitor(reg, "--json")
    assert r.returncode == 3, r.stdout + r.stderr
    fatal = [json.loads(line) for line in r.stdout.splitlines()]
    assert [f["finding"] for f in fatal] == ["rollback" if size < seen else "fork"], fatal
    assert (fatal[0]["size"], fatal[0]["old_size"]) == (size, seen)
    # Neither keeps the restored log's checkpoint: they still hold what they verified.
    assert {p: p.read_text() for p in kept} == kept
