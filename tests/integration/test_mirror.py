"""seclabeld --mirror-of (issue 17): a read-only mirror follows a primary through its
transparency log, verified with the primary's pinned key, and serves the same bytes; writes are
refused naming the primary; /healthz and /metrics report the lag; a forked primary (a twin data
directory with the same key, written differently) is refused and the mirror stops advancing; a
mirror starts from a backup of the primary and catches up. Waits poll with a deadline; nothing
is timed."""
import shutil
import time

import pytest

from conftest import Server, add_manufacturer, cli, declaration

PUBLIC = "http://127.0.0.1:8080"  # the same --public-url on both: QR URLs and links match


def wait_for(what, check, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        v = check()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def put(server, token, **fields):
    d = declaration(**{"gtin": "5012345678900", **fields})
    r = server.put("/v1/products/" + d["id"], token=token, json=d)
    assert r.status_code in (200, 201), r.text
    return r


def health(server):
    return server.get("/healthz").json()


def start_mirror(tmp_path, primary, key, name="mirror"):
    return Server(tmp_path / name, "--public-url", PUBLIC, "--mirror-of", primary.url,
                  "--mirror-key", key)


def size(server):
    return int(server.get("/log/checkpoint").text.split("\n")[1])


def metric(server, name):
    for line in server.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(name + " not in /metrics")


def caught_up(mirror, primary, n):
    """Wait until the primary has signed its tree of n entries (within about a second of a
    write) and the mirror serves that checkpoint, byte for byte, holding every entry."""
    wait_for("the primary's checkpoint of %d" % n, lambda: size(primary) == n)

    def same():
        want = primary.get("/log/checkpoint").content
        return mirror.get("/log/checkpoint").content == want and \
            health(mirror)["mirror"]["state"] == "following"
    wait_for("the mirror to catch up", same)


@pytest.fixture
def primary(tmp_path):
    d = tmp_path / "primary"
    token = add_manufacturer(d, "acme", "Acme Devices Ltd")
    r = cli("admin", "log", "key", "--data", d, "--public-url", PUBLIC)
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip()
    s = Server(d, "--public-url", PUBLIC)
    s.token, s.key = token, key
    yield s
    s.stop()


READS = ["/v1/products/acme-cam-1", "/v1/products/acme-cam-1/versions/1", "/p/acme-cam-1",
         "/p/acme-cam-1/label.png", "/p/acme-cam-1/label.svg", "/v1/products?q=camera",
         "/01/05012345678900", "/v1/changes", "/v1/manufacturers/acme", "/m/acme",
         "/v1/products/acme-cam-1/versions/1/entry", "/log/tile/entries/000.p/6",
         "/log/tile/0/000.p/6", "/log/checkpoint", "/log/key", "/products.csv",
         "/v1/products/acme-cam-1/proof?size=6", "/log/proof?old=1&new=6"]


def test_a_mirror_of_an_empty_primary_follows_and_serves_the_same_bytes(primary, tmp_path):
    m = start_mirror(tmp_path, primary, primary.key)
    try:
        caught_up(m, primary, 4)
        assert health(m)["mirror"]["tree_size"] == 4  # acme added, its 3 prefixes
        put(primary, primary.token)
        # a new write is served by the mirror within two seconds (polled, not timed)
        wait_for("the write on the mirror",
                 lambda: m.get("/v1/products/acme-cam-1").status_code == 200, seconds=10)
        put(primary, primary.token, support_date="2032-06-30")
        wait_for("version 2", lambda: m.get("/v1/products/acme-cam-1").json()["version"] == 2)
        caught_up(m, primary, 6)
        for path in READS:
            a, b = primary.get(path, allow_redirects=False), m.get(path, allow_redirects=False)
            assert a.status_code in (200, 307, 308), (path, a.text)
            assert (b.status_code, b.content) == (a.status_code, a.content), path
        # the mirror's checkpoint is the primary's, signed with the primary's key
        assert m.get("/log/key").text.strip() == primary.key
        assert m.get("/log/checkpoint").text.startswith("127.0.0.1:8080/log\n6\n")
        metrics = m.get("/metrics").text
        assert "seclabel_mirror_entries_behind 0" in metrics
        assert "seclabel_mirror_tree_size 6" in metrics
        assert 'seclabel_mirror_stopped{reason="forked"} 0' in metrics
        # a maker's account event: replayed through the same code, it makes the same entry of
        # the changes feed, and every answer that shows the account changes alike
        r = cli("admin", "manufacturer", "verify", "acme", "--evidence", "Register checked",
                "--data", primary.data)
        assert r.returncode == 0, r.stderr
        caught_up(m, primary, 7)
        feed = primary.get("/v1/changes").json()["changes"]
        assert feed[-1]["kind"] == "manufacturer" and feed[-1]["event"] == "verified"
        for path in ["/v1/changes", "/v1/changes.atom", "/v1/products/acme-cam-1", "/m/acme"]:
            assert m.get(path).content == primary.get(path).content, path
    finally:
        m.stop()


MAKER_READS = ["/v1/manufacturers/nordlicht", "/m/nordlicht", "/v1/products/nordlicht-hub-1",
               "/p/nordlicht-hub-1", "/v1/manufacturers/acme", "/m/acme"]


def add_nordlicht(primary):
    """A maker with what the log does not carry (contact, website), verified (which covers its
    contact), and a product: returns the number of log entries it added (added, prefix,
    verified, the product)."""
    d = primary.data
    r = cli("admin", "manufacturer", "add", "nordlicht", "--name", "Nordlicht GmbH", "--contact",
            "security@nordlicht.example", "--website", "https://nordlicht.example/", "--data", d)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]
    for args in (["prefix", "add", "nordlicht", "4006381"],
                 ["verify", "nordlicht", "--evidence", "Handelsregister checked"]):
        r = cli("admin", "manufacturer", *args, "--data", d)
        assert r.returncode == 0, r.stderr
    put(primary, token, id="nordlicht-hub-1", gtin="4006381333931",
        manufacturer_name="Nordlicht GmbH")
    return 4


