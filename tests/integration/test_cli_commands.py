"""The manufacturer's everyday CLI commands (issue 6, first part): history, search, withdraw,
whoami, and retries of idempotent requests against a registry that is briefly failing."""
import http.server
import json
import re
import threading

from conftest import BIN, add_manufacturer, cli, declaration


def test_history_lists_versions_and_changes(server, acme):
    server.put("/v1/products/acme-cam", acme, json=declaration(id="acme-cam"))
    server.put("/v1/products/acme-cam", acme,
               json=declaration(id="acme-cam", support_date="2033-01-31"))
    r = cli("history", "acme-cam", server=server)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()  # the product's state first, then each version
    assert len(lines) == 3 and lines[0].startswith("active: Security updates until 2033-01-31")
    assert "created" in lines[1]
    assert "updated" in lines[2] and "2033-01-31" in lines[2] and "changed: support_date" in lines[2]
    r = cli("history", "acme-cam", "--json", server=server)
    assert json.loads(r.stdout)["id"] == "acme-cam"
    assert cli("history", "nope", server=server).returncode == 1


def test_search_filters_and_pages(server, acme):
    for i in range(3):
        server.put("/v1/products/acme-cam-%d" % i, acme,
                   json=declaration(id="acme-cam-%d" % i))
    server.put("/v1/products/acme-old", acme,
               json=declaration(id="acme-old", support_date="2020-01-31"))
    # each line: state, ID, date, name; words "acme" and "cam" (a prefix: "Camera" too)
    r = cli("search", "acme-cam-", server=server)
    assert r.returncode == 0 and [l.split()[:2] for l in r.stdout.splitlines()] == [
        ["active", "acme-cam-0"], ["active", "acme-cam-1"], ["active", "acme-cam-2"],
        ["ended", "acme-old"]]
    r = cli("search", "acme-cam-1", server=server)  # words: only that one has all three
    assert [l.split()[1] for l in r.stdout.splitlines()] == ["acme-cam-1"]
    r = cli("search", "--support", "ended", server=server)
    assert r.stdout.split()[:2] == ["ended", "acme-old"]
    r = cli("search", "--limit", "2", server=server)
    cursor = re.search(r"--cursor ([^\s)]+)", r.stdout).group(1)  # opaque, after acme-cam-1
    assert cursor.endswith("~acme-cam-1")
    r = cli("search", "--limit", "2", "--cursor", cursor, "--json", server=server)
    assert [p["id"] for p in json.loads(r.stdout)["items"]] == ["acme-cam-2", "acme-old"]
    assert cli("search", "--support", "soon", server=server).returncode == 1  # server says 400
    assert cli("search", "--limit", server=server).returncode == 2


def test_withdraw_and_whoami(server, acme):
    nl = add_manufacturer(server.data, "nordlicht", "Nordlicht")
    server.put("/v1/products/acme-cam", acme, json=declaration(id="acme-cam"))
    r = cli("withdraw", "acme-cam", server=server, token=nl)
    assert r.returncode == 4 and "belongs to manufacturer 'acme'" in r.stderr
    assert cli("withdraw", "acme-cam", server=server).returncode == 4
    r = cli("withdraw", "acme-cam", server=server, token=acme)
    assert r.returncode == 0 and "withdrawn acme-cam (version 2)" in r.stdout
    assert server.get("/v1/products/acme-cam").json()["status"] == "withdrawn"
    r = cli("whoami", server=server, token=acme)
    assert r.returncode == 0 and "manufacturer acme" in r.stdout
    assert acme not in r.stdout and acme not in r.stderr
    assert cli("whoami", server=server, token="slt_" + "x" * 43).returncode == 4


class Flaky(http.server.BaseHTTPRequestHandler):
    """Answers 503 to the first two requests, then a product record."""
    seen = []

    def answer(self):
        Flaky.seen.append((self.command, self.path))
        if len(Flaky.seen) <= 2:
            body, status = b'{"error":"unavailable","message":"busy"}', 503
        else:
            body, status = json.dumps(dict(declaration(id="x"), id="x", version=1)).encode(), 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = answer

    def log_message(self, *args):
        pass


