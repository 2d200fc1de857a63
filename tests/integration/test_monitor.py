"""seclabel monitor (issue 16): a watchdog that follows the real seclabeld's transparency log with a
pinned key. The registry refuses a shortened support date and a GTIN given to another product,
so those are forced in as an operator could: by editing the database (mdb_load into the products
and gtins tables) and then writing through the API, which logs the result; the monitor must name
each. A forked twin (the same key file, other writes), a proxy that lies about a record or breaks
the checkpoint's signature are caught too, never with exit 0."""
import base64
import ctypes
import ctypes.util
import json
import shutil
import subprocess

import pytest

from conftest import Server, add_manufacturer, cli, declaration
from test_verify_cli import Proxy, covered, make_data, register, signed_size

A, B = "acme-cam-1", "acme-cam-2"
GTIN = "05012345678900"  # register()'s GTIN, normalised
STATE = ("seclabel", "monitor", "127.0.0.1%3A8080%2Flog")


@pytest.fixture
def reg(tmp_path):
    """A registry with makers acme and bolt, products A (with GTIN) and B (none), the data
    directory's twin from before any product, the key, and the CLI's config directory."""
    d = tmp_path / "data"
    token = make_data(d)
    bolt = add_manufacturer(d, "bolt", "Bolt Gadgets")
    shutil.copytree(d, tmp_path / "twin")
    s = Server(d)
    register(s, token)
    register(s, token, id=B, gtin=None)
    covered(s, s.get("/v1/products/" + B).json()["log"]["index"] + 1)
    vkey = s.get("/log/key").text.strip()
    r = type("Reg", (), dict(server=s, token=token, bolt=bolt, vkey=vkey, data=d, tmp=tmp_path,
                             cfg=tmp_path / "cfg"))
    yield r
    r.server.stop()


def monitor(reg, *args, via=None, key=True):
    k = ("--log-key", reg.vkey) if key else ()
    return cli("monitor", "--once", *k, *args, server=via or reg.server,
               env_extra={"XDG_CONFIG_HOME": str(reg.cfg)})


def state(reg, name):
    return reg.cfg.joinpath(*STATE, name)


def kinds(out):
    return [line.split(":", 1)[0] for line in out.splitlines()]


def test_a_clean_log_exits_0_and_keeps_its_state(reg):
    r = monitor(reg)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "a first run: the whole log, from entry 0" in r.stderr
    size = signed_size(reg.server)
    assert state(reg, "checkpoint").read_text().split("\n")[1] == str(size)
    rows = state(reg, "products").read_text().splitlines()
    assert [x.split("\t")[0] for x in rows] == [A, B]
    assert rows[0].split("\t")[3:] == ["2031-12-31", GTIN]
    assert state(reg, "gtins").read_text() == "%s\t%s\tacme\n" % (GTIN, A)
    assert not {"support_date_earlier", "gtin_moved", "api_differs"} & set(kinds(r.stdout))
    # The makers' prefixes added: information, not findings (which people read as wrong).
    notes = r.stdout.splitlines()
    assert notes and all(n.startswith("note: manufacturer_prefixes: ") for n in notes), notes
    assert r.stderr.rstrip().endswith("; nothing wrong; %d informational entries" % len(notes))
    assert "finding" not in r.stderr, r.stderr
    again = monitor(reg)  # nothing new: consistent, both products audited, no findings
    assert again.returncode == 0 and again.stdout == "", again.stdout + again.stderr
    assert again.stderr.rstrip().endswith(
        "no new entries, 2 other products audited (consistent with the checkpoint verified "
        "before); nothing wrong")


def test_no_pinned_key_is_refused(reg):
    r = monitor(reg, key=False)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1, r.stderr  # a CLI error: one line on stderr
    assert r.stderr.startswith("seclabel: monitor: no pinned log key: get it from the operator")
    assert reg.server.url + "/log/key" in r.stderr and "seclabel config set log-key" in r.stderr
    assert not state(reg, "checkpoint").exists()
    assert monitor(reg, "--interval", "0").returncode == 2


def mdb_put(data, table, key, value):
    """Put key -> value into a table of the stopped registry's database, as an operator could."""
    esc = lambda s: s.replace("\\", "\\\\")  # noqa: E731 (mdb_load -T's escape)
    subprocess.run(["mdb_load", "-T", "-s", table, str(data)], check=True, text=True,
                   input="%s\n%s\n" % (esc(key), esc(value)))