def test_a_mirror_started_empty_shows_makers_contact_and_website(primary, tmp_path):
    """The log carries no contact or website (they may be a person's and must stay erasable):
    a mirror fetches them from the primary's /v1/manufacturers/{slug} after replaying the
    maker, so its maker routes give the same bytes."""
    n = 4 + add_nordlicht(primary)
    m = start_mirror(tmp_path, primary, primary.key)
    try:
        caught_up(m, primary, n)
        maker = primary.get("/v1/manufacturers/nordlicht").json()
        assert maker["contact"] == "security@nordlicht.example"
        assert maker["verification"]["contact"] == "security@nordlicht.example"
        wait_for("the makers' contacts", lambda: health(m)["mirror"]["makers_pending"] == 0)
        for path in MAKER_READS:
            a, b = primary.get(path), m.get(path)
            assert a.status_code == 200, (path, a.text)
            assert (b.status_code, b.content) == (a.status_code, a.content), path
        assert "seclabel_mirror_makers_pending 0" in m.get("/metrics").text
    finally:
        m.stop()


def test_a_maker_whose_contact_cannot_be_fetched_is_retried(primary, tmp_path):
    """The primary's maker route failing does not stop the mirror following the log: the maker
    stays pending (in /healthz and /metrics) and is fetched once the route answers."""
    from test_verify_cli import Proxy
    n = 4 + add_nordlicht(primary)
    proxy = Proxy(primary)
    proxy.get = lambda path: primary.http.get(proxy.url + path, timeout=10)
    proxy.tamper = lambda path, body: b"<html>busy</html>" if path.startswith(
        "/v1/manufacturers/") else body
    m = start_mirror(tmp_path, proxy, primary.key)
    try:
        caught_up(m, primary, n)
        h = wait_for("a failed fetch", lambda: (lambda h: h["mirror"].get("maker_error") and h)(
            health(m)))
        assert h["status"] == "ok" and h["mirror"]["state"] == "following"
        assert h["mirror"]["makers_pending"] >= 1
        assert "/v1/manufacturers/" in h["mirror"]["maker_error"]
        assert "contact" not in m.get("/v1/manufacturers/nordlicht").json()
        put(primary, primary.token)  # the log is still followed
        caught_up(m, primary, n + 1)
        assert metric(m, "seclabel_mirror_maker_fetch_errors_total") >= 1
        assert metric(m, "seclabel_mirror_makers_pending") >= 1
        proxy.tamper = None
        wait_for("the makers' contacts", lambda: health(m)["mirror"]["makers_pending"] == 0)
        assert "maker_error" not in health(m)["mirror"]
        for path in MAKER_READS:
            assert m.get(path).content == primary.get(path).content, path
    finally:
        m.stop()
        proxy.close()


def test_writes_are_refused_naming_the_primary(primary, tmp_path):
    m = start_mirror(tmp_path, primary, primary.key)
    try:
        d = declaration()
        for r in (m.put("/v1/products/acme-cam-1", token=primary.token, json=d),
                  m.post("/v1/products/acme-cam-1/withdraw", token=primary.token),
                  m.post("/v1/batch", token=primary.token, json=[d])):
            assert r.status_code == 405, r.text
            assert r.json()["error"] == "read_only_mirror"
            assert primary.url in r.json()["message"]
            assert r.headers["Location"].startswith(primary.url + "/v1/")
        assert r.headers["Allow"] == "OPTIONS"  # /v1/batch: nothing else here
        # a lookup is a read, answered by the mirror
        assert m.post("/v1/lookup", json={"ids": ["acme-cam-1"]}).status_code == 200
        assert primary.get("/v1/products/acme-cam-1").status_code == 404  # nothing went through
    finally:
        m.stop()


