"""schema/openapi.yaml against a live seclabeld, checked by an independent tool: Schemathesis
(scripts/requirements-test.txt pins it) generates requests from the document, sends them to a server
holding the demo data (schema/examples/demo/) with a manufacturer's token, and runs every check
it has (`--checks all`) on the answers. The run must report no failure.

It is bounded and repeatable: deterministic generation (Hypothesis derandomized: the same
requests every run), a fixed number of examples per operation, one worker. Stateful testing
follows the document's links. What the document cannot say in OpenAPI it says in two
extensions (see its info.description), which this test turns into Schemathesis configuration:
operations marked `x-unknown-query-parameters: ignored` are not sent unknown parameters as
"invalid" requests, and the statuses of responses with `x-business-rules` are accepted for
schema-valid requests, provided the check in schemathesis_hooks.py finds the error is one of
those rules. Anything else the server answers that the document does not allow fails.

To run it by hand against a server of your own, see the command in the failure message.
"""
import json
import pathlib
import re
import subprocess
import sys

import pytest
import yaml

from conftest import EXAMPLES, ROOT, Server, add_manufacturer, cli

OPENAPI = ROOT / "schema" / "openapi.yaml"
HOOKS = pathlib.Path(__file__).resolve().parent / "schemathesis_hooks.py"
ST = pathlib.Path(sys.executable).parent / "st"
EXAMPLES_PER_OPERATION = 25
# Schemathesis's defaults for positive_data_acceptance and negative_data_rejection. A request
# the schema refuses may also be refused for its size (413, 414, 431), as every operation
# documents.
POSITIVE_OK = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
NEGATIVE_OK = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422",
               "428", "429", "431", "5xx"]


def toml_list(items):
    return "[" + ", ".join(json.dumps(str(i)) for i in items) + "]"


def config_text(token, doc):
    """Schemathesis configuration (TOML) for this document and a manufacturer's token."""
    out = [
        "hooks = %s" % json.dumps(str(HOOKS)),
        "workers = 1",
        "[generation]",
        "deterministic = true",
        "max-examples = %d" % EXAMPLES_PER_OPERATION,
        "[checks.negative_data_rejection]",
        "expected-statuses = %s" % toml_list(NEGATIVE_OK),
        "[auth.openapi.bearer]",
        "bearer = %s" % json.dumps(token),
    ]
    for item in doc["paths"].values():
        for op in item.values():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            settings = []
            if op.get("x-unknown-query-parameters") == "ignored":
                settings.append("generation.allow-extra-parameters = false")
            business = sorted(s for s, r in op["responses"].items()
                              if resolve(doc, r).get("x-business-rules"))
            if business:
                settings.append("checks.positive_data_acceptance.expected-statuses = %s"
                                % toml_list(POSITIVE_OK + business))
            if settings:
                out += ["[[operations]]", "include-operation-id = %s"
                        % json.dumps(op["operationId"])] + settings
    return "\n".join(out) + "\n"


def resolve(doc, node):
    if "$ref" not in node:
        return node
    for seg in node["$ref"][2:].split("/"):
        doc = doc[seg]
    return doc


def demo_server(where):
    """A server with a security contact, the demo makers (names, GS1 Company Prefixes,
    verification) and products, loaded as scripts/run loads them; returns it and acme's
    token."""
    where.mkdir()
    server = Server(where / "data", "--security-contact", "security@registry.example")
    tokens = {}
    for folder in sorted(p for p in (EXAMPLES / "demo").iterdir() if p.is_dir()):
        slug = folder.name
        tokens[slug] = add_manufacturer(server.data, slug,
                                        (folder / "manufacturer.txt").read_text().strip(),
                                        prefixes=(folder / "gs1-prefixes.txt").read_text().split())
        if (folder / "verification.txt").exists():
            r = cli("admin", "manufacturer", "verify", slug, "--evidence",
                    (folder / "verification.txt").read_text().strip(), "--data", server.data)
            assert r.returncode == 0, r.stderr
        for f in sorted(folder.glob("*.json")):
            r = cli("register", f, server=server, token=tokens[slug])
            assert r.returncode == 0, (f.name, r.stderr)
    return server, tokens["acme"]


def run_schemathesis(tmp_path, server, doc, token, *args, timeout=900):
    """Run Schemathesis with every check on `doc` (a document as a dict, written next to a copy
    of the declaration schema it refers to) against server; returns the finished process and
    the command line."""
    (tmp_path / "openapi.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    (tmp_path / "declaration.schema.json").write_text(
        (ROOT / "schema" / "declaration.schema.json").read_text(encoding="utf-8"))
    (tmp_path / "schemathesis.toml").write_text(config_text(token, doc))
    cmd = [str(ST), "--no-color", "--config-file", "schemathesis.toml", "run", "openapi.yaml",
           "--url", server.url, "--checks", "all", *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=tmp_path)
    return r, "cd %s && %s" % (tmp_path, " ".join(cmd))


def load_openapi():
    return yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))


@pytest.fixture
def demo(tmp_path):
    server, token = demo_server(tmp_path / "registry")
    yield server, token
    server.stop()


def test_schemathesis_finds_no_failure(tmp_path, demo):
    """Every operation, every check: no failure and no error."""
    server, token = demo
    doc = load_openapi()
    r, cmd = run_schemathesis(tmp_path, server, doc, token)
    out = r.stdout + r.stderr
    assert r.returncode == 0, "Schemathesis failed (%s):\n%s" % (cmd, out[-15000:])
    summary = out[out.index("SUMMARY"):]
    ops = sum(m in ("get", "put", "post", "delete") for item in doc["paths"].values() for m in item)
    assert "Tested: %d" % ops in summary and " passed," in summary, summary
    assert not re.search(r"\d+ (failure|error)", summary), summary


def test_schemathesis_fails_when_the_document_and_the_server_disagree(tmp_path, demo):
    """The run above can fail: against a copy of the document that allows a search `limit` of
    up to 1000 (the server takes 1-100), Schemathesis reports the server's 400 to a request
    the document allows."""
    server, token = demo
    doc = load_openapi()
    doc["components"]["schemas"]["SearchLimit"]["maximum"] = 1000
    r, cmd = run_schemathesis(tmp_path, server, doc, token,
                              "--include-operation-id", "searchProducts", "--phases", "coverage")
    assert r.returncode != 0, r.stdout[-4000:]
    assert "Schema-valid request rejected" in r.stdout, r.stdout[-4000:]
    assert "limit: a number from 1 to 100." in r.stdout, r.stdout[-4000:]
