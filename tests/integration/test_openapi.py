"""schema/openapi.yaml and docs/API.md against the code: the OpenAPI document is valid OpenAPI
3.1 (with its examples matching its schemas), it lists exactly the routes of registry/server/api.c's
route table, it and the docs name every error code of registry/core/err.h with its status, and real
responses of a running seclabeld validate against the response schemas it declares.

The document refers to schema/declaration.schema.json with relative $refs. Every one of them
must resolve: a missing file or a broken $ref fails the checks that use the schemas, it never
turns them into a skip or a permissive stand-in."""
import copy
import json
import pathlib
import re
import urllib.parse

import jsonschema
import pytest
import referencing.exceptions
import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conftest import EXAMPLES, ROOT, declaration

OPENAPI = ROOT / "schema" / "openapi.yaml"
DECLARATION = ROOT / "schema" / "declaration.schema.json"
API_MD = ROOT / "docs" / "API.md"
API_C = ROOT / "registry" / "server" / "api.c"
ERR_H = ROOT / "registry" / "core" / "err.h"

DECL_REF = "./declaration.schema.json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def load_openapi():
    return yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))


DOC = load_openapi()


def declaration_schema():
    """The declaration schema, or None (with the reason) if it is missing or not JSON."""
    if not DECLARATION.exists():
        return None, "%s does not exist yet" % DECLARATION.relative_to(ROOT)
    try:
        return json.loads(DECLARATION.read_text(encoding="utf-8")), None
    except ValueError as e:
        return None, "%s is not valid JSON: %s" % (DECLARATION.relative_to(ROOT), e)


def declaration_refs(node, found=None):
    """Every $ref into the declaration schema, as written."""
    found = set() if found is None else found
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(DECL_REF):
            found.add(ref)
        for v in node.values():
            declaration_refs(v, found)
    elif isinstance(node, list):
        for v in node:
            declaration_refs(v, found)
    return found


def registry_for(decl):
    return Registry().with_resources([
        (OPENAPI.as_uri(), DRAFT202012.create_resource(DOC)),
        (DECLARATION.as_uri(), DRAFT202012.create_resource(decl)),
    ])


def pointer(*segments):
    """A URI fragment for a JSON pointer made of these segments."""
    p = "".join("/" + str(s).replace("~", "~0").replace("/", "~1") for s in segments)
    return "#" + urllib.parse.quote(p, safe="/~!$&'()*+,;=:@")