def mdb_rekey(data, table, old, new):
    """Move old's value to key new in a table of the stopped registry's database, as an operator
    could. LMDB's tools cannot delete a key (and 0.9.24's mdb_load drops a dump's dupsort flag
    and misreads an escaped backslash before hex digits, so a whole dump cannot be edited and
    loaded back): liblmdb itself, through ctypes."""
    lib = ctypes.CDLL(ctypes.util.find_library("lmdb") or "liblmdb.so.0")

    class Val(ctypes.Structure):
        _fields_ = [("size", ctypes.c_size_t), ("data", ctypes.c_void_p)]

    def ok(rc):
        assert rc == 0, ctypes.string_at(lib.mdb_strerror(rc))

    lib.mdb_strerror.restype = ctypes.c_void_p
    env, txn, dbi = ctypes.c_void_p(), ctypes.c_void_p(), ctypes.c_uint()
    ok(lib.mdb_env_create(ctypes.byref(env)))
    ok(lib.mdb_env_set_maxdbs(env, 64))
    ok(lib.mdb_env_open(env, str(data).encode(), 0, 0o600))
    ok(lib.mdb_txn_begin(env, None, 0, ctypes.byref(txn)))
    ok(lib.mdb_dbi_open(txn, table.encode(), 0, ctypes.byref(dbi)))

    def val(b):
        buf = ctypes.create_string_buffer(b, len(b))
        return Val(len(b), ctypes.cast(buf, ctypes.c_void_p)), buf  # (buf: kept alive)

    (key, k_buf), found = val(old), Val()
    ok(lib.mdb_get(txn, dbi, ctypes.byref(key), ctypes.byref(found)))
    (value, v_buf), (new_key, n_buf) = val(ctypes.string_at(found.data, found.size)), val(new)
    ok(lib.mdb_del(txn, dbi, ctypes.byref(key), None))
    ok(lib.mdb_put(txn, dbi, ctypes.byref(new_key), ctypes.byref(value), 0))
    ok(lib.mdb_txn_commit(txn))
    lib.mdb_env_close(env)


def test_a_maker_change_is_reported(reg):
    """The registry never moves a product to another maker (only its owner may write it): an
    operator forces it. A product's owner is its current record's "manufacturer" (and
    "manufacturer_name"), mirrored by the owners index (slug NUL id); both are changed, then
    the new owner writes the product through the API, which logs a version by bolt."""
    if not shutil.which("mdb_load"):
        pytest.skip("needs LMDB's tools (Debian lmdb-utils)")
    assert monitor(reg).returncode == 0
    before = signed_size(reg.server)
    record = json.loads(reg.server.get("/v1/products/%s/versions/1/entry" % B).content)
    reg.server.stop()
    record.update(manufacturer="bolt", manufacturer_name="Bolt Gadgets")
    mdb_rekey(reg.data, "owners", b"acme\0" + B.encode(), b"bolt\0" + B.encode())
    mdb_put(reg.data, "products", B, json.dumps(record, separators=(",", ":")))
    reg.server = Server(reg.data)
    # Only the owner may write a product: acme now cannot, bolt can.
    refused = reg.server.put("/v1/products/" + B, token=reg.token, json=declaration(id=B))
    assert refused.status_code == 403, refused.text
    d = declaration(id=B, manufacturer_name="Bolt Gadgets", support_date="2032-06-30")
    r = reg.server.put("/v1/products/" + B, token=reg.bolt, json=d)
    assert r.status_code == 200, r.text
    assert (r.json()["manufacturer"], r.json()["version"]) == ("bolt", 2)
    index = r.json()["log"]["index"]
    covered(reg.server, index + 1)
    assert index == before  # the only new entry
    m = monitor(reg)
    assert m.returncode == 1, m.stdout + m.stderr
    line = "manufacturer_changed: %s: the maker changed from acme to bolt (entry %d)" % (B, index)
    assert m.stdout == line + "\n", m.stdout
    assert m.stderr.rstrip().endswith("; 1 finding to look at"), m.stderr
    # The same history from entry 0, as JSON Lines.
    j = monitor(reg, "--json", "--state", str(reg.tmp / "other"))
    assert j.returncode == 1, j.stderr
    found = [json.loads(x) for x in j.stdout.splitlines()]
    changed = [f for f in found if f["finding"] == "manufacturer_changed"]
    assert changed == [{"finding": "manufacturer_changed", "severity": "warning",
                        "message": line.split(": ", 1)[1], "product": B, "old": "acme",
                        "new": "bolt", "index": index}], found
    assert all(f["severity"] == "info" for f in found if f is not changed[0])
    # A change the operator's own check cannot see: the log, the versions and the owners index
    # all agree.
    reg.server.stop()
    r = cli("admin", "verify", "--data", reg.data)
    assert r.returncode == 0, r.stdout + r.stderr


