"""deploy/varnish/seclabel.vcl in front of seclabeld, with `seclabel cache purge --follow`:
Debian's varnishd (7.1, with varnish-modules' xkey) started on a free loopback port in the
foreground with its own working directory, the VCL as shipped but for the backend's address.

What the issue asks of the cache tier: a write is visible through the cache within a second of
its acknowledgement (product, maker page, search list); the origin killed and restarted while
reads go on: no failed read of a cached answer, the stale ones marked; a write while the origin
is down fails with the JSON error; and an answer that changes at midnight (a support date that
ends today) changes through the cache, with seclabeld's test clock (SECLABEL_TEST_CLOCK_OFFSET:
a file holding seconds added to its clock; assess.h) set just before midnight. The clock moves
at the real rate: Varnish counts lifetimes on its own (real) clock, so jumping across midnight
would test nothing; the midnight test therefore waits about a minute for it.
"""
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest
import requests

from conftest import BIN, ROOT, Server, add_manufacturer, cli, declaration

VCL = ROOT / "deploy" / "varnish" / "seclabel.vcl"
VARNISHD = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin")
BACKEND = '.host = "127.0.0.1"; .port = "8080";'  # the VCL's one deployment line


def _xkey_missing():
    if not VARNISHD:
        return "varnishd is missing (Debian package varnish; scripts/setup test installs it)"
    r = subprocess.run([VARNISHD, "-C", "-n", "/tmp/seclabel-vcl-check-%d" % os.getpid(),
                        "-f", str(VCL)], capture_output=True, text=True, timeout=120)
    shutil.rmtree("/tmp/seclabel-vcl-check-%d" % os.getpid(), ignore_errors=True)
    if r.returncode and "xkey" in r.stderr:
        return "the xkey vmod is missing (Debian package varnish-modules)"
    return None


SKIP = _xkey_missing()
pytestmark = pytest.mark.skipif(SKIP is not None, reason=SKIP or "")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_vcl_compiles():
    """The VCL as shipped compiles with Debian's Varnish and its xkey vmod."""
    r = subprocess.run([VARNISHD, "-C", "-n", "/tmp/seclabel-vcl-c-%d" % os.getpid(), "-f",
                        str(VCL)], capture_output=True, text=True, timeout=120)
    shutil.rmtree("/tmp/seclabel-vcl-c-%d" % os.getpid(), ignore_errors=True)
    assert r.returncode == 0, r.stderr
    assert VCL.read_text().count(BACKEND) == 1


class Tier:
    """seclabeld on a fixed port (so it can be restarted there), varnishd in front of it, and
    the purger following seclabeld's changes feed."""

    def __init__(self, tmp, clock=None, before=None):
        """before(tier): what the origin holds before the cache and the purger start."""
        self.tmp = tmp
        self.origin_port = free_port()
        self.env = {}
        if clock:
            self.env["SECLABEL_TEST_CLOCK_OFFSET"] = str(clock)
        self.origin = self.start_origin()
        self.token = add_manufacturer(self.origin.data, "acme", "Acme Devices Ltd")
        if before:
            before(self)
        vcl = tmp / "seclabel.vcl"
        vcl.write_text(VCL.read_text().replace(
            BACKEND, '.host = "127.0.0.1"; .port = "%d";' % self.origin_port))
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.vlog = open(tmp / "varnishd.log", "w")
        self.varnish = subprocess.Popen(
            [VARNISHD, "-F", "-j", "none", "-n", str(tmp / "varnish"), "-a",
             "127.0.0.1:%d" % self.port, "-T", "127.0.0.1:0", "-f", str(vcl), "-s", "malloc,64m"],
            stdout=self.vlog, stderr=subprocess.STDOUT)
        self.http = requests.Session()
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.http.get(self.url + "/", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert self.varnish.poll() is None, (tmp / "varnishd.log").read_text()
            assert time.monotonic() < deadline, "varnishd did not start"
            time.sleep(0.1)
        self.plog = open(tmp / "purger.log", "w")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SECLABEL_")}
        env["XDG_CONFIG_HOME"] = "/nonexistent/seclabel-tests"
        self.purger = subprocess.Popen(
            [str(BIN / "seclabel"), "--server", self.origin.url, "cache", "purge", "--follow",
             "--varnish", self.url, "--cursor", str(tmp / "cursor")],
            stdout=self.plog, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 30
        while not (tmp / "cursor").exists():  # its first start: everything banned, then follows
            assert self.purger.poll() is None, (tmp / "purger.log").read_text()
            assert time.monotonic() < deadline, "the purger did not start"
            time.sleep(0.05)

    def start_origin(self):
        old = {k: os.environ.get(k) for k in self.env}
        os.environ.update(self.env)
        try:
            return Server(self.tmp / "data", "--listen", "127.0.0.1:%d" % self.origin_port)
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k)
                else:
                    os.environ[k] = v

    def get(self, path, **kw):
        return self.http.get(self.url + path, timeout=10, **kw)

    def put(self, d):
        return self.http.put(self.url + "/v1/products/" + d["id"], json=d, timeout=10,
                             headers={"Authorization": "Bearer " + self.token})

    def close(self):
        for p in (self.purger, self.varnish):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.origin.stop()
        self.vlog.close()
        self.plog.close()
        self.http.close()


@pytest.fixture
def tier(tmp_path):
    t = Tier(tmp_path)
    yield t
    t.close()


def cached(tier, path):
    """GET path through the cache until it is answered from it; the answer."""
    for _ in range(20):
        r = tier.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text)
        if r.headers.get("Seclabel-Cache") == "hit":
            return r
    raise AssertionError("%s is never answered from the cache" % path)


