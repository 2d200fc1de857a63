"""A record's answer is the same bytes whether it was made for this request (a response-cache
miss: a cold read) or sent again from the response cache (issue 15 made the cold path append its
headers, ETag and dates by hand instead of printf and strftime): status line, every header but
Date and X-Request-Id, and the body, for each content coding. The hand-made headers are also
checked against what Python's own formatters write."""
import calendar
import email.utils
import re
import socket
import time

from conftest import add_manufacturer, declaration, keepalive_get

CODINGS = (None, "gzip", "br")


def exchange(sock, path, accept_encoding):
    """One keep-alive GET on sock; the answer's head lines and body (bytes)."""
    return keepalive_get(sock, path, {"Accept-Encoding": accept_encoding} if accept_encoding
                         else None)


def without_per_request(lines):
    return [ln for ln in lines if not ln.startswith(("Date: ", "X-Request-Id: "))]


def cache_hits(server):
    text = server.get("/metrics").text
    return int(re.search(r"^seclabel_response_cache_hits_total (\d+)$", text, re.M).group(1))


def test_a_record_is_the_same_bytes_cold_and_cached(server):
    token = add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    ids = ("acme-cam-1", "acme-cam-2")
    for i, pid in enumerate(ids):  # one with a GTIN (qr_url /01/...), one without (/p/...)
        d = declaration(id=pid, gtin="05012345678900") if i == 0 else declaration(id=pid)
        r = server.put("/v1/products/" + pid, token=token, json=d)
        assert r.status_code == 201, r.text
    time.sleep(1.1)  # a Last-Modified in the current second is not sent: let it pass
    for pid in ids:
        path = "/v1/products/" + pid
        for ae in CODINGS:
            with socket.create_connection((server.host, server.port), timeout=10) as s:
                hits = cache_hits(server)
                cold = exchange(s, path, ae)
                assert cache_hits(server) == hits  # made for this request
                warm = exchange(s, path, ae)
                assert cache_hits(server) == hits + 1  # sent from the response cache
            assert cold[0][0] == "HTTP/1.1 200 OK"
            assert without_per_request(cold[0]) == without_per_request(warm[0]), (pid, ae)
            assert cold[1] == warm[1], (pid, ae)
            headers = dict(ln.split(": ", 1) for ln in cold[0][1:])
            # The hand-written formatters against Python's.
            date = email.utils.parsedate_tz(headers["Date"])
            lm = headers["Last-Modified"]
            assert lm == email.utils.formatdate(
                calendar.timegm(email.utils.parsedate(lm)), usegmt=True)
            m = re.fullmatch(r'"(\d+)\.(\d+)\.(\d+)\.([0-9a-f]{8})(-gz|-br)?"', headers["ETag"])
            assert m, headers["ETag"]
            assert int(m.group(2)) == calendar.timegm(date[:9]) // 86400  # the day
            assert headers["Content-Length"] == str(len(cold[1]))
            cc = re.fullmatch(r"public, max-age=(\d+)(, stale-while-revalidate=(\d+))?"
                              r"(, stale-if-error=(\d+))?", headers["Cache-Control"])
            assert cc, headers["Cache-Control"]
