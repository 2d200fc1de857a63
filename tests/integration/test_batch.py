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
    assert server.put("/v1/products/nordlicht-thermo", nordlicht,
                      json=declaration(id="nordlicht-thermo", gtin="4006381333931",
                                       manufacturer_name=None)).status_code == 201
    assert server.put("/v1/products/acme-cam", acme,
                      json=declaration(id="acme-cam")).status_code == 201
    assert server.put("/v1/products/acme-plug", acme,
                      json=declaration(id="acme-plug", gtin="036000291452")).status_code == 201
    # (An item that is not an object with a string id refuses the whole request: test_query.py.)
    products = [
        declaration(id="acme-new-1", gtin="5012345678900"),         # created
        declaration(id="acme-cam", support_date="2035-01-01"),      # updated
        declaration(id="acme-plug", gtin="036000291452"),           # unchanged
        declaration(id="acme-new-2", support_date="soon"),          # invalid
        declaration(id="nordlicht-thermo"),                         # another maker's product
        declaration(id="acme-cam-x", support_date="2020-01-01"),    # created (support ended)
        declaration(id="acme-new-3", gtin="036000291452"),          # GTIN taken
        declaration(id="acme-new-4", gtin="05012345678900"),        # GTIN taken in this batch
        declaration(id="bad id"),
        declaration(id="acme-new-5", gtin="4006381333931"),         # another maker's prefix
        declaration(id="thermo"),                                   # outside the namespace
        declaration(id="acme-new-6",
                    manufacturer_name="Nordlicht Elektronik GmbH"),  # another maker's name
    ]
    r = batch(server, acme, products)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["updated"], body["unchanged"], body["failed"]) == (2, 1, 1, 8)
    res = body["results"]
    assert [x["index"] for x in res] == list(range(len(products)))
    assert [x["result"] for x in res] == [
        "created", "updated", "unchanged", "failed", "failed", "created", "failed", "failed",
        "failed", "failed", "failed", "failed"]
    assert [x.get("error") for x in res if x["result"] == "failed"] == [
        "invalid_declaration", "forbidden", "gtin_taken", "gtin_taken", "invalid_id",
        "gtin_outside_prefixes", "id_outside_namespace",
        "manufacturer_name_mismatch"]
    assert res[1]["version"] == 2 and res[2]["version"] == 1 and res[0]["version"] == 1
    assert res[3]["details"][0]["path"] == "/support_date"
    # The refusal names the product and its owner (the records are public).
    assert "'nordlicht-thermo'" in res[4]["message"] and "'nordlicht'" in res[4]["message"]
    assert "acme-plug" in res[6]["message"]
    assert "acme-new-1" in res[7]["message"]
    assert "4006381333931" in res[9]["message"] and "5012345" in res[9]["message"]
    assert "'acme-'" in res[10]["message"]
    assert "Acme Devices Ltd" in res[11]["message"]
    # What was accepted is stored, exactly as a PUT would have stored it.
    assert server.get("/v1/products/acme-new-1").json()["gtin"] == "05012345678900"
    assert server.get("/v1/products/acme-cam").json()["support_date"] == "2035-01-01"
    assert server.get("/v1/products/acme-cam-x").json()["support_status"]["status"] == "ended"
    for pid in ("acme-new-2", "acme-new-3", "acme-new-4", "acme-new-5", "thermo", "acme-new-6"):
        assert server.get("/v1/products/" + pid).status_code == 404
    assert server.get("/v1/products/nordlicht-thermo").json()["manufacturer"] == "nordlicht"
    kinds = [(c["id"], c["kind"]) for c in server.get("/v1/changes").json()["changes"]
             if "id" in c][3:]  # a product's changes, not its maker's account events
    assert kinds == [("acme-new-1", "created"), ("acme-cam", "updated"),
                     ("acme-cam-x", "created")]