def flaky_server():
    Flaky.seen = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, "http://127.0.0.1:%d" % httpd.server_address[1]


def test_idempotent_requests_are_retried_and_posts_are_not():
    httpd, url = flaky_server()
    try:
        r = cli("show", "x", env_extra={"SECLABEL_SERVER": url})
        assert r.returncode == 0, r.stderr
        assert [m for m, _ in Flaky.seen] == ["GET", "GET", "GET"]
        Flaky.seen = []
        r = cli("withdraw", "x", env_extra={"SECLABEL_SERVER": url, "SECLABEL_TOKEN": "t"})
        assert r.returncode == 1 and len(Flaky.seen) == 1  # POST: never repeated
    finally:
        httpd.shutdown()


def test_config_file_holds_server_and_token_privately(server, acme, tmp_path):
    import os
    import stat
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    assert cli("config", "set", "server", server.url, env_extra=env).returncode == 0
    r = cli("config", "set", "token", stdin=acme + "\n", env_extra=env)
    assert r.returncode == 0
    path = tmp_path / "cfg" / "seclabel" / "config"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    r = cli("config", "show", env_extra=env)
    assert server.url in r.stdout and "set (not shown)" in r.stdout and acme not in r.stdout
    r = cli("whoami", env_extra=env)  # server and token both from the file
    assert r.returncode == 0 and "manufacturer acme" in r.stdout
    os.chmod(path, 0o644)
    r = cli("whoami", env_extra=env)
    assert "can be read by other users" in r.stderr
    # The environment wins over the file.
    r = cli("whoami", env_extra=dict(env, SECLABEL_TOKEN="slt_" + "y" * 43))
    assert r.returncode == 4


def test_every_command_has_help_with_examples():
    top = cli("--help").stdout
    names = ["register", "show", "history", "search", "import", "export", "withdraw", "whoami",
             "label", "labels", "validate", "config", "admin"]
    for name in names:
        assert "  " + name in top, name
        r = cli(name, "--help")
        assert r.returncode == 0, name
        assert r.stdout.startswith("usage: seclabel " + name) and "examples:" in r.stdout, name
        assert "seclabel " + name in r.stdout.split("examples:")[1], name


