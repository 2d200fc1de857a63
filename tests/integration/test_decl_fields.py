"""The declaration's fields have one C home, registry/core/decl_fields.h (issue 13); the schema states
them for JSON Schema tools. These tests keep the two from drifting: the same names, the same
required ones, each C spec the twin of the schema's definition, the CSV columns every leaf of
the schema, the CTA-2120 mapping exactly the names CTA-2120 defines, every page row shown, and
the OpenAPI record listing every field.

Nothing here or in the round trips names a field by hand: test_import_export.py's
test_a_declaration_with_every_field_set_round_trips makes a declaration with every field of the
schema set and takes it through CSV, JSON Lines and CTA-2120; the page test below shows the
same declaration."""
import html.parser
import json
import random
import re

import yaml

from conftest import ROOT, cli, declaration

SCHEMA = json.loads((ROOT / "schema" / "declaration.schema.json").read_text())
CTA = json.loads((ROOT / "schema" / "cta-2120" / "usctm-schema-1-0-0.json")
                 .read_text(encoding="utf-8-sig"))
REGISTRY_MANAGED = {"$ref": "#/$defs/registry_managed"}


def table():
    """decl_fields.h's rows: (name, spec, required, csv, cta, page), in its order."""
    text = (ROOT / "registry" / "core" / "decl_fields.h").read_text()
    body = text[text.index("#define DECL_FIELDS(X)"):]
    body = body[:body.index("\n\n")].replace("\\\n", " ")
    rows = re.findall(r"X\((\w+),\s*(\w+),\s*(\w+),\s*(\w+),\s*(\w+),\s*(NO_ROW|ROW\([^)]*\))\)",
                      body)
    assert len(rows) == len(re.findall(r"\bX\(", body)), "a row decl_fields.h's pattern does not read"
    return rows


def declared():
    """The schema's declaration properties (not the registry-managed ones)."""
    return {k: v for k, v in SCHEMA["properties"].items() if v != REGISTRY_MANAGED}


# What each of decl.c's specs is in the schema: a test on the property's definition.
SPECS = {
    "id": lambda p: p.get("pattern", "").startswith("^[A-Za-z0-9]"),
    "text": lambda p: p.get("$ref") == "#/$defs/text",
    "date": lambda p: p.get("$ref") == "#/$defs/date",
    "url": lambda p: p.get("$ref") == "#/$defs/https_url",
    "link": lambda p: p.get("$ref") == "#/$defs/link",
    "party": lambda p: p.get("$ref") == "#/$defs/party",
    "gtin": lambda p: p.get("format") == "gtin",
    "contact": lambda p: [a["$ref"] for a in p.get("anyOf", [])] == ["#/$defs/email",
                                                                        "#/$defs/https_url"],
    "password": lambda p: p.get("enum") == ["unique_per_device", "user_defined", "no_password",
                                            "universal"],
    "markets": lambda p: p.get("type") == "array" and p["items"] == {"$ref": "#/$defs/country"},
    "versions": lambda p: p.get("type") == "array" and p["items"] == {"$ref": "#/$defs/text"},
    "sensors": lambda p: p.get("type") == "array" and p["items"] == {"$ref": "#/$defs/sensor"},
    "update_info": lambda p: set(p.get("properties", ())) == {"update_default", "update_options"},
    "access": lambda p: "password_change" in p.get("properties", ()),
    "bom": lambda p: set(p.get("properties", ())) == {"sbom_maintained", "hbom_maintained"},
}
# Which CSV kinds a schema definition may take (one column, or an object's dotted columns).
CSV_FOR_SPEC = {"text": {"TEXT"}, "link": {"LINK"}, "party": {"PARTY"}, "update_info": {"UPDATE"},
                "access": {"ACCESS"}, "bom": {"BOM"}, "markets": {"LIST"}, "versions": {"LIST"},
                "sensors": {"JSON"}}


def test_the_table_has_the_schemas_fields_and_required_list():
    rows = table()
    names = [r[0] for r in rows]
    assert len(names) == len(set(names))
    assert set(names) == set(declared())
    assert {r[0] for r in rows if r[2] == "REQUIRED"} == set(SCHEMA["required"])
    assert {r[2] for r in rows} <= {"REQUIRED", "OPTIONAL"}


def test_each_fields_check_is_the_schemas():
    props = declared()
    for name, spec, _, csv, _, _ in table():
        assert spec in SPECS, (name, spec)
        assert SPECS[spec](props[name]), (name, spec, props[name])
        assert csv in CSV_FOR_SPEC.get(spec, {"WORD"}), (name, spec, csv)


def test_cta_mapping_is_exactly_the_names_cta_2120_defines():
    for name, _, _, _, cta, _ in table():
        assert cta in ("CTA", "NONE"), name
        # version_and_model_numbers: required by CTA-2120 but not defined (cta.c says more)
        assert (cta == "CTA") == (name in CTA["properties"] or name in CTA["required"]), name


