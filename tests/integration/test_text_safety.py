"""Text safety: the registry refuses control, invisible format and bidirectional characters in
every string a manufacturer writes (registry/core/decl.h, the schema's $defs/plain_text), and the CLI
neutralises whatever it prints anyway, so a record stored before the rule, or a hostile server,
cannot drive the terminal of whoever runs `seclabel show`."""
import http.server
import json
import re
import threading
import unicodedata

from conftest import EXAMPLES, ROOT, add_manufacturer, cli, declaration

SCHEMA = json.loads((ROOT / "schema" / "declaration.schema.json").read_text())
PLAIN = re.compile(SCHEMA["$defs"]["plain_text"]["pattern"][:-1] + r"\Z")
ZWNJ, ZWJ = 0x200C, 0x200D


def noncharacter(cp):
    return 0xFDD0 <= cp <= 0xFDEF or (cp & 0xFFFE) == 0xFFFE


def schema_refuses(cp):
    return not PLAIN.match(chr(cp))


def runs(cps):
    """[(first, last)] of the consecutive code points in the sorted list cps."""
    out = []
    for cp in cps:
        if out and out[-1][1] == cp - 1:
            out[-1][1] = cp
        else:
            out.append([cp, cp])
    return out


REFUSED = [cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF and schema_refuses(cp)]


def test_the_rule_is_cc_cf_zl_zp_and_noncharacters_but_zwnj_and_zwj():
    """The schema's class is the documented rule, checked against Python's Unicode database.
    Code points that database does not know yet (Unicode 15 added a few Cf) may differ."""
    expected = {cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF and (
        unicodedata.category(chr(cp)) in ("Cc", "Cf", "Zl", "Zp") or noncharacter(cp))}
    expected -= {ZWNJ, ZWJ}
    differ = expected.symmetric_difference(REFUSED)
    assert all(unicodedata.category(chr(cp)) == "Cn" for cp in differ), sorted(differ)[:10]
    assert len(differ) <= 16, sorted(differ)
    for cp in (0x09, 0x0A, 0x0D, 0x1B, 0x7F, 0x85, 0x9B, 0xAD, 0x200B, 0x200E, 0x202E, 0x2066,
               0x2069, 0x2028, 0xFEFF, 0xE0041, 0xFFFF, 0x10FFFF):
        assert cp in expected and schema_refuses(cp), hex(cp)
    for cp in (0x20, 0xA0, ZWNJ, ZWJ, 0xFE0F, 0x1F600, 0xE000, 0x0301):
        assert not schema_refuses(cp), hex(cp)


def test_the_c_validator_agrees_on_every_refused_code_point_and_every_edge(tmp_path):
    base = json.loads((EXAMPLES / "valid" / "minimal.json").read_text())
    probe = set(REFUSED)
    for lo, hi in runs(REFUSED):
        probe |= {lo - 1, hi + 1}
    probe = sorted(cp for cp in probe if 0 <= cp < 0x110000 and not 0xD800 <= cp <= 0xDFFF)
    files = {}
    for cp in probe:
        f = tmp_path / ("%06x.json" % cp)
        f.write_text(json.dumps(dict(base, product_name="a" + chr(cp) + "b")))
        files[str(f)] = cp
    out = []
    names = list(files)
    for i in range(0, len(names), 200):
        out += cli("validate", *names[i:i + 200]).stdout.splitlines()
    verdict = {}
    for line in out:
        m = re.match(r"(\S+): (ok|\d+ problems?)$", line)
        if m:
            verdict[files[m.group(1)]] = m.group(2) == "ok"
    assert len(verdict) == len(probe)
    wrong = [hex(cp) for cp in probe if verdict[cp] == schema_refuses(cp)]
    assert not wrong, wrong
    # Each refusal names the code point and where it is.
    r = cli("validate", tmp_path / "00202e.json")
    assert "/product_name: has U+202E RIGHT-TO-LEFT OVERRIDE, a bidirectional control, at " \
           "character 2" in r.stdout