def test_manual_pages_and_completion_cover_every_command():
    import pathlib
    import subprocess
    share = pathlib.Path(__file__).resolve().parents[2] / "zig-out" / "share"
    page = share / "man" / "man1" / "seclabel.1"
    text = subprocess.run(["man", "--warnings", "-l", str(page)], capture_output=True, text=True,
                          env={"MANWIDTH": "100", "PATH": "/usr/bin:/bin"})
    assert text.returncode == 0 and text.stderr == "", text.stderr
    completion = (share / "bash-completion" / "completions" / "seclabel").read_text()
    for name in ["register", "show", "history", "search", "import", "export", "withdraw",
                 "whoami", "label", "labels", "validate", "verify", "monitor", "cache", "config",
                 "admin"]:
        assert "\n       " + name + " " in text.stdout or "\n       " + name + "\n" in text.stdout, name
        assert name in completion.split('commands="')[1].split('"')[0].split(), name
    daemon = subprocess.run(["man", "--warnings", "-l", str(share / "man" / "man8" / "seclabeld.8")],
                            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert daemon.returncode == 0 and "--public-url" in daemon.stdout and daemon.stderr == ""
    # every option either program's --help lists is in its manual page
    for prog, manual in (("seclabel", text.stdout), ("seclabeld", daemon.stdout)):
        helptext = subprocess.run([str(BIN / prog), "--help"], capture_output=True,
                                  text=True).stdout
        options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*[a-z]", helptext))
        assert len(options) > 10, prog
        missing = sorted(o for o in options if o not in manual)
        assert missing == [], "%s(1/8) lacks %s" % (prog, missing)


def test_register_dry_run_shows_the_difference_and_changes_nothing(server, acme, write_decl):
    f = write_decl(declaration(id="acme-cam"))
    r = cli("register", f, "--dry-run", server=server, token=acme)
    assert r.returncode == 0 and "would register acme-cam" in r.stdout
    assert server.get("/v1/products/acme-cam").status_code == 404
    assert cli("register", f, server=server, token=acme).returncode == 0
    before = server.get("/v1/changes").json()
    r = cli("register", f, "--dry-run", server=server, token=acme)
    assert "acme-cam is unchanged" in r.stdout
    f2 = write_decl(declaration(id="acme-cam", support_date="2034-05-31", markets=["GB"]),
                    "d2.json")
    r = cli("register", f2, "--dry-run", server=server, token=acme)
    assert r.returncode == 0 and "would update acme-cam" in r.stdout
    assert 'support_date: "2031-12-31" -> "2034-05-31"' in r.stdout
    assert 'markets: (none) -> ["GB"]' in r.stdout
    # manufacturer_name left out: the registry keeps the account's, which is no change.
    f3 = write_decl(declaration(id="acme-cam", manufacturer_name=None), "d3.json")
    assert "acme-cam is unchanged" in cli("register", f3, "--dry-run", server=server,
                                          token=acme).stdout
    f4 = write_decl(declaration(id="acme-cam", manufacturer_name=None, support_date="2034-05-31"),
                    "d4.json")
    r = cli("register", f4, "--dry-run", server=server, token=acme)
    assert "would update acme-cam" in r.stdout and "support_date" in r.stdout
    assert "manufacturer_name" not in r.stdout
    assert server.get("/v1/changes").json() == before  # nothing was sent


def test_json_output_for_scripts(server, acme, tmp_path):
    f = tmp_path / "one.jsonl"
    f.write_text(json.dumps(declaration(id="acme-cam")) + "\n")
    r = cli("import", f, "--json", server=server, token=acme)
    assert json.loads(r.stdout) == {"created": 1, "updated": 0, "unchanged": 0, "failed": 0,
                                    "removed": []}  # updates that removed fields, named
    assert json.loads(cli("whoami", "--json", server=server, token=acme).stdout)[
        "manufacturer"] == "acme"
    d = tmp_path / "d.json"
    d.write_text(json.dumps(declaration(id="acme-cam2")))
    rec = json.loads(cli("register", d, "--json", server=server, token=acme).stdout)
    assert rec["id"] == "acme-cam2" and rec["version"] == 1 and "compliance" in rec
    rec = json.loads(cli("withdraw", "acme-cam2", "--json", server=server, token=acme).stdout)
    assert rec["status"] == "withdrawn"


def on_terminal(args, env):
    """Run the CLI with standard output on a pseudo-terminal; returns what it printed."""
    import os
    import pty
    import subprocess
    from conftest import BIN
    main, sub = pty.openpty()
    p = subprocess.Popen([str(BIN / "seclabel"), *args], stdout=sub, stderr=subprocess.DEVNULL,
                         env=env)
    os.close(sub)
    out = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    p.wait(timeout=30)
    os.close(main)
    return out.decode()


def test_colour_only_on_a_terminal_and_never_with_no_color(server, acme):
    import os
    assert server.put("/v1/products/acme-old", acme,
                      json=declaration(id="acme-old",
                                       support_date="2020-01-01")).status_code == 201
    assert server.put("/v1/products/acme-new", acme,
                      json=declaration(id="acme-new")).status_code == 201
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "SECLABEL_TOKEN")}
    env.update(SECLABEL_SERVER=server.url, TERM="xterm", XDG_CONFIG_HOME="/nonexistent/x")
    coloured = on_terminal(["show", "acme-old"], env)
    assert "\033[31mended\033[0m" in coloured and "\033[32m" not in coloured  # never green
    assert "\033[32mactive\033[0m" in on_terminal(["show", "acme-new"], env)
    for extra in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
        plain = on_terminal(["show", "acme-old"], dict(env, **extra))
        assert "\033[" not in plain and "ended" in plain
    assert "\033[" not in cli("show", "acme-old", server=server).stdout  # a pipe: never