def leaves(prop, prefix):
    """The CSV columns a schema property needs: an object's members by dotted name (links
    inside too), anything else one column."""
    if prop.get("$ref") in ("#/$defs/link", "#/$defs/party"):
        prop = SCHEMA["$defs"][prop["$ref"].split("/")[-1]]
    if prop.get("type") != "object":
        return [prefix]
    return [c for k, v in prop["properties"].items() for c in leaves(v, prefix + "." + k)]


def test_csv_columns_are_every_leaf_of_the_schema_in_the_tables_order(tmp_path, server, acme):
    assert server.put("/v1/products/acme-x", acme, json=declaration(id="acme-x")).status_code == 201
    out = tmp_path / "one.csv"
    r = cli("export", "--format", "csv", "-o", out, server=server)
    assert r.returncode == 0, r.stderr
    header = out.read_text().splitlines()[0].split(",")
    props = declared()
    assert header == [c for row in table() for c in leaves(props[row[0]], row[0])]


def test_page_rows_name_their_words():
    for name, _, _, _, _, page in table():
        if page == "NO_ROW":
            continue
        section, how, key = re.fullmatch(r"ROW\((\w+),\s*(\w+),\s*(\w+)\)", page).groups()
        assert section in ("USE", "DATA", "BOM", "ASSURANCE") and how in ("LINK", "PARTY", "FACT", "URL")
        for lang in ("en", "de", "zh"):
            words = (ROOT / "web" / "i18n" / (lang + ".txt")).read_text()
            assert re.search(r"^%s = \S" % key, words, re.M), (name, lang, key)


class Terms(html.parser.HTMLParser):
    """A page's <dt>/<dd> pairs: [(term, text of its description, [hrefs in it])]."""

    def __init__(self, page):
        super().__init__()
        self.pairs, self.into = [], None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        if tag == "dt":
            self.pairs.append(["", "", []])
            self.into = 0
        elif tag == "dd" and self.pairs:
            self.into = 1
        elif tag == "a" and self.into == 1:
            self.pairs[-1][2].append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag in ("dt", "dd"):
            self.into = None

    def handle_data(self, data):
        if self.into is not None:
            self.pairs[-1][self.into] += data


def english(key):
    words = (ROOT / "web" / "i18n" / "en.txt").read_text()
    return re.search(r"^%s = (.*)$" % key, words, re.M).group(1)


def test_a_declaration_with_every_field_shows_every_row_on_its_page(server, acme):
    """A declaration made from the schema with every field set (nothing here names a field):
    each field decl_fields.h gives a page row is shown under its label, as its kind says."""
    from test_import_export import gen_declaration
    d = gen_declaration(random.Random(13), "acme-every-field", 1, full=True)
    assert server.put("/v1/products/acme-every-field", acme, json=d).status_code == 201
    terms = [t for path in ("/p/acme-every-field", "/p/acme-every-field/details")
             for t in Terms(server.get(path, params={"lang": "en"}).text).pairs]
    shown = 0
    for name, _, _, _, _, page in table():
        if page == "NO_ROW":
            continue
        _, how, key = re.fullmatch(r"ROW\((\w+),\s*(\w+),\s*(\w+)\)", page).groups()
        v = d[name]
        # (the description's text, its links): a party's contact may or may not be a link
        want = {"LINK": lambda: (v["text"], [v["url"]]), "URL": lambda: (v, [v]),
                "FACT": lambda: (v, []), "PARTY": lambda: (v["name"] + v["contact"], None)}[how]()
        rows = [(text, hrefs) for term, text, hrefs in terms if term == english(key)]
        assert len(rows) == 1, (name, key, rows)
        assert rows[0][0] == want[0] and want[1] in (None, rows[0][1]), (name, rows[0], want)
        shown += 1
    assert shown >= 9


def test_the_openapi_record_lists_every_field():
    """RecordFields names each declaration field with a $ref to the schema's definition, as
    JSON Schema cannot take another schema's properties without its additionalProperties: false
    and its refusal of the registry's fields (see RecordFields' description). So the list is
    checked here, and a missing line is given as it must be written."""
    api = yaml.safe_load((ROOT / "schema" / "openapi.yaml").read_text())
    record = api["components"]["schemas"]["RecordFields"]
    refs = {k: v for k, v in record["properties"].items()
            if str(v.get("$ref", "")).startswith("./declaration.schema.json")}
    want = {name: {"$ref": "./declaration.schema.json#/properties/" + name}
            for name in declared() if name != "id"}
    missing = ["        %s: {$ref: \"%s\"}" % (n, want[n]["$ref"]) for n in want if n not in refs]
    assert not missing, "schema/openapi.yaml RecordFields lacks:\n" + "\n".join(missing)
    assert list(refs.items()) == list(want.items())  # the same, in the schema's order
    assert set(SCHEMA["required"]) <= set(record["required"])
