"""The operator's `seclabel admin` commands on the data directory: they never create a database
by mistake, never write into a backup, and back up and restore with the database's own
privacy (0600), keeping what a restore replaces."""
import hashlib
import os
import stat
import subprocess

import pytest

from conftest import Server, add_manufacturer, cli, declaration

# Every command that only reads, as arguments after "admin" (without --data).
READERS = [
    ["verify"], ["stats"], ["manufacturer", "list"], ["manufacturer", "show", "acme"],
    ["manufacturer", "prefix", "list", "acme"], ["manufacturer", "id-prefix", "list", "acme"],
    ["token", "list"],
]
# Every command that changes a database but must not start one.
CHANGERS = [
    ["manufacturer", "prefix", "add", "acme", "5012345"],
    ["manufacturer", "prefix", "remove", "acme", "5012345"],
    ["manufacturer", "id-prefix", "add", "acme", "ac-"],
    ["manufacturer", "id-prefix", "remove", "acme", "ac-"],
    ["manufacturer", "verify", "acme", "--evidence", "checked"],
    ["manufacturer", "unverify", "acme", "--reason", "lapsed"],
    ["manufacturer", "disable", "acme"],
    ["token", "issue", "acme"], ["token", "revoke", "3f9c1a2b4d5e"],
]


def listing(d):
    """Every file under d with its mode and SHA-256."""
    out = {}
    for root, _dirs, files in os.walk(d):
        for name in files:
            p = os.path.join(root, name)
            with open(p, "rb") as f:
                out[os.path.relpath(p, d)] = (stat.S_IMODE(os.stat(p).st_mode),
                                              hashlib.sha256(f.read()).hexdigest())
    return out


def mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


@pytest.mark.parametrize("args", READERS + CHANGERS + [["backup", "DEST"]])
def test_no_command_but_add_creates_a_database(tmp_path, args):
    missing, empty = tmp_path / "no-such-dir", tmp_path / "empty"
    empty.mkdir()
    args = [str(tmp_path / "dest") if a == "DEST" else a for a in args]
    for d, why in [(missing, "no such directory"), (empty, "it holds no data.mdb")]:
        r = cli("admin", *args, "--data", d)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert r.stderr == "seclabel: no database in %s (%s; name the data directory with " \
                           "--data DIR)\n" % (d, why)
        assert r.stdout == "" and "problems" not in r.stdout
    assert not missing.exists() and list(empty.iterdir()) == []
    assert not (tmp_path / "dest").exists()
    # Without --data, in a folder that is not a registry's: ./data is named, and not made.
    r = cli("admin", *args, cwd=tmp_path)
    assert r.returncode == 1 and "no database in ./data (no such directory" in r.stderr
    assert not (tmp_path / "data").exists()


def test_an_empty_or_foreign_data_mdb_is_not_a_database(tmp_path):
    (tmp_path / "data.mdb").write_bytes(b"")
    r = cli("admin", "verify", "--data", tmp_path)
    assert r.returncode == 1 and "(its data.mdb is empty;" in r.stderr
    assert (tmp_path / "data.mdb").read_bytes() == b""
    other = tmp_path / "other"
    other.mkdir()
    subprocess.run(["mdb_load", "-T", "-s", "things", str(other)], input="k\nv\n", text=True,
                   check=True)
    before = listing(other)["data.mdb"]  # (mdb_load made a lock.mdb: LMDB's readers use it)
    for args in READERS:
        r = cli("admin", *args, "--data", other)
        assert r.returncode == 1 and "its data.mdb is not a seclabel database" in r.stderr, args
    assert listing(other)["data.mdb"] == before


def test_only_manufacturer_add_starts_a_registry_and_a_refused_one_leaves_nothing(tmp_path):
    d = tmp_path / "new"
    # The example: a contact that is no address is refused, and no database is left.
    r = cli("admin", "manufacturer", "add", "bb3", "--name", "BB3", "--contact", "notanemail",
            "--data", d)
    assert r.returncode == 2 and "contact must be an e-mail address" in r.stderr
    assert not d.exists()
    r = cli("admin", "manufacturer", "add", "bb3", "--name", "BB3", "--data", d)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "Started a new registry database in %s." % d
    assert lines[-1].startswith("slt_")
    assert mode(d) == 0o700 and mode(d / "data.mdb") == 0o600
    r = cli("admin", "manufacturer", "add", "bb4", "--name", "BB4", "--data", d)
    assert r.returncode == 0 and "Started" not in r.stdout
    r = cli("admin", "manufacturer", "list", "--data", d)
    assert r.returncode == 0 and [l.split()[0] for l in r.stdout.splitlines()] == ["bb3", "bb4"]