def visible(tier, paths_ok, since):
    """Poll until paths_ok(path -> answer) holds for each path, at most a second after `since`
    (when the write was acknowledged); how long it took."""
    deadline = since + 1.0
    pending = dict(paths_ok)
    while pending:
        for path, ok in list(pending.items()):
            if ok(tier.get(path)):
                del pending[path]
        if pending:
            assert time.monotonic() < deadline, "still stale 1 s after the write: %s" % (
                sorted(pending))
            time.sleep(0.02)
    return time.monotonic() - since


def test_write_visible_within_a_second(tier, capsys):
    """A product's JSON, page and label through the cache show an update within a second of the
    PUT's acknowledgement; the surrogate keys never reach a client."""
    d = declaration(gtin="5012345000015")
    assert tier.put(d).status_code == 201
    paths = ["/v1/products/acme-cam-1", "/p/acme-cam-1", "/01/05012345000015?linkType=linkset"]
    for p in paths:
        r = cached(tier, p)
        assert "Surrogate-Key" not in r.headers and "xkey" not in r.headers
        assert "Acme Indoor Camera" in r.text
    d["product_name"] = "Acme Outdoor Camera"
    r = tier.put(d)
    assert r.status_code == 200, r.text
    took = visible(tier, {p: (lambda a: "Acme Outdoor Camera" in a.text) for p in paths},
                   time.monotonic())
    with capsys.disabled():
        print("\n  write -> visible through the cache: %.0f ms" % (took * 1e3))


def test_maker_page_and_search_change_after_a_write(tier):
    assert tier.put(declaration()).status_code == 201
    lists = ["/m/acme", "/v1/products?q=doorbell", "/v1/products", "/products.csv", "/v1/facets",
             "/v1/changes?since=0"]
    before = {p: cached(tier, p).text for p in lists}
    assert "acme-bell-9" not in before["/m/acme"]
    r = tier.put(declaration(id="acme-bell-9", product_name="Acme Doorbell", product_model="DB9"))
    assert r.status_code == 201, r.text
    visible(tier, {p: (lambda a, b=before[p]: a.status_code == 200 and a.text != b)
                   for p in lists}, time.monotonic())
    assert "acme-bell-9" in tier.get("/m/acme").text
    assert "acme-bell-9" in tier.get("/v1/products?q=doorbell").text


def admin(tier, *args):
    """seclabel admin manufacturer ... on the origin's data directory (as an operator does);
    returns when it has committed."""
    r = cli("admin", "manufacturer", *args, "--data", tier.origin.data)
    assert r.returncode == 0, r.stderr


