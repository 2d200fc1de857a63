"""Writes do not starve reads (issue 15): group commit runs on a committer thread of its own
(registry/server/commit.h), not on libuv's thread pool, where searches, bulk lookups and list
pages run. Not timed: the server's test hook (SECLABEL_TEST_HOLD_COMMITS, commit.c) holds each
group the committer has taken while a file exists and writes "held" into it; with more writers
queued than the pool has threads (libuv's 4), a search and a bulk lookup must still be answered
before the file is removed, and every write afterwards. At shutdown the committer finishes every
write queued before it ends."""
import re
import signal
import threading
import time

import pytest
import requests

from conftest import Server, add_manufacturer, declaration

IDS = ["acme-cam-%d" % i for i in range(10)]
WRITERS = 8  # more than libuv's default pool (4 threads): on the pool they would fill it


def metric(s, name):
    m = re.search(r"^%s (\d+)$" % name, s.get("/metrics").text, re.M)
    return int(m.group(1)) if m else None


def wait_for(what, cond):
    """Wait (a deadlock guard, not a timing) until cond() holds."""
    end = time.time() + 60
    while time.time() < end:
        if cond():
            return
        time.sleep(0.02)
    pytest.fail("never came to pass: " + what)


@pytest.fixture
def held(tmp_path, monkeypatch):
    """A server whose committer holds each group while tmp_path/hold exists, with IDS stored."""
    hold = tmp_path / "hold"
    monkeypatch.setenv("SECLABEL_TEST_HOLD_COMMITS", str(hold))
    s = Server(tmp_path / "data")
    token = add_manufacturer(s.data, "acme", "Acme Devices Ltd")
    for i in IDS:
        assert s.put("/v1/products/" + i, token, json=declaration(id=i)).status_code == 201
    yield s, hold, token
    hold.unlink(missing_ok=True)
    s.stop()


def start_writers(s, token, n):
    """n PUTs of new products, each from a thread of its own; (threads, responses by index)."""
    out = {}

    def one(k):
        i = "acme-new-%d" % k
        try:
            out[k] = requests.put(s.url + "/v1/products/" + i, json=declaration(id=i),
                                  headers={"Authorization": "Bearer " + token}, timeout=120)
        except requests.ConnectionError as e:
            out[k] = e

    ts = [threading.Thread(target=one, args=(k,)) for k in range(n)]
    for t in ts:
        t.start()
    return ts, out


def test_a_search_and_a_lookup_are_answered_while_writes_wait_for_their_commit(held):
    s, hold, token = held
    search = s.get("/v1/products?q=cam&limit=100")
    lookup = s.post("/v1/lookup", json={"ids": IDS})
    assert search.status_code == lookup.status_code == 200
    hold.write_text("")
    ts, out = start_writers(s, token, WRITERS)
    wait_for("a group held", lambda: "held" in hold.read_text())
    wait_for("every write queued", lambda: metric(s, "seclabel_commit_pending") == WRITERS)
    # Every writer waits for its commit, which cannot end while the file exists; reads that run
    # on the thread pool are still answered, with what is committed.
    r = requests.get(s.url + "/v1/products?q=cam&limit=100", timeout=60)
    assert (r.status_code, r.json()) == (200, search.json())
    r = requests.post(s.url + "/v1/lookup", json={"ids": IDS}, timeout=60)
    assert (r.status_code, r.json()) == (200, lookup.json())
    assert s.get("/v1/products/acme-cam-3").status_code == 200
    assert not out and all(t.is_alive() for t in ts)
    hold.unlink()
    for t in ts:
        t.join(120)
    assert [out[k].status_code for k in range(WRITERS)] == [201] * WRITERS
    assert metric(s, "seclabel_commit_pending") == 0
    for k in range(WRITERS):
        assert s.get("/v1/products/acme-new-%d" % k).status_code == 200


def test_shutdown_commits_every_write_queued(held, tmp_path):
    s, hold, token = held
    hold.write_text("")
    ts, out = start_writers(s, token, WRITERS)
    wait_for("every write queued", lambda: metric(s, "seclabel_commit_pending") == WRITERS)

    def stopping():  # sent again until taken: see conftest.py's Server.stop on TSan
        if "stopping" in s.log():
            return True
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        return "stopping" in s.log()

    wait_for("the server stopping", stopping)
    assert s.proc.poll() is None  # the loop stays up for the writes it queued
    hold.unlink()
    assert s.proc.wait(timeout=120) == 0
    s.stop()
    for t in ts:
        t.join(120)
    # The connections were closed at the stop, but every write queued was committed.
    s2 = Server(tmp_path / "data")
    try:
        for k in range(WRITERS):
            assert s2.get("/v1/products/acme-new-%d" % k).status_code == 200
    finally:
        s2.stop()