def test_forced_changes_are_each_reported(reg):
    if not shutil.which("mdb_load"):
        pytest.skip("needs LMDB's tools (Debian lmdb-utils)")
    assert monitor(reg).returncode == 0
    before = signed_size(reg.server)
    record = json.loads(reg.server.get("/v1/products/%s/versions/1/entry" % A).content)
    reg.server.stop()
    # The operator shortens A's current record (no log entry) and frees A's GTIN for B.
    record["support_date"] = "2027-01-01"
    mdb_put(reg.data, "products", A, json.dumps(record, separators=(",", ":")))
    mdb_put(reg.data, "gtins", GTIN, B)
    r = cli("admin", "manufacturer", "disable", "bolt", "--data", reg.data)
    assert r.returncode == 0, r.stderr
    reg.server = Server(reg.data)
    register(reg.server, reg.token, support_date="2028-06-30")  # accepted: not before 2027
    register(reg.server, reg.token, id=B)  # with A's GTIN
    covered(reg.server, before + 3)
    r = monitor(reg)
    assert r.returncode == 1, r.stdout + r.stderr
    assert ("support_date_earlier: %s: support date moved earlier, from 2031-12-31 to 2028-06-30"
            % A) in r.stdout, r.stdout
    assert ("gtin_moved: GTIN %s moved from %s (acme) to %s (acme)" % (GTIN, A, B)) in r.stdout
    assert any(line.startswith("note: manufacturer_disabled: manufacturer bolt was disabled")
               for line in r.stdout.splitlines()), r.stdout
    assert "api_differs" not in r.stdout  # the API now shows what was logged
    assert r.stderr.rstrip().endswith("; 2 findings to look at; 1 informational entry"), r.stderr
    # The same history, read from entry 0 into another state directory, as JSON Lines.
    j = monitor(reg, "--json", "--state", str(reg.tmp / "other"))
    assert j.returncode == 1, j.stderr
    found = [json.loads(line) for line in j.stdout.splitlines()]
    early = [f for f in found if f["finding"] == "support_date_earlier"]
    assert early and early[0]["product"] == A and early[0]["old"] == "2031-12-31"
    assert early[0]["new"] == "2028-06-30" and early[0]["severity"] == "warning"
    assert early[0]["index"] == reg.server.get("/v1/products/" + A).json()["log"]["index"]
    moved = [f for f in found if f["finding"] == "gtin_moved"][0]
    assert (moved["old_product"], moved["product"]) == (A, B)
    assert any(f["finding"] == "manufacturer_disabled" and f["severity"] == "info"
               and f["manufacturer"] == "bolt" for f in found)


def test_a_record_changed_without_a_log_entry_is_reported(reg):
    if not shutil.which("mdb_load"):
        pytest.skip("needs LMDB's tools (Debian lmdb-utils)")
    record = json.loads(reg.server.get("/v1/products/%s/versions/1/entry" % A).content)
    reg.server.stop()
    record["default_password"] = "universal"  # in the database only: no new entry
    mdb_put(reg.data, "products", A, json.dumps(record, separators=(",", ":")))
    reg.server = Server(reg.data)
    r = monitor(reg)
    assert r.returncode == 1, r.stdout + r.stderr
    assert ('api_differs: %s: the registry shows default_password "universal", its newest log '
            'entry' % A) in r.stdout, r.stdout
    assert 'says "unique_per_device"' in r.stdout


def test_a_lying_api_is_reported(reg):
    def lie(path, body):
        if path == "/v1/products/" + A:
            d = json.loads(body)
            d["support_date"] = "2040-01-01"
            return json.dumps(d).encode()
        return body

    p = Proxy(reg.server)
    try:
        p.tamper = lie
        r = monitor(reg, "--json", via=p)
        assert r.returncode == 1, r.stdout + r.stderr
        found = [json.loads(line) for line in r.stdout.splitlines()]
        lies = [f for f in found if f["finding"] == "api_differs"]
        assert len(lies) == 1 and lies[0]["product"] == A, found
        assert (lies[0]["member"], lies[0]["registry"], lies[0]["log"]) == (
            "support_date", "2040-01-01", "2031-12-31")
    finally:
        p.close()


def test_a_bad_signature_is_refused(reg):
    def sign(path, body):
        if path == "/log/checkpoint":
            text = body.decode()
            sig = text.rstrip("\n").rsplit(" ", 1)[1]
            raw = bytearray(base64.b64decode(sig))
            raw[-1] ^= 1
            return text.replace(sig, base64.b64encode(bytes(raw)).decode()).encode()
        return body

    p = Proxy(reg.server)
    try:
        p.tamper = sign
        r = monitor(reg, via=p)
        assert r.returncode == 3, r.stdout + r.stderr
        assert "not signed by the pinned key 127.0.0.1:8080/log" in r.stderr
        assert not state(reg, "checkpoint").exists()
    finally:
        p.close()


@pytest.mark.parametrize("extra", [0, 2])
def test_a_forked_log_is_caught(reg, extra):
    """A twin with the same key file and other writes, at the same size or a larger one."""
    assert monitor(reg).returncode == 0
    kept = state(reg, "checkpoint").read_text()
    twin = Server(reg.tmp / "twin")
    try:
        register(twin, reg.token, product_name="Another Camera")
        register(twin, reg.token, id=B, gtin=None)
        for i in range(extra):
            register(twin, reg.token, id="acme-cam-%d" % (10 + i), gtin=None)
        covered(twin, signed_size(reg.server) + extra)
        assert twin.get("/log/key").text.strip() == reg.vkey
        r = monitor(reg, via=twin)
        assert r.returncode == 3, r.stdout + r.stderr
        assert r.stdout.startswith("fork: THE LOG FORKED"), r.stdout
        assert "the log could not be checked: the log forked" in r.stderr
        assert state(reg, "checkpoint").read_text() == kept  # not advanced
        j = monitor(reg, "--json", via=twin)
        assert j.returncode == 3 and json.loads(j.stdout)["finding"] == "fork"
    finally:
        twin.stop()
