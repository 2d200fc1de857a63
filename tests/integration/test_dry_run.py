"""Dry runs (issue 12): PUT /v1/products/{id}?dry_run=true and POST /v1/batch?dry_run=true run
every check of the real write and answer what it would answer, but store nothing (the data file
stays byte for byte the same, the changes feed does not move) and leave cached answers cached;
`seclabel register --dry-run` asks the server and shows its verdict."""
import hashlib
import http.server
import json
import re
import threading

import pytest

from conftest import Server, add_manufacturer, cli, declaration


def db_bytes(server):
    return hashlib.sha256((server.data / "data.mdb").read_bytes()).hexdigest()


def snapshot(server):
    """What a dry run must leave as it was: the data file and the changes feed."""
    return db_bytes(server), server.get("/v1/changes").json()


def put(server, token, pid, dry=False, headers=None, **fields):
    return server.put("/v1/products/" + pid + ("?dry_run=true" if dry else ""), token,
                      json=declaration(id=pid, **fields), headers=headers or {})


def same_answer(dry, real):
    """The dry run answered what the real write then answered: status, Seclabel-Change, and the
    record (but for its `modified` time, and its `created` time when the write creates it: both
    are the clock's, which may tick between the two requests) or the error. A new version's
    place in the transparency log exists only once it is written: the dry run's record has no
    "log" member then, the real one has."""
    assert dry.headers.get("Seclabel-Dry-Run") == "true"
    assert "Seclabel-Dry-Run" not in real.headers
    assert dry.status_code == real.status_code, (dry.text, real.text)
    assert dry.headers.get("Seclabel-Change") == real.headers.get("Seclabel-Change")
    d, r = dry.json(), real.json()
    for rec in (d, r):
        rec.pop("modified", None)
        if real.headers.get("Seclabel-Change") == "created":
            rec.pop("created", None)
    if real.headers.get("Seclabel-Change") in ("created", "updated"):
        assert "log" not in d and "index" in r.pop("log"), (d, r)
    assert d == r


@pytest.fixture
def nordlicht(server):
    return add_manufacturer(server.data, "nordlicht", "Nordlicht Elektronik GmbH")


def test_put_dry_run_answers_as_the_real_put_and_stores_nothing(server, acme, nordlicht):
    put(server, acme, "acme-taken", gtin="036000291452")
    cases = [
        # (id, fields, headers, token): each judged first as a dry run, then for real
        ("acme-cam", dict(gtin="5012345678900"), None, acme),                  # created
        ("acme-cam", dict(gtin="05012345678900"), None, acme),                 # unchanged
        ("acme-cam", dict(gtin="5012345678900", support_date="2034-05-31"), None, acme),
        ("acme-cam", dict(support_date="2030-01-01"), None, acme),             # shortened
        ("acme-cam", dict(support_date="2035-01-01"), {"If-Match": '"1"'}, acme),  # stale
        ("acme-cam", dict(gtin="036000291452", support_date="2034-05-31"), None, acme),  # taken
        ("acme-cam", dict(gtin="4006381333931", support_date="2034-05-31"), None, acme),
        ("acme-cam", dict(manufacturer_name="Someone Else"), None, acme),      # not the account
        ("acme-cam", dict(product_name="Cam\u202e"), None, acme),              # the text rule
        ("acme-cam", dict(support_date="someday"), None, acme),                # invalid
        ("acme-cam", dict(manufacturer_name=None), None, nordlicht),           # another's
        ("other-cam", dict(), None, acme),                                     # namespace
        ("acme-cam", dict(support_date="2035-01-01"), {"If-Match": '"2"'}, acme),  # updated
    ]
    seen = set()
    for pid, fields, headers, token in cases:
        before = snapshot(server)
        dry = put(server, token, pid, dry=True, headers=headers, **fields)
        assert snapshot(server) == before, (pid, fields)
        real = put(server, token, pid, headers=headers, **fields)
        same_answer(dry, real)
        seen.add((real.status_code, real.json().get("error")))
    assert seen == {(201, None), (200, None), (409, "support_period_shortened"),
                    (412, "precondition_failed"), (409, "gtin_taken"),
                    (403, "gtin_outside_prefixes"), (403, "manufacturer_name_mismatch"),
                    (400, "invalid_declaration"), (403, "forbidden"),
                    (403, "id_outside_namespace")}
    # What a successful dry run answered is the record the real write then stored.
    dry = put(server, acme, "acme-cam", dry=True, support_date="2036-01-01")
    assert dry.status_code == 200 and dry.json()["version"] == 4
    assert "ETag" not in dry.headers and "Location" not in dry.headers
    assert server.get("/v1/products/acme-cam").json()["version"] == 3


def test_dry_run_is_authenticated_and_its_value_checked(server, acme):
    before = snapshot(server)
    r = put(server, None, "acme-cam", dry=True)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    r = server.put("/v1/products/acme-cam?dry_run=yes", acme, json=declaration(id="acme-cam"))
    assert r.status_code == 400 and r.json()["error"] == "bad_request"
    assert "dry_run" in r.json()["message"]
    r = server.post("/v1/batch?dry_run=1", acme, json={"products": [declaration()]})
    assert r.status_code == 400 and "dry_run" in r.json()["message"]
    assert snapshot(server) == before
    # dry_run=false is the real write.
    r = server.put("/v1/products/acme-cam?dry_run=false", acme, json=declaration(id="acme-cam"))
    assert r.status_code == 201 and "Seclabel-Dry-Run" not in r.headers


def cache_hits(server):
    m = re.search(r"^seclabel_response_cache_hits_total (\d+)$", server.get("/metrics").text, re.M)
    return int(m.group(1))