def test_the_public_api_never_shows_a_contact_that_is_no_address(server):
    add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    r = cli("admin", "manufacturer", "add", "bb3", "--name", "BB3", "--contact", "notanemail",
            "--data", server.data)
    assert r.returncode == 2
    assert server.get("/v1/manufacturers/bb3").status_code == 404
    assert cli("admin", "manufacturer", "list", "--data", server.data).stdout.count("\n") == 1


def test_reading_a_backup_writes_nothing_into_it(server, tmp_path):
    token = add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    assert server.put("/v1/products/acme-cam-1", token, json=declaration()).status_code == 201
    b = tmp_path / "backup"
    r = cli("admin", "backup", b, "--data", server.data)
    assert r.returncode == 0, r.stderr
    assert mode(b) == 0o700 and mode(b / "data.mdb") == 0o600
    assert mode(server.data / "data.mdb") == 0o600
    before = listing(b)
    assert sorted(before) == ["data.mdb", "log.key"]  # the log's key: seclabeld made it
    for args in READERS:
        r = cli("admin", *args, "--data", b)
        assert r.returncode == 0, (args, r.stderr)
    r = cli("admin", "backup", tmp_path / "backup2", "--data", b)  # a backup of the backup
    assert r.returncode == 0, r.stderr
    assert listing(b) == before  # no lock.mdb, not a byte changed
    # The live directory is read beside the running server (through its lock file).
    r = cli("admin", "verify", "--data", server.data)
    assert r.returncode == 0 and "verify: 0 problems" in r.stdout


def counts(d):
    r = cli("admin", "stats", "--data", d)
    assert r.returncode == 0, r.stderr
    return {k: int(v) for k, v in (l.split() for l in r.stdout.splitlines())}


def kept_as(out):
    """The name restore printed for the database it replaced, or ""."""
    for line in out.splitlines():
        if " is kept as " in line:
            return line.split(" is kept as ")[1].split(": delete")[0]
    return ""


def test_restore_into_a_new_directory_and_over_a_database_keeping_it(server, tmp_path):
    token = add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    assert server.put("/v1/products/acme-cam-1", token, json=declaration()).status_code == 201
    b = tmp_path / "backup"
    assert cli("admin", "backup", b, "--data", server.data).returncode == 0
    backup_files = listing(b)
    # Into a directory that does not exist yet: made 0700, the database 0600.
    new = tmp_path / "new"
    r = cli("admin", "restore", b, "--data", new)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "restored %s from %s (verified)\n" % (new, b)
    assert mode(new) == 0o700 and mode(new / "data.mdb") == 0o600
    assert counts(new)["products"] == 1
    # Over a database: the one replaced is kept, under the name printed, as it was.
    assert server.put("/v1/products/acme-cam-2", token,
                      json=declaration(id="acme-cam-2")).status_code == 201
    server.stop()
    live = (server.data / "data.mdb").read_bytes()
    assert counts(server.data)["products"] == 2
    r = cli("admin", "restore", b, "--data", server.data)
    assert r.returncode == 0, r.stderr
    kept = kept_as(r.stdout)
    assert kept.startswith(str(server.data / "data.mdb.before-restore-"))
    with open(kept, "rb") as f:
        assert f.read() == live
    assert mode(server.data / "data.mdb") == 0o600
    assert counts(server.data)["products"] == 1
    assert cli("admin", "verify", "--data", server.data).returncode == 0
    # No copy is left half-way, and the backup was only read.
    assert not [p for p in server.data.iterdir() if p.name.startswith(".restore")]
    assert listing(b) == backup_files
    # A second restore in the same second keeps both replaced databases.
    r2 = cli("admin", "restore", b, "--data", server.data)
    assert r2.returncode == 0 and kept_as(r2.stdout) not in ("", kept)
    assert os.path.exists(kept) and os.path.exists(kept_as(r2.stdout))