def account(a):
    return a.status_code == 200 and a.json()["manufacturer_account"]


def settled(tier):
    """Wait until the purger has purged every change so far twice (it purges each page of
    changes again half a second later, and says so): from then on, what is cached stays until
    the next change that touches it."""
    last = tier.origin.get("/v1/changes?since=0&limit=1000").json()["last_seq"]
    deadline = time.monotonic() + 20
    while True:
        done = re.findall(r"changes up to (\d+) purged again", (tier.tmp / "purger.log").read_text())
        if done and int(done[-1]) >= last:
            return
        assert time.monotonic() < deadline, "the purger did not purge up to %d twice" % last
        time.sleep(0.05)


D1 = declaration(id="acme-cam-1")
D2 = declaration(id="acme-cam-2", product_name="Acme Garden Camera", product_model="AC-300")


def two_products_of_a_verified_maker(tier):
    for d in (D1, D2):
        assert tier.origin.put("/v1/products/" + d["id"], tier.token, json=d).status_code == 201
    admin(tier, "verify", "acme", "--evidence", "Company register entry checked")


def test_a_makers_account_change_reaches_the_cache_within_a_second(tmp_path):
    """The operator's change of a maker's account (verified, unverified, disabled) shows on every
    answer that embeds it within a second, through the cache: its products' JSON and pages, its
    own JSON and page. A product's write purges that product, not its maker's other products."""
    tier = Tier(tmp_path, before=two_products_of_a_verified_maker)  # nothing left to purge
    try:
        account_changes(tier)
    finally:
        tier.close()


def account_changes(tier):
    d1 = dict(D1)
    products = ["/v1/products/acme-cam-1", "/v1/products/acme-cam-2"]
    pages = ["/p/acme-cam-1", "/p/acme-cam-2"]
    for p in products:
        assert account(cached(tier, p))["verified"] is True
    for p in pages:
        assert 'class="unverified"' not in cached(tier, p).text
    assert cached(tier, "/v1/manufacturers/acme").json()["verification"]["verified"] is True
    maker_page = cached(tier, "/m/acme").text

    admin(tier, "unverify", "acme", "--reason", "GS1 licence lapsed")
    visible(tier, {**{p: lambda a: account(a) and account(a)["verified"] is False
                      for p in products},
                   **{p: lambda a: 'class="unverified"' in a.text for p in pages},
                   "/v1/manufacturers/acme":
                       lambda a: a.json()["verification"]["verified"] is False,
                   "/m/acme": lambda a, b=maker_page: a.status_code == 200 and a.text != b},
            time.monotonic())

    # A product's write purges that product, not the maker's other products (Seclabel-Cache).
    settled(tier)
    for p in ("/p/acme-cam-2", "/v1/products/acme-cam-2"):
        cached(tier, p)
    d1["product_name"] = "Acme Indoor Camera 2"
    assert tier.put(d1).status_code == 200
    visible(tier, {"/p/acme-cam-1": lambda a: "Acme Indoor Camera 2" in a.text},
            time.monotonic())
    settled(tier)
    for p in ("/p/acme-cam-2", "/v1/products/acme-cam-2"):
        assert tier.get(p).headers["Seclabel-Cache"] == "hit", (p, "purged by acme-cam-1's write")

    # Disabled: the maker's JSON says so (its page and its products' answers do not show the
    # account's status).
    assert cached(tier, "/v1/manufacturers/acme").json()["status"] == "active"
    admin(tier, "disable", "acme")
    visible(tier, {"/v1/manufacturers/acme": lambda a: a.json()["status"] == "disabled"},
            time.monotonic())


