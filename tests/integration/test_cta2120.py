"""CTA-2120 export (GET /v1/products/{id}/cta-2120): every valid example either exports as a
document that validates against the shared CTA-2120 v1.0.0 schema, or is refused with 422
naming exactly the CTA-required fields it lacks."""
import json
import jsonschema
import pytest

from conftest import EXAMPLES, ROOT, add_manufacturer

CTA_SCHEMA = json.loads((ROOT / "schema" / "cta-2120" / "usctm-schema-1-0-0.json").read_text())
# Fields the registry fills in itself when exporting.
SYNTHESISED = {"schema_version", "QR_code_url", "created", "modified", "sbom_hbom_available"}
VALID = sorted((EXAMPLES / "valid").glob("*.json"))


def cta_validator():
    return jsonschema.Draft202012Validator(CTA_SCHEMA,
                                           format_checker=jsonschema.FormatChecker())


def expected_missing(decl):
    missing = [f for f in CTA_SCHEMA["required"] if f not in SYNTHESISED and f not in decl]
    # The schema's own bug: it requires sbom_hbom_available but defines sbom_hbom_maintained,
    # which is what declarations carry; the export fills one from the other.
    if "sbom_hbom_maintained" not in decl:
        missing.append("sbom_hbom_maintained")
    # The schema's if/then (as written, it also fires when update_options is absent).
    if ("security_update_information" in decl
            and jsonschema.Draft202012Validator(CTA_SCHEMA["if"]).is_valid(decl)
            and "security_update_information_other" not in decl):
        missing.append("security_update_information_other")
    return missing


def test_there_are_complete_examples_to_export():
    complete = [p for p in VALID if not expected_missing(json.loads(p.read_text()))]
    assert len(complete) >= 2, "schema/examples/valid needs CTA-complete declarations"


def maker_of(server, decl, pid):
    """The account an example speaks for: the maker whose namespace its ID is in, with the name
    the example gives and its GTIN's GTIN-13 form without the check digit recorded by the
    operator as a GS1 Company Prefix (the longest there is: it also covers GTIN-8s, which GS1
    allocates one by one); returns its token."""
    slug = pid.split("-")[0]
    gtin = decl.get("gtin")
    return add_manufacturer(server.data, slug, decl.get("manufacturer_name", "Acme Devices Ltd"),
                            prefixes=[gtin.zfill(14)[1:13]] if gtin else [])


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_every_valid_example_exports_or_names_what_is_missing(server, path):
    decl = json.loads(path.read_text())
    pid = decl.get("id", "acme-" + path.stem)
    r = server.put("/v1/products/" + pid, maker_of(server, decl, pid), json=decl)
    assert r.status_code == 201, r.text
    rec = server.get("/v1/products/" + pid).json()
    r = server.get("/v1/products/%s/cta-2120" % pid)
    # The record always names the maker: the account's name when the declaration leaves it out.
    missing = expected_missing(dict(decl, manufacturer_name=rec["manufacturer_name"]))
    if missing:
        assert r.status_code == 422 and r.json()["error"] == "cta_incomplete"
        assert sorted(r.json()["missing"]) == sorted(missing)
        assert all(f in r.json()["message"] for f in missing)
        return
    assert r.status_code == 200, r.text
    doc = r.json()
    errors = sorted(cta_validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join("%s: %s" % (list(e.path), e.message) for e in errors)
    assert doc["schema_version"] == "1.0.0"
    # The QR code's target: the GS1 Digital Link URI for a product with a GTIN, else its page.
    assert doc["QR_code_url"] == rec["qr_url"]
    assert rec["qr_url"] == server.url + ("/01/" + rec["gtin"] if "gtin" in rec else "/p/" + pid)
    assert doc["support_date"] == decl["support_date"]
    assert doc["sbom_hbom_available"] == decl["sbom_hbom_maintained"]
    assert "gtin" not in doc and "default_password" not in doc


def test_minimal_record_is_refused_with_the_list(server, acme):
    minimal = {"product_name": "P", "product_model": "M",
               "support_date": "2031-12-31", "security_contact": "security@acme.example",
               "default_password": "user_defined"}
    assert server.put("/v1/products/acme-min", acme, json=minimal).status_code == 201
    r = server.get("/v1/products/acme-min/cta-2120")
    assert r.status_code == 422
    assert "tested_by" in r.json()["missing"] and "support_date" not in r.json()["missing"]
    # manufacturer_name comes from the account, so it is never missing.
    assert "manufacturer_name" not in r.json()["missing"]
    assert server.get("/v1/products/acme-nope/cta-2120").status_code == 404
