"""schema/declaration.schema.json and the registry's C validator agree.

The C side is decl.c reached through `seclabel validate`. Every example in schema/examples/valid/
must pass both, and every one in invalid/ must fail both, at the same place and for the same
rule. An invalid example breaks exactly one rule; its file name is `<where>-<what>.json`, where
<where> is the JSON pointer of the value at fault with '.' for '/':
`markets.1-not-a-country.json` must be reported at /markets/1.

jsonschema runs with format assertion on: "date", plus the schema's own "gtin" (the GS1 check
digit and not all zeros, the same rule as decl_gtin_normalize). Patterns get ECMA-262's '$' (end of the
string), as JSON Schema specifies; Python's re also matches '$' just before a final newline,
which would let "acme-bulb-1\\n" through the ID pattern (invalid/id-trailing-newline.json).
"""
import json
import re

import jsonschema
import pytest
from jsonschema import Draft202012Validator, FormatChecker

from conftest import EXAMPLES, ROOT, cli

SCHEMA = json.loads((ROOT / "schema" / "declaration.schema.json").read_text())
VALID = sorted((EXAMPLES / "valid").glob("*.json"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.json"))
DEMOS = sorted((EXAMPLES / "demo").glob("*/*.json"))
REGISTRY_FIELDS = ["version", "created", "modified", "manufacturer", "status", "qr_url",
                   "compliance", "support_status", "manufacturer_account", "state"]
# CTA-2120's required fields, less those the registry or the export supplies (schema_version,
# QR_code_url, created, modified) and with sbom_hbom_available under the name of its property.
CTA_CONCEPTS = ["sensor_data_collection", "product_name", "manufacturer_name", "authorization_date",
                "authorized_by", "tested_by", "access_control", "securing_this_product",
                "security_update_information", "support_date", "version_and_model_numbers",
                "delete_data", "account_deactivation", "encryption_and_key_management",
                "general_user_information", "security_contact", "sbom_hbom_maintained",
                "product_model"]
# decl.c names one rule where the schema's failing keyword differs or comes in a pair: dates and
# GTINs are a shape pattern plus a format, and registry fields fail the schema's "not": {}.
SAME_RULE = {"format": {"format", "pattern"}, "readOnly": {"not"}}

FORMATS = FormatChecker()


@FORMATS.checks("gtin")
def gtin_ok(s):
    """GTIN-8/12/13/14 whose last digit is the GS1 check digit, not all zeros."""
    if not isinstance(s, str):
        return True
    if not re.fullmatch(r"[0-9]{8}|[0-9]{12,14}", s) or not s.strip("0"):
        return False
    d = s.zfill(14)
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(d[:13]))
    return (10 - total % 10) % 10 == int(d[13])


def ecma_pattern(validator, pattern, instance, schema):
    """The pattern keyword with ECMA-262's '$': every schema pattern ends with it (checked below)."""
    if validator.is_type(instance, "string") and not re.search(pattern[:-1] + r"\Z", instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


Validator = jsonschema.validators.extend(Draft202012Validator, {"pattern": ecma_pattern})
VALIDATOR = Validator(SCHEMA, format_checker=FORMATS)


def pointer(parts):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def schema_errors(doc):
    """{(path, keyword)} for the schema's errors, with decl.c's paths: a member that is missing
    or unknown is reported at its own path, not at the object's."""
    out = set()
    for e in VALIDATOR.iter_errors(doc):
        where = list(e.absolute_path)
        if e.validator == "required":
            names = [n for n in e.validator_value if n not in e.instance]
        elif e.validator == "additionalProperties":
            names = [n for n in e.instance if n not in e.schema.get("properties", {})]
        else:
            names = [None]
        out |= {(pointer(where + ([n] if n is not None else [])), e.validator) for n in names}
    return out


def c_errors(path):
    """Exit code and [(path, rule)] from `seclabel validate FILE`."""
    r = cli("validate", path)
    lines = r.stdout.splitlines()
    assert lines and lines[0].startswith(f"{path}: "), r.stdout + r.stderr
    problems = [re.fullmatch(r"  (/\S*): .+ \((\w+)\)", line) for line in lines[1:]]
    assert all(problems), r.stdout
    return r.returncode, [m.groups() for m in problems]


def expected_path(example):
    where = example.name.split("-", 1)[0]
    return "/" + where.replace(".", "/")


def all_patterns(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "pattern":
                yield v
            yield from all_patterns(v)
    elif isinstance(node, list):
        for v in node:
            yield from all_patterns(v)


def test_schema_is_a_valid_2020_12_schema():
    Draft202012Validator.check_schema(SCHEMA)
    for p in all_patterns(SCHEMA):  # anchored, and '$' only as the final anchor (ecma_pattern)
        assert p.startswith("^") and p.endswith("$") and "$" not in p[:-1].replace("\\$", ""), p
        re.compile(p)


def test_enough_examples():
    assert len(INVALID) >= 32
    assert len(VALID) >= 5
    assert (EXAMPLES / "valid" / "minimal.json").exists()
    minimal = json.loads((EXAMPLES / "valid" / "minimal.json").read_text())
    assert set(minimal) == set(SCHEMA["required"])
    complete = [p.name for p in VALID
                if set(CTA_CONCEPTS) <= set(json.loads(p.read_text()))]
    assert len(complete) >= 2, complete


# No example needs to use every field: test_import_export.py makes a declaration with every
# field of this schema set, and test_decl_fields.py shows it on the pages.


@pytest.mark.parametrize("example", VALID + DEMOS, ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_valid_examples_pass_both(example):
    doc = json.loads(example.read_text())
    assert schema_errors(doc) == set()
    rc, problems = c_errors(example)
    assert (rc, problems) == (0, [])


@pytest.mark.parametrize("example", INVALID, ids=lambda p: p.name)
def test_invalid_examples_fail_both_at_the_named_path(example):
    where = expected_path(example)
    doc = json.loads(example.read_text())
    from_schema = schema_errors(doc)
    assert from_schema, "the schema accepts it"
    assert {path for path, _ in from_schema} == {where}, from_schema
    rc, problems = c_errors(example)
    assert rc == 1
    assert len(problems) == 1, problems  # one broken rule, one problem
    path, rule = problems[0]
    assert path == where
    keywords = {k for _, k in from_schema}
    assert keywords & SAME_RULE.get(rule, {rule}), (rule, keywords)


def test_registry_fields_are_refused_by_both(tmp_path):
    base = json.loads((EXAMPLES / "valid" / "minimal.json").read_text())
    for field in REGISTRY_FIELDS:
        assert SCHEMA["properties"][field] == {"$ref": "#/$defs/registry_managed"}
        f = tmp_path / (field + ".json")
        f.write_text(json.dumps(dict(base, **{field: "x"})))
        assert schema_errors(json.loads(f.read_text())) == {("/" + field, "not")}
        assert c_errors(f) == (1, [("/" + field, "readOnly")])


def test_country_codes_agree(tmp_path):
    codes = SCHEMA["$defs"]["country"]["enum"]
    assert len(codes) == 249 and codes == sorted(set(codes))
    base = json.loads((EXAMPLES / "valid" / "minimal.json").read_text())
    files = []
    for i in range(0, len(codes), 64):
        files.append(tmp_path / f"markets-{i}.json")
        files[-1].write_text(json.dumps(dict(base, markets=codes[i:i + 64])))
    r = cli("validate", *files)
    assert r.returncode == 0, r.stdout
    for code in ["UK", "EU", "XK", "ZZ", "gb", "G", "GBR"]:
        f = tmp_path / "bad.json"
        f.write_text(json.dumps(dict(base, markets=[code])))
        assert not VALIDATOR.is_valid(json.loads(f.read_text())), code
        assert c_errors(f) == (1, [("/markets/0", "enum")]), code


def test_validate_output_and_exit_codes(tmp_path):
    good = EXAMPLES / "valid" / "minimal.json"
    bad = EXAMPLES / "invalid" / "support_date-february-30.json"
    r = cli("validate", good, bad)
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        f"{good}: ok",
        f"{bad}: 1 problem",
        "  /support_date: must be a real calendar day as YYYY-MM-DD (years 1900-9999), "
        "e.g. 2030-12-31 (format)",
    ]
    zeros = EXAMPLES / "invalid" / "gtin-all-zeros.json"
    assert cli("validate", zeros).stdout.splitlines()[1:] == [
        "  /gtin: must not be all zeros: GS1 issues no such GTIN (format)"]
    r = cli("validate", good, good)
    assert r.returncode == 0 and r.stdout.count(": ok\n") == 2
    r = cli("validate", "-", stdin=good.read_text())
    assert (r.returncode, r.stdout) == (0, "<stdin>: ok\n")
    many = tmp_path / "many.json"
    many.write_text(json.dumps({"product_name": "", "colour": "red"}))
    r = cli("validate", many)
    assert r.returncode == 1 and r.stdout.startswith(f"{many}: 6 problems\n")
    notjson = tmp_path / "notjson.json"
    notjson.write_text("{oops")
    r = cli("validate", notjson)
    assert r.returncode == 1 and r.stdout.startswith(f"{notjson}: not valid JSON")
    r = cli("validate", tmp_path / "missing.json")
    assert r.returncode == 1 and "cannot open" in r.stderr
    assert cli("validate").returncode == 2
    assert cli("validate", "--strict", good).returncode == 2
    assert "validate FILE" in cli("--help").stdout


TRICKY = {
    "security_contact": ["x\u00a0y@acme.example", "sécurité@acmé.example", "a@b.c", "a@b.c\n",
                         "a@b.c\u2028", "a@b..c", "a.@b.c", "a@@b.c", "a@b.c.", "\u00e9@\u00e9.io",
                         "https://[::1]/security", "https://a.example/\u2028x",
                         "https://a.example/\x7f", "https://a.example/\x80", "https://a.example/\t",
                         "https://ä.example/sec", "https://:8443/security", "https://a.io/\u00e9x",
                         "https://a.io/\U0001F600", "https://a.io/x\r", "a\u0085b@acme.example",
                         "a@b\u205f.io", "https://a.example/\ufeffx", "https://a.example/\u3000x",
                         "https://a.example/\u1680x", "https://a.example/\u200bx",
                         "https://a.example/\u00a1x"],
    "vulnerability_disclosure_policy": ["https://a.io/\U0001F600x", "https://a.io/\U0001F600",
                                        "https://acme.example", "https://acme.example\n"],
    "id": ["a", "A.b_c-d", "a" * 64, "a\n", "é", "a b", "_a"],
    "gtin": ["00000000", "12345670", "12345670\n", "٠١٢٣٤٥٦٧", "0012345678905", "1234567890128"],
    "support_date": ["2024-02-29", "2100-02-29", "2000-02-29", "1900-01-01", "0999-01-01",
                     "2030-12-31\n", "2030-W01-1", "20301231", "２０３０-01-01"],
    "product_name": ["\t", " ", "\u200b", "a\u0000", "\U0001F600" * 2048, "\U0001F600" * 2049],
}


def test_tricky_strings_agree(tmp_path):
    """Beyond the examples: awkward characters (Unicode spaces, line separators, non-ASCII digits,
    characters outside the BMP) get the same verdict from both."""
    base = json.loads((EXAMPLES / "valid" / "minimal.json").read_text())
    cases = {}
    for field, values in TRICKY.items():
        for i, value in enumerate(values):
            f = tmp_path / f"{field}-{i}.json"
            f.write_text(json.dumps(dict(base, **{field: value})))
            cases[str(f)] = (field, value, VALIDATOR.is_valid(json.loads(f.read_text())))
    r = cli("validate", *cases)
    verdicts = {}
    for line in r.stdout.splitlines():
        m = re.match(r"(\S+): (ok|\d+ problems?)$", line)
        if m:
            verdicts[m.group(1)] = m.group(2) == "ok"
    assert verdicts.keys() == cases.keys()
    differ = [(field, value, valid) for f, (field, value, valid) in cases.items()
              if verdicts[f] != valid]
    assert not differ, differ
