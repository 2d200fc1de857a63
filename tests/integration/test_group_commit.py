"""Group commit (registry/server/commit.h): single PUTs and withdrawals that arrive together
share one transaction and one fsync, and each is still its own write: acknowledged only once
durable (all there after SIGKILL right after the last 2xx), refused on its own (a refused write
beside good ones leaves them stored and itself absent), If-Match still serialises writers of one
product (of two with the same If-Match one wins, the other gets 412), and a full store fails the
writes that do not fit with 507 while everything acknowledged stays.

Which writes share a group depends on timing, so no test asserts how many groups there were:
each asserts what must hold whatever the grouping; /metrics counts the writes committed.
tests/unit/test_commit.c checks the grouping itself, deterministically."""
import re
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import Server, add_manufacturer, cli, declaration

WRITERS = 16


def decl(i, **kw):
    return declaration(id="acme-gc-%d" % i, product_name="Group %d" % i, **kw)


def metric(server, name):
    m = re.search(r"^%s (\d+)$" % name, server.get("/metrics").text, re.M)
    return int(m.group(1)) if m else None


def put_all(server, token, items, headers=None):
    """PUT every (path, body) of items from WRITERS threads at once; the responses in order."""
    start = threading.Barrier(min(WRITERS, len(items)))

    def one(k):
        path, body = items[k]
        if k < WRITERS:
            start.wait(timeout=30)
        h = dict(headers or {}, Authorization="Bearer " + token)
        # A connection per request: requests.Session is not meant to be shared by threads.
        return requests.put(server.url + path, json=body, headers=h, timeout=30)

    with ThreadPoolExecutor(WRITERS) as pool:
        return list(pool.map(one, range(len(items))))


def test_concurrent_puts_are_all_acknowledged_and_survive_sigkill(tmp_path):
    s = Server(tmp_path / "data", "--quiet")
    token = add_manufacturer(s.data, "acme", "Acme Devices Ltd")
    try:
        n = 96
        rs = put_all(s, token, [("/v1/products/acme-gc-%d" % i, decl(i)) for i in range(n)])
        assert [r.status_code for r in rs] == [201] * n, [r.text[:200] for r in rs if r.status_code != 201]
        assert metric(s, "seclabel_commit_writes_total") == n
        assert 1 <= metric(s, "seclabel_commit_groups_total") <= n
        # Withdrawals join groups too.
        ws = [s.post("/v1/products/acme-gc-%d/withdraw" % i, token) for i in range(3)]
        assert [w.status_code for w in ws] == [200] * 3
    finally:
        s.proc.send_signal(signal.SIGKILL)  # right after the last 2xx: no clean shutdown
        s.proc.wait()
        s.stop()
    assert cli("admin", "verify", "--data", tmp_path / "data").returncode == 0
    s = Server(tmp_path / "data", "--quiet")
    try:
        for i in range(n):
            r = s.get("/v1/products/acme-gc-%d" % i)
            assert r.status_code == 200, i
            rec = r.json()
            assert rec["product_name"] == "Group %d" % i
            assert rec["status"] == ("withdrawn" if i < 3 else "active")
    finally:
        s.stop()


def test_a_refused_write_beside_good_ones_changes_only_itself(server, acme):
    other = add_manufacturer(server.data, "nordlicht", "Nordlicht Elektronik GmbH")
    theirs = declaration(id="nordlicht-x", manufacturer_name="Nordlicht Elektronik GmbH")
    assert server.put("/v1/products/nordlicht-x", other, json=theirs).status_code == 201
    assert server.put("/v1/products/acme-gtin", acme,
                      json=declaration(id="acme-gtin", gtin="5012345678900")).status_code == 201
    bad = {
        3: ("/v1/products/nordlicht-x", dict(theirs)),                 # another maker's: 403
        7: ("/v1/products/acme-gc-7", decl(7, support_date="someday")),  # invalid: 400
        11: ("/v1/products/acme-gc-11", decl(11, gtin="5012345678900")),  # GTIN taken: 409
        13: ("/v1/products/zzz-outside", declaration(id="zzz-outside")),  # outside namespace
    }
    items = [bad.get(i, ("/v1/products/acme-gc-%d" % i, decl(i))) for i in range(32)]
    for rnd in range(3):  # again and again: some rounds put refusals and good writes in a group
        rs = put_all(server, acme, items)
        for i, r in enumerate(rs):
            if i in bad:
                assert 400 <= r.status_code < 500, (i, r.status_code, r.text[:200])
                assert r.json()["error"]
            else:
                assert r.status_code == (201 if rnd == 0 else 200), (i, r.text[:200])
    for i in range(32):
        r = server.get("/v1/products/acme-gc-%d" % i)
        if i in (7, 11):
            assert r.status_code == 404
        elif i not in bad:
            assert r.json()["version"] == 1  # resent unchanged: no new version
    assert server.get("/v1/products/zzz-outside").status_code == 404
    assert server.get("/v1/products/nordlicht-x").json()["manufacturer"] == "nordlicht"


def test_if_match_between_concurrent_writers_lets_one_win(server, acme):
    for rnd in range(6):
        pid = "acme-race-%d" % rnd
        assert server.put("/v1/products/" + pid, acme, json=declaration(id=pid)).status_code == 201
        items = [("/v1/products/" + pid, declaration(id=pid, product_name="Writer %d" % k))
                 for k in range(8)]
        rs = put_all(server, acme, items, headers={"If-Match": '"1"'})
        codes = sorted(r.status_code for r in rs)
        assert codes == [200] + [412] * 7, [r.text[:200] for r in rs]
        winner = next(k for k, r in enumerate(rs) if r.status_code == 200)
        rec = server.get("/v1/products/" + pid).json()
        assert rec["version"] == 2 and rec["product_name"] == "Writer %d" % winner
        for r in rs:
            if r.status_code == 412:
                assert r.json()["error"] == "precondition_failed"


def test_a_full_store_fails_writes_clearly_and_keeps_what_was_acknowledged(tmp_path):
    data = tmp_path / "data"
    s = Server(data, "--quiet", "--map-size", "1M", "--map-size-max", "2M")
    token = add_manufacturer(s.data, "acme", "Acme Devices Ltd")
    big = "x" * 2000
    acked, full = [], []
    try:
        for rnd in range(40):
            ids = list(range(rnd * 32, rnd * 32 + 32))
            rs = put_all(s, token, [("/v1/products/acme-gc-%d" % i,
                                     decl(i, product_model=big)) for i in ids])
            for i, r in zip(ids, rs):
                if r.status_code == 201:
                    acked.append(i)
                else:
                    assert r.status_code == 507, r.text[:300]
                    assert r.json()["error"] == "storage_full"
                    full.append(i)
            if full:
                break
        assert acked and full, "2 MiB held all of it?"
        assert s.get("/healthz").status_code == 200
    finally:
        s.stop()
    assert cli("admin", "verify", "--data", data).returncode == 0
    s = Server(data, "--quiet", "--map-size", "1M", "--map-size-max", "2M")
    try:
        for i in acked:
            assert s.get("/v1/products/acme-gc-%d" % i).status_code == 200, i
        for i in full:
            assert s.get("/v1/products/acme-gc-%d" % i).status_code == 404, i
    finally:
        s.stop()