def leaves(value, path=""):
    """(JSON pointer, string) for every string in value."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, path + "/" + k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, path + "/" + str(i))
    elif isinstance(value, str):
        yield path, value


def set_at(doc, path, value):
    parts = path.strip("/").split("/")
    for p in parts[:-1]:
        doc = doc[int(p)] if isinstance(doc, list) else doc[p]
    last = parts[-1]
    if isinstance(doc, list):
        doc[int(last)] = value
    else:
        doc[last] = value


FREE = {"enum", "date", "gtin", "id", "country"}  # strings whose own rules leave no room


def test_registry_refuses_them_in_every_free_text_field(server, acme):
    full = json.loads((EXAMPLES / "valid" / "acme-cam-2-complete.json").read_text())
    full.pop("gtin", None)
    full["id"] = "acme-cam-2"
    assert server.put("/v1/products/acme-cam-2", acme, json=full).status_code in (200, 201)
    checked = 0
    for path, value in leaves(full):
        if path.startswith(("/id", "/gtin", "/support", "/authorization_date", "/markets",
                            "/default_password")) or path.endswith(("sensing", "_default",
                                                                   "password_type")) or \
                "/update_options/" in path or "/password_options/" in path:
            continue
        doc = json.loads(json.dumps(full))
        set_at(doc, path, value[:3] + "\u202e" + value[3:])
        r = server.put("/v1/products/acme-cam-2", acme, json=doc)
        assert (r.status_code, r.json()["error"]) == (400, "invalid_declaration"), (path, r.text)
        details = r.json()["details"]
        assert [(d["path"], d["rule"]) for d in details] == [(path, "pattern")], details
        assert "U+202E RIGHT-TO-LEFT OVERRIDE" in details[0]["message"]
        assert "at character 4" in details[0]["message"]
        checked += 1
    assert checked == 23, checked  # every free-text and URL string of that declaration
    assert server.get("/v1/products/acme-cam-2").json()["version"] == 1  # nothing stored


# --- a hostile (or old) registry: the CLI prints nothing that drives a terminal ---------------

EVIL = ("Cam\x1b]0;owned\x07\x1b]52;c;Y2FsYw==\x07\x1b[2J\u009b31m\u202egpj.exe\u2066"
        "\x7f\u200b\ufeff\U000e0041\n\r\tend")
SAFE_EVIL = ("Cam\\u001b]0;owned\\u0007\\u001b]52;c;Y2FsYw==\\u0007\\u001b[2J\\u009b31m"
             "\\u202egpj.exe\\u2066\\u007f\\u200b\\ufeff\\U000e0041\\u000a\\u000d\\u0009end")


def evil_record(pid="acme-x"):
    return dict(declaration(id=pid, product_name=EVIL, product_model=EVIL,
                            manufacturer_name=EVIL, security_contact=EVIL), version=3,
                qr_url="https://reg.example/p/" + pid + "\x1b[8m", manufacturer="acme",
                status="active", created="2025-01-01T00:00:00Z", modified="x\x1b[1m",
                compliance={"compliant": False},
                support_status={"status": "active\x1b[5m", "days_left": 30})


class Hostile(http.server.BaseHTTPRequestHandler):
    """Answers every CLI request with records and messages full of terminal controls."""

    def answer(self):
        path = self.path.split("?")[0]
        status, headers = 200, {}
        if path == "/v1/whoami":
            body = {"manufacturer": EVIL, "token_id": EVIL}
        elif path.endswith("/versions"):
            body = {"id": "acme-x", "versions": [{"version": 1, "modified": EVIL, "kind": EVIL,
                                                   "support_date": EVIL, "changed": [EVIL]}]}
        elif path == "/v1/products":
            body = {"items": [evil_record()], "next_cursor": EVIL}
        elif path.endswith("/cta-2120") or path.startswith("/v1/products/acme-bad"):
            status, body = 422, {"error": EVIL, "message": EVIL,
                                 "details": [{"path": "/" + EVIL, "rule": EVIL, "message": EVIL}]}
        elif self.command == "PUT" and "dry_run=true" in self.path:
            # What it would store: version 4, another name (printed against version 3).
            body = dict(evil_record(path.rsplit("/", 1)[1]), version=4, product_name=EVIL + "2")
            headers = {"Seclabel-Dry-Run": "true", "Seclabel-Change": "updated"}
        elif path.startswith("/v1/products/"):
            body = evil_record(path.rsplit("/", 1)[1])
            status = 201 if self.command == "PUT" else 200
        elif path == "/v1/lookup":
            body = {"results": []}
        else:
            status, body = 404, {"error": "not_found", "message": EVIL}
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_PUT = do_POST = answer

    def log_message(self, *args):
        pass


def hostile():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, {"SECLABEL_SERVER": "http://127.0.0.1:%d" % httpd.server_address[1],
                   "SECLABEL_TOKEN": "t"}


def unsafe_chars(text):
    """The code points in text that the text rule refuses, but for the line breaks the CLI's own
    output is made of."""
    return sorted({hex(ord(ch)) for ch in text if ch != "\n" and schema_refuses(ord(ch))})


def test_cli_neutralises_what_it_prints_from_the_server(tmp_path):
    httpd, env = hostile()
    try:
        decl = tmp_path / "d.json"
        decl.write_text(json.dumps(declaration(id="acme-x")))
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps(declaration(id="acme-bad")))
        runs_ = {
            "show": cli("show", "acme-x", env_extra=env),
            "search": cli("search", "cam", env_extra=env),
            "history": cli("history", "acme-x", env_extra=env),
            "whoami": cli("whoami", env_extra=env),
            "register": cli("register", decl, env_extra=env),
            "dry-run": cli("register", "--dry-run", decl, env_extra=env),
            "error": cli("register", bad, env_extra=env),
            "export": cli("export", "--format", "cta-2120", env_extra=env),
            "label": cli("label", "acme-x", "--format", "term", env_extra=env),
        }
        for name, r in runs_.items():
            assert unsafe_chars(r.stdout + r.stderr) == [], (name, r.stdout, r.stderr)
        assert SAFE_EVIL in runs_["show"].stdout
        assert SAFE_EVIL in runs_["search"].stdout and SAFE_EVIL in runs_["history"].stdout
        assert SAFE_EVIL in runs_["whoami"].stdout and SAFE_EVIL in runs_["error"].stderr
        assert SAFE_EVIL in runs_["label"].stdout
        assert "\\u001B]0;owned\\u0007" in runs_["dry-run"].stdout  # JSON's own escapes
        assert "\\u202egpj.exe\\u2066\\u007f" in runs_["dry-run"].stdout
        assert "\\u001b[8m" in runs_["register"].stdout
        assert runs_["error"].returncode == 1
        assert "skipped acme-x: " + SAFE_EVIL in runs_["export"].stderr
        # --json is the server's JSON, unchanged: JSON escapes the C0 controls itself.
        r = cli("show", "acme-x", "--json", env_extra=env)
        assert json.loads(r.stdout)["product_name"] == EVIL and "\x1b" not in r.stdout
    finally:
        httpd.shutdown()


def test_import_and_validate_neutralise_the_file_and_the_registry(server, acme, tmp_path):
    f = tmp_path / "evil.jsonl"
    f.write_text(json.dumps(declaration(id="acme-e", product_name=EVIL)) + "\n" +
                 json.dumps(dict(declaration(id="acme-f"), **{"col\x1b[2Jour": 1})) + "\n")
    r = cli("import", f, server=server, token=acme)
    assert r.returncode == 1 and "0 created" in r.stdout
    assert unsafe_chars(r.stdout + r.stderr) == [], r.stderr
    assert "U+001B ESCAPE" in r.stderr and "/col\\u001b[2Jour" in r.stderr
    v = tmp_path / "v.json"
    v.write_text(json.dumps(dict(declaration(), **{"\u202ekey": 1})))
    r = cli("validate", v)
    assert r.returncode == 1 and "/\\u202ekey: is not a declaration field" in r.stdout
    assert unsafe_chars(r.stdout) == []
    c = tmp_path / "evil.csv"
    c.write_text("id,col\x1b]0;x\x07\nacme-1,2\n")
    r = cli("import", c, server=server, token=acme)
    assert "unknown column 'col\\u001b]0;x\\u0007'" in r.stderr and unsafe_chars(r.stderr) == []