@pytest.fixture
def settled(tmp_path):
    """A server started after maker acme was added, and acme's token. The server drops every
    cached answer when it sees, once a second, that another process changed the makers: with
    the `acme` fixture (the CLI writing after the server started) that look could fall between
    two requests of a test and count as a miss, as it did under ASan, where the CLI is slow."""
    token = add_manufacturer(tmp_path / "data", "acme", "Acme Devices Ltd")
    s = Server(tmp_path / "data")
    yield s, token
    s.stop()


def test_a_dry_run_leaves_cached_answers_cached(settled):
    server, acme = settled
    put(server, acme, "acme-cam")
    server.get("/v1/products/acme-cam")
    hits = cache_hits(server)
    assert server.get("/v1/products/acme-cam").status_code == 200
    assert cache_hits(server) == hits + 1  # cached
    assert put(server, acme, "acme-cam", dry=True, support_date="2040-01-01").status_code == 200
    r = server.post("/v1/batch?dry_run=true", acme,
                    json={"products": [declaration(id="acme-cam", support_date="2041-01-01")]})
    assert r.status_code == 200 and r.json()["updated"] == 1
    assert server.get("/v1/products/acme-cam").json()["support_date"] == "2031-12-31"
    assert cache_hits(server) == hits + 2  # still cached: nothing it was made from changed


def test_batch_dry_run_answers_as_the_real_batch_and_stores_nothing(server, acme):
    put(server, acme, "acme-old", support_date="2033-01-01", gtin="036000291452")
    body = {"products": [
        declaration(id="acme-new", gtin="5012345678900"),                     # created
        declaration(id="acme-old", support_date="2033-01-01", gtin="0036000291452"),  # same
        declaration(id="acme-old", support_date="2032-01-01"),                # shortened
        declaration(id="acme-new2", gtin="05012345678900"),                   # taken in batch
        declaration(id="acme-bad", product_name=""),                          # invalid
        declaration(id="beta-1"),                                             # namespace
    ]}
    before = snapshot(server)
    dry = server.post("/v1/batch?dry_run=true", acme, json=body)
    assert snapshot(server) == before
    assert dry.headers.get("Seclabel-Dry-Run") == "true"
    real = server.post("/v1/batch", acme, json=body)
    assert "Seclabel-Dry-Run" not in real.headers
    assert dry.status_code == real.status_code == 200
    assert dry.json() == real.json()
    assert [r["result"] for r in real.json()["results"]] == [
        "created", "unchanged", "failed", "failed", "failed", "failed"]
    assert server.get("/v1/products/acme-new").status_code == 200


# --- seclabel register --dry-run ------------------------------------------------------------


def test_register_dry_run_predicts_what_the_server_will_do(server, acme, write_decl):
    f = write_decl(declaration(id="acme-cam", gtin="05012345678900"))
    assert cli("register", f, server=server, token=acme).returncode == 0
    before = snapshot(server)
    # A shortened support period: the real run is refused, so the dry run says so.
    short = write_decl(declaration(id="acme-cam", support_date="2030-01-01"), "short.json")
    r = cli("register", short, "--dry-run", server=server, token=acme)
    assert r.returncode == 1, r.stdout
    assert "would refuse" in r.stdout and "would update" not in r.stdout
    assert "support_period_shortened" in r.stderr and "2030-01-01" in r.stderr
    assert cli("register", short, server=server, token=acme).returncode == 1
    # The GTIN written short is the stored one: no change to report for it.
    longer = write_decl(declaration(id="acme-cam", gtin="5012345678900",
                                    support_date="2034-05-31"), "longer.json")
    r = cli("register", longer, "--dry-run", server=server, token=acme)
    assert r.returncode == 0, r.stderr
    assert "would update acme-cam to version 2" in r.stdout
    assert 'support_date: "2031-12-31" -> "2034-05-31"' in r.stdout
    assert "gtin" not in r.stdout
    # Another maker's GTIN: refused by the server's rule, which no local diff knew.
    theirs = write_decl(declaration(id="acme-cam", gtin="4006381333931"), "theirs.json")
    r = cli("register", theirs, "--dry-run", server=server, token=acme)
    assert r.returncode == 4 and "gtin_outside_prefixes" in r.stderr  # as the real run's
    assert cli("register", theirs, server=server, token=acme).returncode == 4
    # --json prints the record the server would store.
    r = cli("register", longer, "--dry-run", "--json", server=server, token=acme)
    rec = json.loads(r.stdout)
    assert rec["version"] == 2 and rec["gtin"] == "05012345678900"
    assert snapshot(server) == before
    # Without a token there is nothing to ask the server.
    r = cli("register", longer, "--dry-run", server=server)
    assert r.returncode == 4 and "token" in r.stderr


class Unaware(http.server.BaseHTTPRequestHandler):
    """A registry from before dry runs: it takes ?dry_run=true for an ordinary PUT."""

    def do_PUT(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        raw = json.dumps(dict(declaration(id="acme-cam"), version=1)).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Seclabel-Change", "created")
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


def test_register_dry_run_says_so_when_the_server_did_not_dry_run(write_decl):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Unaware)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        env = {"SECLABEL_SERVER": "http://127.0.0.1:%d" % httpd.server_address[1]}
        r = cli("register", write_decl(declaration(id="acme-cam")), "--dry-run", token="t",
                env_extra=env)
        assert r.returncode == 1 and "would register" not in r.stdout
        assert "did not answer as a dry run" in r.stderr and "may have stored" in r.stderr
    finally:
        httpd.shutdown()
