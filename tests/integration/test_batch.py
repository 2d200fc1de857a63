"""POST /v1/batch (issue 6): many declarations in one commit, each checked exactly as its PUT
would be; refused ones change nothing while the rest land; sizes bounded, writers only."""
import hashlib

from conftest import add_manufacturer, declaration


def batch(server, token, products, **kw):
    return server.post("/v1/batch", token, json={"products": products}, **kw)


def db_bytes(server):
    return hashlib.sha256((server.data / "data.mdb").read_bytes()).hexdigest()


def test_each_declaration_is_judged_as_its_put_would_be(server, acme):
    nordlicht = add_manufacturer(server.data, "nordlicht", "Nordlicht Elektronik GmbH")
    assert server.put("/v1/products/thermo", nordlicht,
                      json=declaration(id="thermo", gtin="4006381333931")).status_code == 201
    assert server.put("/v1/products/cam", acme, json=declaration(id="cam")).status_code == 201
    assert server.put("/v1/products/plug", acme, json=declaration(id="plug")).status_code == 201
    products = [
        declaration(id="new-1", gtin="5012345678900"),          # created
        declaration(id="cam", support_date="2035-01-01"),       # updated
        declaration(id="plug"),                                 # unchanged
        declaration(id="new-2", support_date="soon"),           # invalid
        declaration(id="thermo"),                               # another maker's product
        declaration(id="cam-x", support_date="2020-01-01"),     # created (support ended)
        declaration(id="new-3", gtin="4006381333931"),          # GTIN taken
        declaration(id="new-4", gtin="05012345678900"),         # GTIN taken in this batch
        declaration(id=None),                                   # no id
        "not an object",
        declaration(id="bad id"),
    ]
    r = batch(server, acme, products)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["updated"], body["unchanged"], body["failed"]) == (2, 1, 1, 7)
    res = body["results"]
    assert [x["index"] for x in res] == list(range(len(products)))
    assert [x["result"] for x in res] == [
        "created", "updated", "unchanged", "failed", "failed", "created", "failed", "failed",
        "failed", "failed", "failed"]
    assert [x.get("error") for x in res if x["result"] == "failed"] == [
        "invalid_declaration", "forbidden", "gtin_taken", "gtin_taken", "invalid_id",
        "bad_request", "invalid_id"]
    assert res[1]["version"] == 2 and res[2]["version"] == 1 and res[0]["version"] == 1
    assert res[3]["details"][0]["path"] == "/support_date"
    assert "nordlicht" not in res[4]["message"] and "thermo" in res[4]["message"]
    assert "new-1" in res[7]["message"]
    # What was accepted is stored, exactly as a PUT would have stored it.
    assert server.get("/v1/products/new-1").json()["gtin"] == "05012345678900"
    assert server.get("/v1/products/cam").json()["support_date"] == "2035-01-01"
    assert server.get("/v1/products/cam-x").json()["support_status"]["status"] == "ended"
    for pid in ("new-2", "new-3", "new-4"):
        assert server.get("/v1/products/" + pid).status_code == 404
    assert server.get("/v1/products/thermo").json()["manufacturer"] == "nordlicht"
    kinds = [(c["id"], c["kind"]) for c in server.get("/v1/changes").json()["changes"]][3:]
    assert kinds == [("new-1", "created"), ("cam", "updated"), ("cam-x", "created")]


def test_a_batch_of_only_refusals_or_repeats_changes_nothing(server, acme):
    products = [declaration(id="p%d" % i) for i in range(50)]
    assert batch(server, acme, products).json()["created"] == 50
    before = db_bytes(server)
    again = batch(server, acme, products).json()
    assert (again["unchanged"], again["created"], again["updated"]) == (50, 0, 0)
    bad = batch(server, acme, [declaration(id="p1", support_date="2030-01-01"),
                               declaration(id="q", default_password="maybe")]).json()
    assert bad["failed"] == 2 and [x["error"] for x in bad["results"]] == [
        "support_period_shortened", "invalid_declaration"]
    assert db_bytes(server) == before


def test_a_thousand_declarations_in_one_request(server, acme):
    products = [declaration(id="bulk-%04d" % i, product_name="Bulk camera %d" % i)
                for i in range(1000)]
    r = batch(server, acme, products)
    assert r.status_code == 200 and r.json()["created"] == 1000
    assert len(server.get("/v1/changes", params={"limit": 1000}).json()["changes"]) == 1000
    assert server.get("/v1/products/bulk-0999").json()["product_name"] == "Bulk camera 999"
    r = batch(server, acme, products + [declaration(id="one-too-many")])
    assert r.status_code == 400 and r.json()["error"] == "too_many_keys"
    assert "1001" in r.json()["message"]


def test_writers_only_and_bounded(server, acme):
    products = [declaration(id="big-%03d" % i, product_name="x" * 1500) for i in range(60)]
    # Over 64 KiB: only a request with a valid token may send that much.
    for token in (None, "slt_" + "x" * 43):
        r = batch(server, token, products)
        assert r.status_code == 413 and r.json()["error"] == "payload_too_large"
    assert batch(server, acme, products).json()["created"] == 60
    huge = [declaration(id="huge-%04d" % i, product_name="x" * 2000) for i in range(1000)]
    r = batch(server, acme, huge)
    assert r.status_code == 413
    r = server.post("/v1/batch", None, json={"products": [declaration(id="a")]})
    assert r.status_code == 401
    assert batch(server, acme, [], headers={"Content-Type": "text/plain"}).status_code == 415
    for shape in ([], {"product": []}, {"products": {}}):
        r = server.post("/v1/batch", acme, json=shape)
        assert r.status_code == 400 and r.json()["error"] == "bad_request"
    r = server.post("/v1/batch", acme, data="{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_json"
    assert server.get("/v1/products/a").status_code == 404
