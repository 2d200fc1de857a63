"""Tier 0 of a text search (docs/API.md, "Search"): q, trimmed and case-folded, equals the
product's ID. IDs may hold capitals (decl.c: letters, digits, '.', '_', '-'), so the ID is
compared without case too: a product whose ID has capitals is found by its ID typed in any case,
first, and exactly once (it used to match no tier at all, and was missing from the results)."""
from conftest import add_manufacturer, declaration


def ids(server, **params):
    r = server.get("/v1/products", params=params)
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()["items"]]


def test_an_id_with_capitals_is_found_in_any_case(server):
    tok = add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    for pid, name in [("acme-Cam-X", "Acme Cam X"), ("acme-cam-x2", "Acme Cam X"),
                      ("acme-AC-100", "Acme Plug")]:
        r = server.put("/v1/products/" + pid, tok,
                       json=declaration(id=pid, product_name=name, gtin=None))
        assert r.status_code == 201, r.text
    for q in ["acme-Cam-X", "ACME-CAM-X", "acme-cam-x", "  aCmE-cAm-X "]:
        got = ids(server, q=q)
        assert got[:1] == ["acme-Cam-X"], (q, got)  # tier 0 first
        assert got.count("acme-Cam-X") == 1, (q, got)
    assert ids(server, q="ACME-ac-100") == ["acme-AC-100"]
    assert ids(server, q="acme-cam-x2")[:1] == ["acme-cam-x2"]
    # A lower-case ID typed with capitals, as before.
    assert ids(server, q="ACME-CAM-X2")[:1] == ["acme-cam-x2"]
    # Paging through tier 0 and on: each product once.
    seen, cur = [], None
    while True:
        params = {"q": "acme-cam-x", "limit": 1, "status": "any"}
        if cur:
            params["cursor"] = cur
        r = server.get("/v1/products", params=params)
        assert r.status_code == 200, r.text
        seen += [x["id"] for x in r.json()["items"]]
        cur = r.json().get("next_cursor")
        if not cur:
            break
    assert seen[0] == "acme-Cam-X" and len(seen) == len(set(seen)), seen
