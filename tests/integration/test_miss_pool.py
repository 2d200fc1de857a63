"""Faults never stall everyone (issue 15): a record's GET that misses the response cache runs on
the loop, or on the thread pool while the loop's misses fault pages in from disk (api.h, struct
app_faults). Both must give the same answer. Not timed: the server's test hook
SECLABEL_TEST_MISSES_TO_POOL (api.c) sends every miss to the pool while the file it names
exists, and the same requests are compared with and without it: status line, every header but
Date and X-Request-Id, and the body, for each content coding, for a record with and without a
GTIN, a missing one and a revalidation (304). Each round asks with its own Accept-Language (part
of the response cache's key; a record's JSON does not depend on it), so every first request of
a round misses the cache; the second is sent from it."""
import re
import socket
import time

from conftest import Server, add_manufacturer, declaration, keepalive_get
from test_cold_reads import CODINGS, without_per_request

IDS = ("acme-cam-1", "acme-cam-2")
PATHS = ["/v1/products/" + i for i in IDS] + ["/p/%s/record.json" % IDS[0], "/v1/products/acme-x"]


def exchange(sock, path, accept_encoding, headers):
    """One keep-alive GET with these headers on sock; the answer's head lines and body."""
    if accept_encoding:
        headers = dict(headers, **{"Accept-Encoding": accept_encoding})
    return keepalive_get(sock, path, headers)


def deferred(server):
    text = server.get("/metrics").text
    return int(re.search(r"^seclabel_record_misses_deferred_total (\d+)$", text, re.M).group(1))


def answers(server, lang, etag):
    out = []
    for path in PATHS:
        for ae in CODINGS:
            with socket.create_connection((server.host, server.port), timeout=10) as s:
                for _ in range(2):  # a miss, then the response cache's copy
                    lines, body = exchange(s, path, ae, {"Accept-Language": lang})
                    out.append((path, ae, without_per_request(lines), body))
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        lines, _ = exchange(s, "/v1/products/" + IDS[0], None, {"If-None-Match": etag})
        out.append(("304", None, without_per_request(lines), b""))
    return out


def test_a_miss_on_the_pool_answers_what_the_loop_does(tmp_path, monkeypatch):
    switch = tmp_path / "misses-to-pool"
    monkeypatch.setenv("SECLABEL_TEST_MISSES_TO_POOL", str(switch))
    s = Server(tmp_path / "data", "--loops", "1")
    try:
        token = add_manufacturer(s.data, "acme", "Acme Devices Ltd")
        for i, pid in enumerate(IDS):  # one with a GTIN (qr_url /01/...), one without
            d = declaration(id=pid, gtin="05012345678900") if i == 0 else declaration(id=pid)
            assert s.put("/v1/products/" + pid, token=token, json=d).status_code == 201
        time.sleep(1.1)  # a Last-Modified in the current second is not sent: let it pass
        plain = {"Accept-Encoding": "identity"}
        etag = s.get("/v1/products/" + IDS[0], headers=plain).headers["ETag"]
        for attempt in range(3):  # Cache-Control counts from the minute's end: stay in one
            minute = int(time.time()) // 60
            switch.unlink(missing_ok=True)
            before = deferred(s)
            on_loop = answers(s, "en-%d" % attempt, etag)
            assert deferred(s) == before  # a warm registry's misses stay on the loop
            switch.touch()
            on_pool = answers(s, "de-%d" % attempt, etag)
            assert deferred(s) > before  # the hook worked: these misses were made on the pool
            if int(time.time()) // 60 == minute:
                break
        assert on_pool == on_loop
        statuses = [a[2][0] for a in on_loop]
        assert statuses.count("HTTP/1.1 200 OK") == 18 and statuses[-1].endswith("304 Not Modified")
        assert statuses.count("HTTP/1.1 404 Not Found") == 6
    finally:
        s.stop()
