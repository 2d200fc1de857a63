"""Nothing holds the loop (issue 15): a search, a bulk lookup or a list page runs on the thread
pool, so the event loop answers everyone else meanwhile. Not timed: the server's test hook
(SECLABEL_TEST_HOLD_READS, api.c) keeps each deferred read waiting while a file exists, and
writes "held" into it once the read is in flight; a plain GET must be answered on the same (only)
loop before the file is removed, and the held answers must be what they are without the hold."""
import threading
import time

import pytest
import requests

from conftest import Server, add_manufacturer, declaration

IDS = ["acme-cam-%d" % i for i in range(30)]


@pytest.fixture
def held(tmp_path, monkeypatch):
    """A one-loop server whose deferred reads wait while tmp_path/hold exists."""
    hold = tmp_path / "hold"
    monkeypatch.setenv("SECLABEL_TEST_HOLD_READS", str(hold))
    s = Server(tmp_path / "data", "--loops", "1")
    token = add_manufacturer(s.data, "acme", "Acme Devices Ltd")
    for i in IDS:
        assert s.put("/v1/products/" + i, token, json=declaration(id=i)).status_code == 201
    yield s, hold
    hold.unlink(missing_ok=True)
    s.stop()


def wait_held(hold, n):
    """Wait (a deadlock guard, not a timing) until n reads are in flight, held."""
    end = time.time() + 30
    while time.time() < end:
        if hold.read_text().count("held") >= n:
            return
        time.sleep(0.02)
    pytest.fail("%d reads never came to be held: %r" % (n, hold.read_text()))


def in_background(fn):
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", fn()))
    t.start()
    return t, out


LOOKUP = {"ids": IDS + ["acme-none"], "gtins": ["5012345678900"]}
# Lists asked again come from the response cache, read by no one: Connection: close asks for
# one made afresh (the cache keeps and serves keep-alive GETs only, api.c's cache_key).
FRESH = {"Connection": "close"}
READS = [
    ("lookup", lambda s: requests.post(s.url + "/v1/lookup", json=LOOKUP, timeout=90)),
    ("search", lambda s: requests.get(s.url + "/v1/products?q=cam&limit=100", headers=FRESH,
                                      timeout=90)),
    ("home", lambda s: requests.get(s.url + "/?q=cam", headers=FRESH, timeout=90)),
    ("maker", lambda s: requests.get(s.url + "/m/acme", headers=FRESH, timeout=90)),
    ("changes", lambda s: requests.get(s.url + "/v1/changes?limit=1000", timeout=90)),
]


def strip_volatile(name, r):
    return r.status_code, (r.json() if name in ("lookup", "search", "changes") else r.text)


@pytest.mark.parametrize("name,read", READS, ids=[n for n, _ in READS])
def test_the_loop_answers_others_while_a_bulk_read_is_in_flight(held, name, read):
    s, hold = held
    expected = strip_volatile(name, read(s))  # no hold file: answered straight away
    assert expected[0] == 200
    hold.write_text("")
    t, out = in_background(lambda: read(s))
    wait_held(hold, 1)
    # The read is in flight and cannot finish while the file exists: the one loop still
    # answers a product, the health check and the metrics.
    assert s.get("/v1/products/acme-cam-7").json()["id"] == "acme-cam-7"
    assert s.get("/healthz").status_code == 200
    assert s.get("/metrics").status_code == 200
    assert t.is_alive() and "r" not in out
    hold.unlink()
    t.join(90)
    assert strip_volatile(name, out["r"]) == expected


def test_results_of_a_held_lookup_match_single_reads(held):
    s, hold = held
    hold.write_text("")
    t, out = in_background(lambda: requests.post(s.url + "/v1/lookup", json=LOOKUP, timeout=90))
    wait_held(hold, 1)
    hold.unlink()
    t.join(90)
    res = out["r"].json()["results"]
    assert [x.get("id") for x in res[:len(IDS)]] == IDS
    for x in res[:len(IDS)]:
        assert x["record"] == s.get("/v1/products/" + x["id"]).json()
    assert res[len(IDS)] == {"id": "acme-none", "error": "not_found"}
    assert res[-1] == {"gtin": "5012345678900", "error": "not_found"}


def test_metrics_report_how_long_requests_held_the_loop(server):
    server.get("/v1/products?q=x")
    m = server.get("/metrics").text
    count = [ln for ln in m.splitlines() if ln.startswith("seclabel_loop_hold_seconds_count ")]
    assert count and int(count[0].split()[1]) >= 1
    mx = [ln for ln in m.splitlines() if ln.startswith("seclabel_loop_hold_max_seconds ")]
    assert mx and float(mx[0].split()[1]) > 0
    assert "# TYPE seclabel_loop_hold_seconds histogram" in m