def test_origin_killed_and_restarted(tier):
    """SIGKILL the origin while reads go on through the cache: every cached answer is still
    served (stale ones marked), a write fails with the JSON error, and after a restart on the
    same port reads and writes go through again."""
    assert tier.put(declaration()).status_code == 201
    paths = ["/v1/products/acme-cam-1", "/p/acme-cam-1", "/m/acme", "/v1/products",
             "/v1/changes?since=0"]
    for p in paths:
        cached(tier, p)
    tier.origin.stop(signal.SIGKILL)
    failed, stale, reads = [], set(), 0
    # The feed's max-age is 10 s: read until it is past it and is served stale (stale-if-error).
    deadline = time.monotonic() + 60
    while "/v1/changes?since=0" not in stale:
        assert time.monotonic() < deadline, "no stale answer marked while the origin is down"
        for p in paths:
            r = tier.get(p)
            reads += 1
            if r.status_code != 200:
                failed.append((p, r.status_code))
            if r.headers.get("Seclabel-Cache") == "stale; origin unavailable":
                stale.add(p)
        time.sleep(0.05)
    w = tier.put(declaration(product_name="Acme Camera 2"))
    assert w.status_code == 503
    assert w.json()["error"] == "unavailable" and w.json()["message"]
    assert w.headers["Content-Type"].startswith("application/json")
    tier.origin = tier.start_origin()
    deadline = time.monotonic() + 30
    while True:
        for p in paths:
            r = tier.get(p)
            reads += 1
            if r.status_code != 200:
                failed.append((p, r.status_code))
        w = tier.put(declaration(product_name="Acme Camera 2"))
        if w.status_code == 200:
            break
        assert time.monotonic() < deadline, "writes do not go through after the restart"
        time.sleep(0.1)
    assert not failed, "%d of %d reads failed: %s" % (len(failed), reads, failed[:5])
    visible(tier, {"/v1/products/acme-cam-1": lambda a: "Acme Camera 2" in a.text},
            time.monotonic())


def test_writes_and_tokens_are_never_cached(tier):
    assert tier.put(declaration()).status_code == 201
    auth = {"Authorization": "Bearer " + tier.token}
    for _ in range(3):
        r = tier.get("/v1/whoami", headers=auth)
        assert r.status_code == 200 and r.headers["Seclabel-Cache"] == "miss"
        r = tier.get("/v1/products/acme-cam-1", headers=auth)
        assert r.headers["Seclabel-Cache"] == "miss"
    # Purging is for the purgers ACL (loopback) only; a request without keys is refused.
    r = tier.http.request("PURGE", tier.url + "/")
    assert r.status_code == 400 and r.json()["error"] == "bad_request"


def test_a_day_dependent_answer_changes_at_midnight(tmp_path):
    """A product whose support ends today: its answer says so until midnight UTC (seclabeld's
    test clock), cached in Varnish meanwhile, and no request made after midnight sees it."""
    clock = tmp_path / "clock"
    clock.write_text("0\n")
    offset = lambda: int(clock.read_text())
    t = Tier(tmp_path, clock=clock)
    try:
        # Once the tier is up (its start may take seconds on a loaded machine), 80 s before a
        # midnight: the answer must be made in the minute before midnight's minute, so that its
        # max-age (60 s, counted from that minute's end) ends with the day and Varnish keeps
        # it; 20 s for the write, its purges and the first fetch (seclabeld reads the file at
        # each use).
        now = time.time()
        midnight = (int(now) // 86400 + 1) * 86400
        clock.write_text("%d\n" % (midnight - 80 - int(now)))
        today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + offset()))
        r = t.put(declaration(support_date=today))
        assert r.status_code == 201, r.text
        before = t.get("/v1/products/acme-cam-1").json()["state"]["name"]
        hits_before = 0
        after = None
        deadline = time.monotonic() + 120
        while after is None:
            assert time.monotonic() < deadline
            started = time.time() + offset()
            a = t.get("/v1/products/acme-cam-1")
            assert a.status_code == 200
            state = a.json()["state"]["name"]
            if started < midnight:
                if state == before and a.headers["Seclabel-Cache"] == "hit":
                    hits_before += 1
            elif started >= midnight + 1:  # the clocks agree to the second
                assert state != before, "yesterday's state served after midnight"
                after = state
            time.sleep(0.25)
        assert hits_before > 0, "the answer was never cached before midnight: nothing tested"
        assert (before, after) == ("active", "unsupported") or before != after
    finally:
        t.close()