def test_a_batch_of_only_refusals_or_repeats_changes_nothing(server, acme):
    products = [declaration(id="acme-p%d" % i) for i in range(50)]
    assert batch(server, acme, products).json()["created"] == 50
    before = db_bytes(server)
    again = batch(server, acme, products).json()
    assert (again["unchanged"], again["created"], again["updated"]) == (50, 0, 0)
    bad = batch(server, acme, [declaration(id="acme-p1", support_date="2030-01-01"),
                               declaration(id="acme-q", default_password="maybe")]).json()
    assert bad["failed"] == 2 and [x["error"] for x in bad["results"]] == [
        "support_period_shortened", "invalid_declaration"]
    assert db_bytes(server) == before


def test_a_thousand_declarations_in_one_request(server, acme):
    products = [declaration(id="acme-bulk-%04d" % i, product_name="Bulk camera %d" % i)
                for i in range(1000)]
    r = batch(server, acme, products)
    assert r.status_code == 200 and r.json()["created"] == 1000
    assert len(server.get("/v1/changes", params={"limit": 1000}).json()["changes"]) == 1000
    assert server.get("/v1/products/acme-bulk-0999").json()["product_name"] == "Bulk camera 999"
    r = batch(server, acme, products + [declaration(id="acme-one-too-many")])
    assert r.status_code == 400 and r.json()["error"] == "too_many_keys"
    assert "1001" in r.json()["message"]


def test_writers_only_and_bounded(server, acme):
    products = [declaration(id="acme-big-%03d" % i, product_name="x" * 1500) for i in range(60)]
    # Over 64 KiB: only a request with a valid token may send that much.
    for token in (None, "slt_" + "x" * 43):
        r = batch(server, token, products)
        assert r.status_code == 413 and r.json()["error"] == "payload_too_large"
    assert batch(server, acme, products).json()["created"] == 60
    huge = [declaration(id="acme-huge-%04d" % i, product_name="x" * 2000) for i in range(1000)]
    r = batch(server, acme, huge)
    assert r.status_code == 413
    r = server.post("/v1/batch", None, json={"products": [declaration(id="acme-a")]})
    assert r.status_code == 401
    assert batch(server, acme, [], headers={"Content-Type": "text/plain"}).status_code == 415
    for shape in ([], {"product": []}, {"products": {}}):
        r = server.post("/v1/batch", acme, json=shape)
        assert r.status_code == 400 and r.json()["error"] == "bad_request"
    r = server.post("/v1/batch", acme, data="{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_json"
    assert server.get("/v1/products/acme-a").status_code == 404


def test_refusals_say_why_word_for_word(server, acme):
    """The API's reasons for a bad query string or batch shape (api.c's query check, api_batch's
    shape check), as the JSON error body carries them."""
    def said(r, status, code):
        assert r.status_code == status, r.text
        assert r.json()["error"] == code
        return r.json()["message"]

    assert said(server.get("/v1/products/acme-x?x=1"), 400, "bad_request") == \
        "Unknown query parameter 'x': this address takes no query parameters."
    assert said(server.get("/v1/changes?x=1"), 400, "bad_request") == \
        "Unknown query parameter 'x': this address takes since, limit."
    assert said(server.get("/v1/changes?limit=1&limit=2"), 400, "bad_request") == \
        "Query parameter 'limit' is given twice."
    assert said(server.get("/v1/changes?limit="), 400, "bad_request") == \
        "Query parameter 'limit' is empty: give it a value, or leave it out."
    assert said(server.post("/v1/batch", acme, json={"items": []}), 400, "bad_request") == \
        'The body must be {"products": [declaration, ...]}.'
    assert said(batch(server, acme, [1]), 400, "bad_request") == \
        'products[0] must be a declaration object with its "id" (a string).'
    assert said(batch(server, acme, [{"id": "acme-x"}] * 1001), 400, "too_many_keys") == \
        "At most 1000 declarations per batch; this one has 1001."
