"""deploy/systemd: the units pass systemd's own checks, seclabeld, the backup and the cache
purger make only the system calls their units allow, and the backup script makes verified backups, keeps the newest
N, fails loudly when a backup does not verify, and a backup restores into a registry that
serves what was written before it (the restore drill of docs/OPERATIONS.md).

systemd-analyze verify needs the binaries a unit names to exist: the tests install the units,
the freshly built binaries and the script into a temporary root at the paths an install uses
(/usr/local/bin, /usr/local/sbin, /etc/systemd/system) with a copy of the system's own units
(sysinit.target and the rest), and run `systemd-analyze verify --root=ROOT`, which systemd 252
(Debian 12) supports. The machine's systemd need not be running: nothing is started by systemd.
"""
import os
import pathlib
import re
import shutil
import signal
import subprocess
import time

import pytest
import requests

from conftest import BIN, ROOT, Server, StubHTTP, add_manufacturer, cli, declaration

UNITS = ROOT / "deploy" / "systemd"
PURGE_UNIT = "seclabel-cache-purge@.service"  # a template: one instance per cache
SCRIPT = UNITS / "seclabel-backup"
ANALYZE = shutil.which("systemd-analyze")

pytestmark = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is missing (Debian package systemd; scripts/setup "
    "test installs it)")


def analyze(*args, **kw):
    return subprocess.run([ANALYZE, *map(str, args)], capture_output=True, text=True,
                          timeout=120, **kw)


def install_root(root):
    """A file-system root holding what an install puts in place: the units, the binaries, the
    script, and the system's own units (verify resolves the dependencies on them)."""
    system = root / "etc" / "systemd" / "system"
    system.mkdir(parents=True)
    for unit in ("seclabeld.service", "seclabel-backup.service", "seclabel-backup.timer",
                 PURGE_UNIT):
        shutil.copy(UNITS / unit, system / unit)
    for name, where in (("seclabeld", "bin"), ("seclabel", "bin")):
        (root / "usr/local" / where).mkdir(parents=True, exist_ok=True)
        shutil.copy(BIN / name, root / "usr/local" / where / name)
    (root / "usr/local/sbin").mkdir(parents=True)
    shutil.copy(SCRIPT, root / "usr/local/sbin/seclabel-backup")
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    return system


def verify(root):
    # The man page the unit names is found where the build installs it.
    env = dict(os.environ, MANPATH=str(BIN.parent / "share" / "man"))
    return analyze("verify", "--root=%s" % root, "seclabeld.service", "seclabel-backup.service",
                   "seclabel-backup.timer", PURGE_UNIT.replace("@", "@edge1"), env=env)


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    system = install_root(tmp_path / "root")
    r = verify(tmp_path / "root")
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr
    # It does check: a misspelt setting (a warning only, with exit status 0: hence the empty
    # output above), and a program that is not there (an error), are reported.
    unit = system / "seclabeld.service"
    good = unit.read_text()
    unit.write_text(good.replace("ProtectSystem=strict", "ProtectSystem=strickt"))
    r = verify(tmp_path / "root")
    assert "Failed to parse protect system value, ignoring: strickt" in r.stderr, r.stderr
    unit.write_text(good)
    (tmp_path / "root/usr/local/bin/seclabeld").unlink()
    r = verify(tmp_path / "root")
    assert r.returncode != 0 and "/usr/local/bin/seclabeld" in r.stderr, r.stderr


def test_the_purger_unit_is_checked_too(tmp_path):
    """verify reads the template's instance: a misspelt setting in it is reported."""
    system = install_root(tmp_path / "root")
    unit = system / PURGE_UNIT
    unit.write_text(unit.read_text().replace("Restart=always", "Restart=allways"))
    r = verify(tmp_path / "root")
    assert "Failed to parse service restart specifier, ignoring: allways" in r.stderr, r.stderr


def exposure(unit):
    """systemd-analyze security's overall exposure of a unit file: (number, level word)."""
    r = analyze("security", "--offline=true", "--no-pager", UNITS / unit)
    name = unit.replace("@.", "@i.")  # a template is analysed as an instance "i"
    m = re.search(r"Overall exposure level for %s: ([\d.]+) (\w+)" % re.escape(name), r.stdout)
    assert m, r.stdout + r.stderr
    return float(m.group(1)), m.group(2)


