"""Dry runs (issue 12): PUT /v1/products/{id}?dry_run=true and POST /v1/batch?dry_run=true run
every check of the real write and answer what it would answer, but store nothing (the data file
stays byte for byte the same, the changes feed does not move) and leave cached answers cached."""
import hashlib
import json
import re

import pytest

from conftest import add_manufacturer, declaration


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
    record (but for its `modified` time) or the error."""
    assert dry.headers.get("Seclabel-Dry-Run") == "true"
    assert "Seclabel-Dry-Run" not in real.headers
    assert dry.status_code == real.status_code, (dry.text, real.text)
    assert dry.headers.get("Seclabel-Change") == real.headers.get("Seclabel-Change")
    d, r = dry.json(), real.json()
    for rec in (d, r):
        rec.pop("modified", None)
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


def test_a_dry_run_leaves_cached_answers_cached(server, acme):
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