def validator(registry, fragment):
    return jsonschema.Draft202012Validator(
        {"$ref": OPENAPI.as_uri() + fragment}, registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def checked_registry(decl):
    """The schemas, with every $ref into the declaration schema resolved, or an AssertionError
    naming the first that does not resolve."""
    assert decl is not None, "cannot resolve the declaration $refs: " + declaration_schema()[1]
    reg = registry_for(decl)
    for ref in sorted(declaration_refs(DOC)):
        try:
            reg.resolver(OPENAPI.as_uri()).lookup(ref)
        except referencing.exceptions.Unresolvable as e:
            raise AssertionError("%s does not resolve in %s: %s"
                                 % (ref, DECLARATION.relative_to(ROOT), e)) from e
    return reg


@pytest.fixture(scope="module")
def registry():
    return checked_registry(declaration_schema()[0])


def test_a_broken_declaration_ref_fails():
    """The check itself: a declaration schema without a property the document points at."""
    decl, _ = declaration_schema()
    broken = copy.deepcopy(decl)
    refs = sorted(declaration_refs(DOC))
    name = next(re.fullmatch(re.escape(DECL_REF) + r"#/properties/([^/]+)", r).group(1)
                for r in refs if "#/properties/" in r)
    del broken["properties"][name]
    with pytest.raises(AssertionError, match="#/properties/" + name):
        checked_registry(broken)
    checked_registry(decl)


# --- (a) the document is valid OpenAPI 3.1 ----------------------------------------------------

def test_openapi_document_is_valid_without_the_declaration_schema(tmp_path):
    """Everything but the declaration schema: its $refs point at an empty schema here."""
    doc = copy.deepcopy(DOC)

    def cut(node):
        if isinstance(node, dict):
            if str(node.get("$ref", "")).startswith(DECL_REF):
                node.pop("$ref")
            for v in node.values():
                cut(v)
        elif isinstance(node, list):
            for v in node:
                cut(v)
    cut(doc)
    assert doc["openapi"] == "3.1.0"
    validate(doc, base_uri=(tmp_path / "openapi.yaml").as_uri(), cls=OpenAPIV31SpecValidator)


def test_openapi_document_is_valid_with_the_declaration_schema():
    decl, why = declaration_schema()
    assert decl is not None, "cannot resolve the declaration $refs: " + why
    # The validator reads the declaration schema as YAML: a JSON surrogate-pair escape there
    # (a "\ud83d\ude00" for an astral character) is not YAML and makes every $ref unresolvable;
    # write such characters literally. This check must fail, never skip: it is the contract's.
    try:
        validate(DOC, base_uri=OPENAPI.as_uri(), cls=OpenAPIV31SpecValidator)
    except referencing.exceptions.Unresolvable as e:
        pytest.fail("a $ref into %s does not resolve: %s (%r)"
                    % (DECLARATION.relative_to(ROOT), e, e.__cause__))


def test_put_body_is_the_declaration_schema_itself():
    body = DOC["paths"]["/v1/products/{id}"]["put"]["requestBody"]["content"]
    assert body["application/json"]["schema"] == {"$ref": DECL_REF}


def examples_to_check(node, path=()):
    """(pointer to a schema, example value, where) for every example in the document: media type
    and parameter examples (maps of Example objects, or `example`), and schema-level examples."""
    if isinstance(node, dict):
        if "schema" in node and isinstance(node["schema"], dict):
            if "example" in node:
                yield path + ("schema",), node["example"], path
            for name, ex in (node.get("examples") or {}).items():
                if "$ref" in ex:
                    ex = resolve_local(ex["$ref"])
                yield path + ("schema",), ex["value"], path + ("examples", name)
        if path and path[-1] != "examples" and isinstance(node.get("examples"), list) \
                and "schema" not in node:
            for i, v in enumerate(node["examples"]):
                yield path, v, path + ("examples", i)
        for k, v in node.items():
            if k == "examples" and isinstance(v, dict) and path == ("components",):
                continue  # the Example objects themselves are checked where they are used
            yield from examples_to_check(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from examples_to_check(v, path + (i,))


def resolve_local(ref):
    assert ref.startswith("#/"), ref
    node = DOC
    for seg in ref[2:].split("/"):
        node = node[seg.replace("~1", "/").replace("~0", "~")]
    return node


def test_every_example_matches_its_schema(registry):
    checked = 0
    for schema_path, value, where in examples_to_check(DOC):
        errors = list(validator(registry, pointer(*schema_path)).iter_errors(value))
        assert not errors, "%s: %s" % ("/".join(map(str, where)), errors[0].message)
        checked += 1
    assert checked > 40


# --- (b) no drift between the route table and the document ------------------------------------

def route_table():
    """{(method, pattern)} from registry/server/api.c's routes[], with "{}" for a parameter."""
    src = API_C.read_text(encoding="utf-8")
    table = re.search(r"static const struct route routes\[\]\s*=\s*\{(.*?)\n\};", src, re.S)
    assert table, "routes[] not found in registry/server/api.c"
    routes = set()
    for methods, pattern, _fn in re.findall(
            r'\{\s*(HTTP_M_[A-Z]+(?:\s*\|\s*HTTP_M_[A-Z]+)*)\s*,\s*"([^"]*)"\s*,\s*(\w+)\s*,'
            r'\s*(?:NULL|"[^"]*"|[A-Z_]+)\s*\}',
            table.group(1)):
        for m in re.findall(r"HTTP_M_([A-Z]+)", methods):
            routes.add((m.lower(), pattern.replace("{**}", "{}")))  # the rest of the path
    assert len(routes) >= 19
    return routes


def openapi_operations():
    ops = set()
    for path, item in DOC["paths"].items():
        for m in METHODS:
            if m in item:
                ops.add((m, re.sub(r"\{[^}/]+\}", "{}", path)))
    return ops


def test_every_route_is_in_the_document_and_nothing_else():
    routes = route_table()
    ops = openapi_operations()
    gets = {p for m, p in routes if m == "get"}
    # HEAD is implied wherever GET is (router.c); the document does not list it separately.
    routes = {(m, p) for m, p in routes if not (m == "head" and p in gets)}
    ops = {(m, p) for m, p in ops if not (m == "head" and p in gets)}
    assert sorted(routes - ops) == [], "routes missing from schema/openapi.yaml"
    assert sorted(ops - routes) == [], "operations in schema/openapi.yaml with no route"


def test_path_parameters_are_declared():
    for path, item in DOC["paths"].items():
        names = set(re.findall(r"\{([^}/]+)\}", path))
        for m in METHODS:
            if m not in item:
                continue
            params = [resolve_local(p["$ref"]) if "$ref" in p else p
                      for p in item.get("parameters", []) + item[m].get("parameters", [])]
            declared = {p["name"] for p in params if p["in"] == "path"}
            assert declared == names, (m, path)


def route_queries():
    """{(method, pattern): set of query parameter names, or None} from api.c's routes[]: the
    parameters a route takes (its fourth member, macros resolved from api.c and search.h), or
    None where the route ignores parameters it does not know."""
    src = API_C.read_text(encoding="utf-8")
    macros = dict(re.findall(r'^#define ([A-Z_]+) "([^"]*)"', src + "\n" + (
        ROOT / "registry" / "core" / "search.h").read_text(encoding="utf-8"), re.M))
    out = {}
    for methods, pattern, query in re.findall(
            r'\{\s*(HTTP_M_[A-Z]+(?:\s*\|\s*HTTP_M_[A-Z]+)*)\s*,\s*"([^"]*)"\s*,\s*\w+\s*,'
            r'\s*(NULL|"[^"]*"|[A-Z_]+)\s*\}', src):
        names = None if query == "NULL" else set(macros.get(query, query.strip('"')).split())
        for m in re.findall(r"HTTP_M_([A-Z]+)", methods):
            out[(m.lower(), pattern.replace("{**}", "{}"))] = names
    return out


def test_query_parameters_are_those_the_route_table_takes():
    """Where the server refuses query parameters it does not take, the document lists exactly
    the ones it takes; where it ignores them, the document says so (x-unknown-query-parameters,
    which the Schemathesis run reads), and lists only parameters it uses."""
    queries = route_queries()
    for path, item in DOC["paths"].items():
        for m in METHODS:
            if m not in item:
                continue
            params = [resolve_local(p["$ref"]) if "$ref" in p else p
                      for p in item.get("parameters", []) + item[m].get("parameters", [])]
            declared = {p["name"] for p in params if p["in"] == "query"}
            takes = queries[(m, re.sub(r"\{[^}/]+\}", "{}", path))]
            ignored = item[m].get("x-unknown-query-parameters") == "ignored"
            if takes is None:
                assert ignored, (m, path, "ignores unknown parameters: say so")
            else:
                assert not ignored, (m, path, "refuses unknown parameters")
                assert declared == takes, (m, path, sorted(declared), sorted(takes))


# --- (c) every error code, with its status ----------------------------------------------------

def error_table():
    """{name: status} from registry/core/err.h's REG_ERR_MAP."""
    src = ERR_H.read_text(encoding="utf-8")
    codes = dict((name, int(status)) for status, name in re.findall(
        r'XX\(\s*E\w+\s*,\s*-?\d+\s*,\s*(\d{3})\s*,\s*"([a-z_]+)"', src))
    assert len(codes) >= 26
    return codes


def test_error_code_enum_is_exactly_err_h():
    enum = DOC["components"]["schemas"]["ErrorCode"]["enum"]
    assert len(enum) == len(set(enum))
    assert sorted(enum) == sorted(error_table())


def test_docs_list_every_error_code_with_its_status():
    md = API_MD.read_text(encoding="utf-8")
    for name, status in error_table().items():
        rows = re.findall(r"^\|\s*`%s`\s*\|\s*(\d{3})\s*\|" % name, md, re.M)
        assert rows, "docs/API.md has no table row for `%s`" % name
        assert rows == [str(status)], "docs/API.md gives `%s` status %s, err.h %d" % (
            name, rows, status)


def error_codes_in(schema):
    """The error codes a response schema restricts `error` to (allOf [Error, {error: ...}])."""
    for part in schema.get("allOf", []):
        e = part.get("properties", {}).get("error", {})
        if "const" in e:
            return [e["const"]]
        if "enum" in e:
            return e["enum"]
    return []


def test_documented_error_codes_have_err_h_statuses():
    codes = error_table()
    seen = set()
    for path, item in DOC["paths"].items():
        for m in METHODS:
            for status, resp in item.get(m, {}).get("responses", {}).items():
                if "$ref" in resp:
                    resp = resolve_local(resp["$ref"])
                schema = resp.get("content", {}).get("application/json", {}).get("schema", {})
                for code in error_codes_in(schema):
                    assert codes[code] == int(status), (m, path, status, code)
                    seen.add(code)
    # Codes no operation lists: 405 is answered for the methods a path lacks (see info), and
    # overlaps_other_manufacturer and no_database only by the operator's commands (no HTTP
    # route changes makers or opens another database); the log's key and note codes only by
    # the commands that read keys and notes (registry/core/note.h); bad_proof only by seclabel
    # verify's proof checks (registry/core/tlogv.h); read_only_mirror only by a mirror
    # (seclabeld --mirror-of), to every write (test_mirror.py); data_format_newer only when a
    # data directory is opened (registry/core/dataver.h).
    assert set(codes) - seen == {"method_not_allowed", "overlaps_other_manufacturer",
                                 "no_database", "bad_log_key", "bad_note", "note_unverified",
                                 "bad_proof", "read_only_mirror", "data_format_newer"}


# --- (d) real responses match the declared schemas --------------------------------------------

def response_schema(path, method, status, content_type):
    """Pointer to the schema the document declares for this response; fails if undocumented."""
    op = DOC["paths"][path][method]
    assert str(status) in op["responses"], "%s %s: status %s not documented" % (
        method.upper(), path, status)
    resp = op["responses"][str(status)]
    where = ("paths", path, method, "responses", str(status))
    if "$ref" in resp:
        where = tuple(resp["$ref"][2:].split("/"))
        resp = resolve_local(resp["$ref"])
    media = content_type.split(";")[0].strip()
    assert media in resp.get("content", {}), "%s %s %s: %s not documented" % (
        method.upper(), path, status, media)
    return pointer(*where, "content", media, "schema")


def check(registry, r, path, method="get"):
    schema = response_schema(path, method, r.status_code, r.headers["Content-Type"])
    body = r.json()
    errors = list(validator(registry, schema).iter_errors(body))
    assert not errors, "%s %s -> %d: %s at %s" % (
        method.upper(), path, r.status_code, errors[0].message, list(errors[0].absolute_path))
    assert re.fullmatch(r"[0-9a-f]{16}", r.headers["X-Request-Id"])
    return body


def complete_declaration():
    return json.loads((EXAMPLES / "valid" / "acme-cam-2-complete.json").read_text())


def test_real_responses_match_the_document(server, acme, registry):
    s = server
    cam = complete_declaration()
    r = s.put("/v1/products/acme-cam-2", acme, json=cam)
    assert r.status_code == 201
    check(registry, r, "/v1/products/{id}", "put")
    assert re.fullmatch(r'"1\.\d+\.\d+\.[0-9a-f]{8}"', r.headers["ETag"])
    assert r.headers["Location"] == "/v1/products/acme-cam-2"
    assert r.headers["Seclabel-Change"] == "created"
    r = s.put("/v1/products/acme-cam-2", acme, json=cam, headers={"If-Match": r.headers["ETag"]})
    assert r.status_code == 200 and r.headers["Seclabel-Change"] == "unchanged"
    check(registry, r, "/v1/products/{id}", "put")
    s.put("/v1/products/acme-plug", acme, json=declaration(id="acme-plug", default_password="universal"))

    rec = check(registry, s.get("/v1/products/acme-cam-2"), "/v1/products/{id}")
    assert rec["gtin"] == "05012345678900" and rec["compliance"]["compliant"] is True
    r = s.get("/v1/products/acme-cam-2", headers={"If-None-Match": r.headers["ETag"]})
    assert r.status_code == 304 and "304" in DOC["paths"]["/v1/products/{id}"]["get"]["responses"]
    check(registry, s.get("/v1/products/acme-plug"), "/v1/products/{id}")
    check(registry, s.get("/v1/products/nope"), "/v1/products/{id}")
    check(registry, s.get("/v1/products/-bad"), "/v1/products/{id}")

    page = check(registry, s.get("/v1/products", params={"limit": 1}), "/v1/products")
    assert page["count"] == 1 and page["next_cursor"].endswith("~acme-cam-2")  # opaque
    page = check(registry, s.get("/v1/products", params={"cursor": page["next_cursor"]}),
                 "/v1/products")
    assert [p["id"] for p in page["items"]] == ["acme-plug"] and page["next_cursor"] is None
    check(registry, s.get("/v1/products", params={"support": "soon"}), "/v1/products")
    r = s.get("/v1/facets")
    f = check(registry, r, "/v1/facets")
    assert f["total"] == 2 and f["compliant"] == {"true": 1, "false": 1}, f
    assert s.get("/v1/facets", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    check(registry, s.get("/v1/facets?pretty=1"), "/v1/facets")

    check(registry, s.post("/v1/lookup", json={"ids": ["acme-plug", "nope", "bad id"],
                                               "gtins": ["5012345678900", "123"]}),
          "/v1/lookup", "post")
    check(registry, s.post("/v1/lookup", json={"ids": ["x"] * 1001}), "/v1/lookup", "post")
    b = check(registry, s.post("/v1/batch", acme, json={"products": [
        cam, dict(cam, id="acme-cam-b", gtin=None), {"id": "acme-cam-c"}]}), "/v1/batch", "post")
    assert [x["result"] for x in b["results"]] == ["unchanged", "failed", "failed"]
    check(registry, s.post("/v1/batch", acme, json={"products": [cam, {}]}), "/v1/batch", "post")
    check(registry, s.post("/v1/batch", acme, json={"products": {}}), "/v1/batch", "post")

    bad = s.put("/v1/products/acme-plug", acme, json=declaration(id="acme-plug", support_date="soon",
                                                             colour="red"))
    err = check(registry, bad, "/v1/products/{id}", "put")
    assert err["error"] == "invalid_declaration" and len(err["details"]) == 2
    check(registry, s.put("/v1/products/acme-plug", json=declaration(id="acme-plug")),
          "/v1/products/{id}", "put")
    check(registry, s.put("/v1/products/acme-plug", acme, json=declaration(id="acme-plug"),
                          headers={"If-Match": '"9"'}), "/v1/products/{id}", "put")
    check(registry, s.put("/v1/products/acme-plug", acme, json=declaration(
        id="acme-plug", support_date="2020-01-01")), "/v1/products/{id}", "put")

    w = check(registry, s.post("/v1/products/acme-plug/withdraw", acme),
              "/v1/products/{id}/withdraw", "post")
    assert w["status"] == "withdrawn" and w["version"] == 2
    hist = check(registry, s.get("/v1/products/acme-plug/versions"), "/v1/products/{id}/versions")
    assert [v["kind"] for v in hist["versions"]] == ["created", "withdrawn"]
    v = check(registry, s.get("/v1/products/acme-plug/versions/2"),
              "/v1/products/{id}/versions/{version}")
    assert v["changes"] == [{"field": "status", "from": "active", "to": "withdrawn"}]
    check(registry, s.get("/v1/products/acme-plug/versions/0"), "/v1/products/{id}/versions/{version}")

    feed = check(registry, s.get("/v1/changes", params={"since": 1, "limit": 1}), "/v1/changes")
    assert feed["last_seq"] == 2 and feed["more"] is True
    check(registry, s.get("/v1/changes", params={"limit": 0}), "/v1/changes")

    check(registry, s.get("/v1/products/acme-cam-2/cta-2120"), "/v1/products/{id}/cta-2120")
    cta = check(registry, s.get("/v1/products/acme-plug/cta-2120"), "/v1/products/{id}/cta-2120")
    assert cta["error"] == "cta_incomplete" and cta["missing"]

    check(registry, s.get("/v1/manufacturers/acme"), "/v1/manufacturers/{slug}")
    check(registry, s.get("/v1/manufacturers/nobody"), "/v1/manufacturers/{slug}")
    check(registry, s.get("/healthz"), "/healthz")
    check(registry, s.get("/.well-known/gs1resolver"), "/.well-known/gs1resolver")
    check(registry, s.get("/01/5012345678900", headers={"Accept": "application/linkset+json"}),
          "/01/{gtin}")
    check(registry, s.get("/01/5012345678900", allow_redirects=False), "/01/{gtin}")
    check(registry, s.get("/01/5012345678901"), "/01/{gtin}")
    check(registry, s.get("/p/acme-plug/label.png"), "/p/{id}/label.png")

    # 405 is not an operation's response: it is answered for the methods a path lacks.
    r = s.http.delete(s.url + "/v1/products/acme-plug", timeout=10)
    assert r.status_code == 405 and r.headers["Allow"] == "GET, HEAD, PUT, OPTIONS"
    assert not validator(registry, pointer("components", "schemas", "Error")).is_valid(
        dict(r.json(), extra=1))
    validator(registry, pointer("components", "schemas", "Error")).validate(r.json())