def test_lag_is_reported_when_the_primary_stops(primary, tmp_path):
    put(primary, primary.token)
    m = start_mirror(tmp_path, primary, primary.key)
    try:
        caught_up(m, primary, 5)
        h = health(m)
        assert h["status"] == "ok" and h["mirror"]["entries_behind"] == 0
        primary.stop()
        h1 = wait_for("the mirror to notice", lambda: (lambda h: h["mirror"]["state"] ==
                                                       "unreachable" and h)(health(m)))
        assert h1["status"] == "ok"  # it still serves what it has
        assert h1["mirror"]["entries_behind"] == 0 and h1["mirror"]["tree_size"] == 5
        assert primary.url in h1["mirror"]["error"]
        wait_for("seconds behind to grow",
                 lambda: health(m)["mirror"]["seconds_behind"] > h1["mirror"]["seconds_behind"])
        assert m.get("/v1/products/acme-cam-1").status_code == 200
        assert "seclabel_mirror_errors_total" in m.get("/metrics").text
    finally:
        m.stop()


def test_a_forked_primary_is_refused(tmp_path, primary):
    from test_verify_cli import Proxy
    put(primary, primary.token)
    primary.stop()
    shutil.copytree(primary.data, tmp_path / "twin")  # the same key and log so far (5 entries)
    a = Server(primary.data, "--public-url", PUBLIC)
    twin = Server(tmp_path / "twin", "--public-url", PUBLIC)
    proxy = Proxy(a)
    proxy.get = lambda path: a.http.get(proxy.url + path, timeout=10)
    m = start_mirror(tmp_path, proxy, primary.key)
    try:
        put(a, primary.token, support_date="2034-01-31")
        caught_up(m, a, 6)
        # the twin writes something else at the same place in its log, properly signed
        put(twin, primary.token, support_date="2033-01-31")
        wait_for("the twin's checkpoint", lambda: size(twin) == 6)
        assert twin.get("/log/checkpoint").text != a.get("/log/checkpoint").text
        proxy.upstream = twin  # the primary's address now answers with the twin's log
        h = wait_for("the fork to be seen",
                     lambda: (lambda h: h["status"] == "forked" and h)(health(m)))
        assert m.get("/healthz").status_code == 503
        assert "another root hash" in h["mirror"]["error"]
        assert 'seclabel_mirror_stopped{reason="forked"} 1' in m.get("/metrics").text
        assert "error: mirror of %s forked" % proxy.url in m.log()
        # grown past the fork, the twin is still refused; nothing of it is applied
        put(twin, primary.token, id="acme-cam-2", gtin="5012345678917")
        wait_for("the twin's checkpoint", lambda: size(twin) == 7)
        assert health(m)["mirror"]["tree_size"] == 6
        assert m.get("/v1/products/acme-cam-1").json()["support_date"] == "2034-01-31"
        assert m.get("/log/checkpoint").content == a.get("/log/checkpoint").content
    finally:
        m.stop()
        proxy.close()
        twin.stop()
        a.stop()


def test_a_mirror_starts_from_a_backup_and_catches_up(primary, tmp_path):
    put(primary, primary.token)
    b = tmp_path / "backup"
    r = cli("admin", "backup", b, "--data", primary.data)
    assert r.returncode == 0, r.stderr
    put(primary, primary.token, id="acme-cam-2", gtin="5012345678917")
    r = cli("admin", "restore", b, "--data", tmp_path / "mirror")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "mirror" / "log.key").exists()  # the backup holds the primary's key
    m = start_mirror(tmp_path, primary, primary.key)
    try:
        caught_up(m, primary, 6)
        h = health(m)
        assert h["mirror"]["tree_size"] == 6
        # from its own tree: only the entry the backup lacked was replayed
        assert "seclabel_mirror_entries_applied_total 1" in m.get("/metrics").text
        assert "is not used by a mirror" in m.log()  # the key in the backup is never used
        for path in ["/v1/products/acme-cam-2", "/v1/changes", "/log/checkpoint"]:
            assert m.get(path).content == primary.get(path).content, path
    finally:
        m.stop()


def test_a_mirror_needs_the_pinned_key(tmp_path, primary):
    import subprocess
    from conftest import BIN
    r = subprocess.run([str(BIN / "seclabeld"), "--data", str(tmp_path / "m"), "--mirror-of",
                        primary.url], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "--mirror-key" in r.stderr
    r = subprocess.run([str(BIN / "seclabeld"), "--data", str(tmp_path / "m"), "--mirror-of",
                        primary.url, "--mirror-key", primary.key, "--log-key", "x"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "signs nothing" in r.stderr