@pytest.mark.parametrize("unit", ["seclabeld.service", "seclabel-backup.service", PURGE_UNIT])
def test_security_exposure_is_ok_or_better(unit):
    score, level = exposure(unit)
    print("%s: exposure %.1f %s" % (unit, score, level))
    assert level in ("SAFE", "OK"), (score, level)  # MEDIUM, EXPOSED, UNSAFE are worse


# --- The system-call filter and MemoryDenyWriteExecute, against what the programs really do.

def group(name, cache={}):
    """The system calls of a filter group (@name), nested groups expanded."""
    if name not in cache:
        r = analyze("syscall-filter", name)
        assert r.returncode == 0, r.stderr
        calls = set()
        for line in r.stdout.splitlines()[1:]:
            item = line.strip()
            if not item or item.startswith("#"):
                continue
            calls |= group(item) if item.startswith("@") else {item}
        cache[name] = calls
    return cache[name]


def allowed_calls(unit):
    """The system calls a unit's SystemCallFilter= lines allow (an allow list first, then
    lines that take away (~) or add back, in order, as systemd.exec(5) says)."""
    allowed = None
    for line in (UNITS / unit).read_text().splitlines():
        if not line.startswith("SystemCallFilter="):
            continue
        value = line.split("=", 1)[1]
        deny = value.startswith("~")
        names = set()
        for item in value.lstrip("~").split():
            names |= group(item) if item.startswith("@") else {item}
        if allowed is None:
            assert not deny, "the filter should start with an allow list"
            allowed = names
        else:
            allowed = allowed - names if deny else allowed | names
    assert allowed, unit
    return allowed


CALL = re.compile(r"^\d+\s+([a-z_0-9]+)\((.*)")


def traced(trace):
    """The system calls in an strace -f log, and the calls that MemoryDenyWriteExecute=yes
    refuses (mmap writable and executable, mprotect or pkey_mprotect adding execute)."""
    calls, wx = set(), []
    for line in trace.read_text().splitlines():
        m = CALL.match(line)
        if not m:
            continue
        calls.add(m.group(1))
        args = m.group(2)
        if m.group(1) == "mmap" and "PROT_EXEC" in args and "PROT_WRITE" in args:
            wx.append(line)
        if m.group(1) in ("mprotect", "pkey_mprotect") and "PROT_EXEC" in args:
            wx.append(line)
    return calls, wx


def children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(p) for p in f.read().split()]