def test_an_unsound_backup_changes_nothing(server, tmp_path):
    token = add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    assert server.put("/v1/products/acme-cam-1", token,
                      json=declaration(gtin="5012345678900")).status_code == 201
    b = tmp_path / "backup"
    assert cli("admin", "backup", b, "--data", server.data).returncode == 0
    server.stop()
    # Damage the backup's GTIN index with LMDB's own tool.
    subprocess.run(["mdb_load", "-T", "-s", "gtins", str(b)], check=True, text=True,
                   input="05012345678900\nnobody\n")
    before = listing(server.data)
    r = cli("admin", "restore", b, "--data", server.data)
    assert r.returncode == 1 and "is not a sound backup" in r.stderr
    assert "nothing was changed" in r.stderr and "does not lead back" in r.stderr
    after = listing(server.data)
    after.pop("seclabeld.lock", None)
    before.pop("seclabeld.lock", None)
    assert after == before
    assert not [p for p in server.data.iterdir() if p.name.startswith(".restore")]
    r = cli("admin", "restore", b, "--data", tmp_path / "fresh")
    assert r.returncode == 1 and not (tmp_path / "fresh").exists()


def test_backup_and_restore_carry_the_log_key(server, tmp_path):
    """The log cannot go on without its signing key (a new one would make every verifier that
    pinned the old refuse it): a backup holds a copy (mode 0600) and restore puts it back,
    keeping a different key it replaces."""
    token = add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    assert server.put("/v1/products/acme-cam-1", token, json=declaration()).status_code == 201
    vkey = server.get("/log/key").text
    key = (server.data / "log.key").read_bytes()
    b = tmp_path / "backup"
    r = cli("admin", "backup", b, "--data", server.data)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert (b / "log.key").read_bytes() == key and mode(b / "log.key") == 0o600
    server.stop()
    # Into a new directory: the key comes back, and a server there signs with it.
    new = tmp_path / "new"
    r = cli("admin", "restore", b, "--data", new)
    assert r.returncode == 0, r.stderr
    assert (new / "log.key").read_bytes() == key and mode(new / "log.key") == 0o600
    s = Server(new)
    try:
        assert s.get("/log/key").text == vkey
    finally:
        s.stop()
    # Over a directory whose key differs: the backup's key is put back, the other kept.
    other = tmp_path / "other"
    add_manufacturer(other, "acme", "Acme Devices Ltd")
    assert cli("admin", "log", "key", "--data", other, "--public-url",
               "https://other.example").returncode == 0
    theirs = (other / "log.key").read_bytes()
    r = cli("admin", "restore", b, "--data", other)
    assert r.returncode == 0, r.stderr
    assert (other / "log.key").read_bytes() == key and mode(other / "log.key") == 0o600
    kept = [line.split(" is kept as ")[1].split(":")[0] for line in r.stdout.splitlines()
            if line.startswith("the log key it replaced")]
    assert len(kept) == 1 and kept[0].startswith(str(other / "log.key.before-restore-"))
    with open(kept[0], "rb") as f:
        assert f.read() == theirs
    # A backup whose key is damaged is not sound: nothing changes.
    (b / "log.key").write_text("PRIVATE+KEY+broken\n")
    before = listing(new)
    r = cli("admin", "restore", b, "--data", new)
    assert r.returncode == 1 and "not a sound backup (its log.key" in r.stderr, r.stderr
    assert listing(new) == before
    # A data directory without a key (seclabeld --log-key FILE): the backup says so.
    (new / "log.key").unlink()
    r = cli("admin", "backup", tmp_path / "nokey", "--data", new)
    assert r.returncode == 0 and "holds no log key" in r.stderr
    assert sorted(listing(tmp_path / "nokey")) == ["data.mdb"]


def test_a_change_that_was_already_so_says_so(tmp_path):
    """Each account change says what it did; one that changes nothing says that, never the
    change ("no longer verified" of a maker that never was)."""
    d = tmp_path / "data"
    add_manufacturer(d, "acme", "Acme Devices Ltd")  # holds 5012345, not verified
    said = lambda *a: cli("admin", "manufacturer", *a, "--data", d).stdout.strip()
    assert said("unverify", "acme", "--reason", "x") == "'acme' is not verified: nothing changed."
    assert said("verify", "acme", "--evidence", "e") == "'acme' is verified (evidence: e)."
    assert said("unverify", "acme", "--reason", "x") == \
        "'acme' is no longer verified (reason: x)."
    assert said("prefix", "add", "acme", "5012345") == \
        "'acme' already holds GS1 Company Prefix 5012345: nothing changed."
    assert said("prefix", "remove", "acme", "4006381") == \
        "'acme' does not hold GS1 Company Prefix 4006381: nothing changed."
    assert said("disable", "acme").startswith("'acme' is disabled: its tokens no longer work")
    assert said("disable", "acme") == "'acme' is disabled already: nothing changed."
