"""Schemathesis hooks for test_schemathesis.py: what schema/openapi.yaml says that a generic tool
cannot act on by itself. Loaded by Schemathesis (its config's `hooks`), not collected by pytest.

- Format `gtin` (declaration.schema.json defines it: the GS1 check digit, not all zeros) is drawn
  with a right check digit and never all zeros, so that requests the schema allows carry GTINs the registry accepts. Some are the
  demo products' own GTINs and some lie in the demo makers' GS1 Company Prefixes, so that the
  resolver, the `gtin` filter and writes also reach the products, not only "not found".
- Product IDs in paths are drawn from the demo products as often as from the pattern.
- A search `cursor` is left out: it is one that a search gave for the same parameters (a
  cursor of another search is 400, docs/API.md section 7), which no generator can make.
- Check `business_refusal_is_documented`: a schema-valid request may be refused only by a rule
  OpenAPI cannot state, and the response that says so lists its error codes in
  `x-business-rules` (with, for `invalid_declaration`, the `details` rules it may name). The
  test lets the built-in positive_data_acceptance check accept those statuses; this check makes
  sure the refusal is that rule and nothing else.
"""
import json
import pathlib

import schemathesis
import yaml
from hypothesis import strategies as st

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = yaml.safe_load((ROOT / "schema" / "openapi.yaml").read_text(encoding="utf-8"))
DEMO = ROOT / "schema" / "examples" / "demo"


def check_digit(digits):
    """The GS1 check digit for the digits before it (any length up to 13)."""
    padded = digits.rjust(13, "0")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(padded))
    return str((10 - total % 10) % 10)


def with_check_digit(body):
    return body + check_digit(body)


def demo_gtins():
    found = []
    for f in sorted(DEMO.glob("*/*.json")):
        g = json.loads(f.read_text(encoding="utf-8")).get("gtin")
        if g:
            found.append(g)
    return found


def demo_prefixes():
    return sorted(p for f in DEMO.glob("*/gs1-prefixes.txt") for p in f.read_text().split())


def in_prefix(prefix):
    """A GTIN-13 in a GS1 Company Prefix (given in GTIN-13 form)."""
    return st.text("0123456789", min_size=12 - len(prefix), max_size=12 - len(prefix)).map(
        lambda rest: with_check_digit(prefix + rest))


def any_gtin():
    """Any length, any digits, except all zeros (the format says GS1 issues no such GTIN)."""
    return st.sampled_from([8, 12, 13, 14]).flatmap(
        lambda n: st.text("0123456789", min_size=n - 1, max_size=n - 1)).map(
        with_check_digit).filter(lambda g: g.strip("0"))


schemathesis.openapi.format("gtin", st.one_of(
    st.sampled_from(demo_gtins()),
    st.one_of(*[in_prefix(p) for p in demo_prefixes()]),
    any_gtin()))


def demo_ids():
    return sorted(json.loads(f.read_text(encoding="utf-8"))["id"]
                  for f in DEMO.glob("*/*.json"))


@schemathesis.hook
def flatmap_path_parameters(ctx, params):
    """A product ID in a path is, as often as not, one of the demo products', so that labels,
    CTA-2120 documents, histories and writes reach a product (random IDs only find none)."""
    if not params or "id" not in params:
        return st.just(params)
    return st.one_of(st.just(params),
                     st.sampled_from(demo_ids()).map(lambda i: dict(params, id=i)))


def business_rules():
    """{(METHOD, path): {status: {error code: [details rules]}}} from x-business-rules."""
    table = {}
    for path, item in DOC["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            for status, resp in op["responses"].items():
                rules = resolve_response(resp).get("x-business-rules")
                if rules:
                    table.setdefault((method.upper(), path), {})[int(status)] = rules
    return table


def resolve_response(resp):
    if "$ref" in resp:
        node = DOC
        for seg in resp["$ref"][2:].split("/"):
            node = node[seg]
        return node
    return resp


BUSINESS_RULES = business_rules()


@schemathesis.check
def business_refusal_is_documented(ctx, response, case):
    """A schema-valid request refused with a status listed in x-business-rules must carry one of
    the error codes listed there (and name only the listed `details` rules)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    rules = BUSINESS_RULES.get((case.operation.method.upper(), case.operation.path), {}).get(
        response.status_code)
    if rules is None:
        return None
    try:
        body = response.json()
    except ValueError:
        raise AssertionError("A refusal of a schema-valid request is not a JSON error")
    error = body.get("error") if isinstance(body, dict) else None
    if error not in rules:
        raise AssertionError(
            "Schema-valid request refused with %d %r, which is not a documented business rule "
            "of this response (x-business-rules: %s)" % (response.status_code, error,
                                                        ", ".join(rules)))
    allowed = set(rules[error] or [])
    named = {d.get("rule") for d in body.get("details", [])}
    if named - allowed:
        raise AssertionError(
            "Schema-valid declaration refused for %s, a rule the schema states (only %s are "
            "the registry's own)" % (", ".join(sorted(named - allowed)),
                                     ", ".join(sorted(allowed)) or "none"))
    return None


@schemathesis.hook
def before_call(ctx, case, kwargs):
    """Leave out a generated search `cursor` (see the module comment)."""
    if isinstance(case.query, dict):
        case.query.pop("cursor", None)
    if isinstance(kwargs.get("params"), dict):
        kwargs["params"].pop("cursor", None)