def test_seclabeld_makes_only_the_calls_its_unit_allows(tmp_path):
    """seclabeld under strace, through what it does in service: start, writes (the committer),
    reads off the loop, pages, labels (cairo), search, the log, metrics, and SIGTERM."""
    data = tmp_path / "data"
    token = add_manufacturer(data, "acme", "Acme Devices Ltd")
    trace = tmp_path / "trace"
    strace = subprocess.Popen(
        ["strace", "-f", "-qq", "-o", str(trace), str(BIN / "seclabeld"), "--listen",
         "127.0.0.1:0", "--data", str(data), "--loops", "2", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=traced_env(os.environ))
    try:
        url = re.search(r"listening on (http://\S+)", strace.stdout.readline()).group(1)
        s = requests.Session()
        auth = {"Authorization": "Bearer " + token}
        for i in range(3):
            body = "50123450000%d" % i
            d = declaration(id="acme-cam-%d" % i, gtin=body + str(gtin_check(body)))
            r = s.put(url + "/v1/products/acme-cam-%d" % i, json=d, headers=auth, timeout=10)
            assert r.status_code == 201, r.text
        for path in ("/v1/products/acme-cam-1", "/v1/products/acme-cam-1/versions", "/",
                     "/p/acme-cam-1", "/p/acme-cam-1/label.png", "/p/acme-cam-1/label.pdf",
                     "/p/acme-cam-1/label.svg", "/v1/products?q=camera", "/v1/changes",
                     "/products.csv", "/log/checkpoint", "/log/key", "/metrics", "/healthz"):
            r = s.get(url + path, headers={"Accept-Encoding": "gzip, br"}, timeout=10)
            assert r.status_code == 200, (path, r.status_code)
        (server_pid,) = children(strace.pid)
        maps = pathlib.Path("/proc/%d/maps" % server_pid).read_text().splitlines()
        assert not [m for m in maps if "w" in m.split()[1] and "x" in m.split()[1]]
        os.kill(server_pid, signal.SIGTERM)
        assert strace.wait(timeout=30) == 0
    finally:
        if strace.poll() is None:
            strace.kill()
            strace.wait()
    calls, wx = traced(trace)
    assert "accept4" in calls and "fdatasync" in calls  # the trace saw the work
    assert calls - allowed_calls("seclabeld.service") == set()
    assert wx == []


def gtin_check(body):
    """The GS1 check digit of the first 12 digits of a GTIN-13."""
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return (10 - total % 10) % 10


def traced_env(env):
    """env for a program run under strace: LeakSanitizer cannot run under ptrace (it stops with
    a fatal error, and the suite's AddressSanitizer pass would count its report), so leak
    checking is off there; everything else the sanitizer checks stays on."""
    env = dict(env)
    if env.get("ASAN_OPTIONS"):
        env["ASAN_OPTIONS"] += ":detect_leaks=0"
    return env


def run_backup(data, dest, keep=2, trace=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECLABEL")}
    env.update(SECLABEL=str(BIN / "seclabel"), SECLABEL_DATA=str(data),
               SECLABEL_BACKUP_DIR=str(dest), SECLABEL_BACKUP_KEEP=str(keep),
               XDG_CONFIG_HOME="/nonexistent/seclabel-tests")
    argv = [str(SCRIPT)]
    if trace:
        argv = ["strace", "-f", "-qq", "-o", str(trace)] + argv
        env = traced_env(env)
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)


def test_the_backup_makes_only_the_calls_its_unit_allows(server, tmp_path):
    """The script (sh and its tools) and seclabel admin backup and verify, beside a running
    seclabeld, under strace against seclabel-backup.service's filter."""
    add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    trace = tmp_path / "trace"
    r = run_backup(server.data, tmp_path / "backups", trace=trace)
    assert r.returncode == 0, r.stderr
    calls, wx = traced(trace)
    assert "execve" in calls and "fsync" in calls
    assert calls - allowed_calls("seclabel-backup.service") == set()
    assert wx == []


class PurgeListener:
    """A tiny HTTP cache stand-in (when Varnish is not installed): accepts PURGE and BAN."""

    def __init__(self):
        import http.server
        self.seen = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                outer.seen.append(self.command)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_PURGE = do_BAN = answer

            def log_message(self, *args):
                pass

        self.stub = StubHTTP(Handler)
        self.url, self.close = self.stub.url, self.stub.close


def test_the_purger_makes_only_the_calls_its_unit_allows(tmp_path):
    """seclabel cache purge --follow under strace, as its unit runs it: a first start (BAN of
    everything), following the feed of a real seclabeld through a write (PURGE of its keys),
    and SIGTERM; against Debian's Varnish with the shipped VCL where it is installed
    (test_deploy_varnish's Tier), else against a tiny listener."""
    import test_deploy_varnish as tv
    if tv.SKIP is None:
        (tmp_path / "tier").mkdir()
        tier = tv.Tier(tmp_path / "tier")
        origin, token, cache = tier.origin, tier.token, tier.url
        tier.purger.send_signal(signal.SIGTERM)  # the tier's own purger: this test runs one
        tier.purger.wait(timeout=30)
    else:
        tier, listener = None, PurgeListener()
        origin = Server(tmp_path / "data")
        token = add_manufacturer(origin.data, "acme", "Acme Devices Ltd")
        cache = listener.url
    cursor, trace = tmp_path / "cursor", tmp_path / "trace"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECLABEL_")}
    env.update(SECLABEL_SERVER=origin.url, XDG_CONFIG_HOME="/nonexistent/seclabel-tests")
    strace = subprocess.Popen(
        ["strace", "-f", "-qq", "-o", str(trace), str(BIN / "seclabel"), "cache", "purge",
         "--follow", "--cursor", str(cursor), "--varnish", cache],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=traced_env(env))
    try:
        deadline = time.monotonic() + 30
        while not cursor.exists():  # its first start: everything banned, then the cursor
            assert strace.poll() is None and time.monotonic() < deadline, strace.stderr.read()
            time.sleep(0.05)
        first = cursor.read_text()
        r = origin.put("/v1/products/acme-cam-1", token, json=declaration())
        assert r.status_code == 201, r.text
        while cursor.read_text() == first:  # the write's page purged, the cursor moved on
            assert strace.poll() is None and time.monotonic() < deadline, strace.stderr.read()
            time.sleep(0.05)
        (purger_pid,) = children(strace.pid)
        os.kill(purger_pid, signal.SIGTERM)
        assert strace.wait(timeout=30) == 0, strace.stderr.read()
    finally:
        if strace.poll() is None:
            strace.kill()
            strace.wait()
        if tier:
            tier.close()
        else:
            listener.close()
            origin.stop()
    if tier is None:
        assert "BAN" in listener.seen and "PURGE" in listener.seen
    calls, wx = traced(trace)
    assert "connect" in calls and "rename" in calls  # the trace saw the work
    assert calls - allowed_calls(PURGE_UNIT) == set()
    assert wx == []


STAMP = re.compile(r"^\d{8}T\d{6}Z$")


def backups(dest):
    return sorted(p.name for p in dest.iterdir() if STAMP.match(p.name))


def next_second():
    """Wait for the clock's next second: each run names its backup after the second."""
    t = int(time.time())
    while int(time.time()) == t:
        time.sleep(0.05)


def test_backups_are_verified_kept_n_and_restore(server, tmp_path):
    token = add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    assert server.put("/v1/products/acme-cam-1", token, json=declaration()).status_code == 201
    before = server.get("/v1/products/acme-cam-1").json()
    vkey = server.get("/log/key").text
    dest = tmp_path / "backups"
    made = []
    for _ in range(3):  # beside the running server
        r = run_backup(server.data, dest, keep=2)
        assert r.returncode == 0, r.stderr
        (name,) = set(backups(dest)) - set(made)
        made.append(name)
        assert r.stdout.startswith("<6>seclabel-backup: %s verified" % (dest / name))
        next_second()
    # The newest two are kept, each a sound copy with the log's key, readable only by its owner.
    assert backups(dest) == made[1:]
    assert "removed %s (keeping 2)" % (dest / made[0]) in r.stdout
    assert [p.name for p in dest.iterdir() if not STAMP.match(p.name)] == []
    newest = dest / made[-1]
    assert sorted(p.name for p in newest.iterdir()) == ["data.mdb", "log.key"]
    assert newest.stat().st_mode & 0o777 == 0o700
    assert (newest / "data.mdb").stat().st_mode & 0o777 == 0o600
    v = cli("admin", "verify", "--data", newest)
    assert v.returncode == 0 and "verify: 0 problems" in v.stdout

    # Written after the backup: the restore must not have it.
    assert server.put("/v1/products/acme-cam-2", token,
                      json=declaration(id="acme-cam-2")).status_code == 201
    server.stop()

    # The restore drill: into a new data directory, and a server there serves what was written
    # before the backup, signing the log with the same key.
    restored = tmp_path / "restored"
    r = cli("admin", "restore", newest, "--data", restored)
    assert r.returncode == 0, r.stderr
    s = Server(restored)
    try:
        got = s.get("/v1/products/acme-cam-1")
        assert got.status_code == 200
        # The same record; only the QR code's URL names the server it came from.
        assert {**got.json(), "qr_url": None} == {**before, "qr_url": None}
        assert s.get("/v1/products/acme-cam-2").status_code == 404
        assert s.get("/log/key").text == vkey
    finally:
        s.stop()


def test_a_backup_that_does_not_verify_fails_loudly(server, tmp_path):
    token = add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    assert server.put("/v1/products/acme-cam-1", token,
                      json=declaration(gtin="5012345678900")).status_code == 201
    dest = tmp_path / "backups"
    r = run_backup(server.data, dest)
    assert r.returncode == 0, r.stderr
    good = backups(dest)
    next_second()
    # Damage the live database's GTIN index (server stopped: mdb_load writes), as a disk or a
    # bug might: the copy is faithful, and verify finds the damage in it.
    server.stop()
    subprocess.run(["mdb_load", "-T", "-s", "gtins", str(server.data)], check=True, text=True,
                   input="05012345678900\nnobody\n")
    r = run_backup(server.data, dest)
    assert r.returncode == 1
    assert "<3>seclabel-backup: verify: " in r.stderr and "does not lead back" in r.stderr
    failed = [p.name for p in dest.iterdir() if p.name.endswith(".failed")]
    assert len(failed) == 1 and STAMP.match(failed[0][:-len(".failed")])
    assert ("<3>seclabel-backup: the backup of %s does not verify; it is kept as %s\n"
            % (server.data, dest / failed[0])) in r.stderr
    assert backups(dest) == good  # nothing counted, nothing pruned
    # A retention that is no number is refused before anything is copied.
    r = run_backup(server.data, dest, keep="0")
    assert r.returncode == 1 and "SECLABEL_BACKUP_KEEP" in r.stderr
    assert backups(dest) == good
