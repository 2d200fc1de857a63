"""The seclabel CLI as a manufacturer and an operator use it: messages and exit codes."""
import hashlib
import json

from conftest import cli, declaration, add_manufacturer


def test_admin_prints_token_alone_on_last_line_and_refuses_duplicates(tmp_path):
    r = cli("admin", "manufacturer", "add", "acme", "--name", "Acme", "--data", tmp_path / "d")
    assert r.returncode == 0
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("slt_") and len(token) == 47
    assert token not in (tmp_path / "d" / "data.mdb").read_bytes().decode("latin-1")
    r = cli("admin", "manufacturer", "add", "acme", "--name", "Acme", "--data", tmp_path / "d")
    assert r.returncode == 1 and "already exists" in r.stderr
    r = cli("admin", "manufacturer", "add", "Bad Slug", "--name", "X", "--data", tmp_path / "d")
    assert r.returncode == 2 and "not a slug" in r.stderr


def test_register_validates_locally_before_sending(server, acme, write_decl):
    r = cli("register", write_decl(declaration(support_date="soon")), server=server, token=acme)
    assert r.returncode == 1
    assert "nothing was sent" in r.stderr and "/support_date" in r.stderr
    assert server.get("/v1/products/acme-cam-1").status_code == 404


def test_register_id_flag_wins_and_stdin_works(server, acme):
    d = json.dumps(declaration(id=None))
    r = cli("register", "-", "--id", "acme-from-flag", server=server, token=acme, stdin=d)
    assert r.returncode == 0, r.stderr
    assert server.get("/v1/products/acme-from-flag").status_code == 200
    r = cli("register", "-", server=server, token=acme, stdin=d)
    assert r.returncode == 2 and "--id" in r.stderr


def test_register_without_token_or_with_bad_token(server, write_decl):
    f = write_decl(declaration())
    r = cli("register", f, server=server)
    assert r.returncode == 4 and "SECLABEL_TOKEN" in r.stderr
    r = cli("register", f, server=server, token="slt_" + "x" * 43)
    assert r.returncode == 4 and "unknown or revoked" in r.stderr
    assert "slt_" not in r.stderr  # the token is never echoed


def test_unreachable_server_exit_3(tmp_path, write_decl):
    r = cli("show", "x", env_extra={"SECLABEL_SERVER": "http://127.0.0.1:1"})
    assert r.returncode == 3
    assert "cannot reach http://127.0.0.1:1" in r.stderr and "seclabeld running" in r.stderr


def test_show_and_label_errors(server, acme, tmp_path):
    r = cli("show", "nope", server=server)
    assert r.returncode == 1 and "No product with ID 'nope'" in r.stderr
    server.put("/v1/products/acme-cam-1", acme, json=declaration())
    r = cli("show", "acme-cam-1", server=server)
    assert r.returncode == 0 and "2031-12-31" in r.stdout and "all met" in r.stdout
    r = cli("show", "acme-cam-1", "--json", server=server)
    assert json.loads(r.stdout)["id"] == "acme-cam-1"
    server.put("/v1/products/acme-old-cam", acme,
               json=declaration(id="acme-old-cam", support_date="2020-01-31"))
    r = cli("show", "acme-old-cam", server=server)
    assert r.returncode == 0 and "(ended " in r.stdout and "days ago)" in r.stdout
    assert "NOT all met" not in r.stdout and "-" not in r.stdout.split("(ended ")[1][:3]
    r = cli("label", "nope", "-o", tmp_path / "x.png", server=server)
    assert r.returncode == 1 and not (tmp_path / "x.png").exists()


def test_usage_errors_exit_2():
    assert cli().returncode == 2
    assert cli("frobnicate").returncode == 2
    assert cli("show").returncode == 2
    r = cli("--help")
    assert r.returncode == 0 and "register" in r.stdout and "Exit codes" in r.stdout


def test_operator_issues_lists_and_revokes_tokens(server, acme):
    d = server.data
    r = cli("admin", "token", "issue", "acme", "--data", d)
    assert r.returncode == 0, r.stderr
    second = r.stdout.strip().splitlines()[-1]
    assert second.startswith("slt_") and second != acme
    assert cli("admin", "token", "issue", "nobody", "--data", d).returncode == 1
    body = declaration(id="acme-cam")
    assert server.put("/v1/products/acme-cam", acme, json=body).status_code == 201
    assert server.put("/v1/products/acme-cam", second, json=body).status_code == 200
    listing = cli("admin", "token", "list", "acme", "--data", d).stdout.splitlines()
    assert len(listing) == 2 and all("acme" in line for line in listing)
    assert acme not in "\n".join(listing) and second not in "\n".join(listing)
    # A token's id is the start of its BLAKE2b-256 hash (what the database keys).
    first_id = hashlib.blake2b(acme.encode(), digest_size=32).hexdigest()[:12]
    assert any(line.startswith(first_id) for line in listing)
    r = cli("admin", "token", "revoke", first_id, "--data", d)
    assert r.returncode == 0 and "revoked" in r.stdout
    r = server.put("/v1/products/acme-cam", acme, json=body)
    assert r.status_code == 401 and "revoked" in r.json()["message"]
    assert server.put("/v1/products/acme-cam", second, json=body).status_code == 200
    listing = cli("admin", "token", "list", "--data", d).stdout
    assert "REVOKED" in listing
    assert cli("admin", "token", "revoke", "000000000000", "--data", d).returncode == 1


def test_operator_backup_under_writes_restores_to_a_verified_database(server, acme, tmp_path):
    import threading
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            server.put("/v1/products/acme-w-%04d" % i, acme,
                       json=declaration(id="acme-w-%04d" % i, gtin=None))
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        for n in range(3):
            r = cli("admin", "backup", tmp_path / ("b%d" % n), "--data", server.data)
            assert r.returncode == 0, r.stderr
    finally:
        stop.set()
        t.join()
    for n in range(3):
        r = cli("admin", "verify", "--data", tmp_path / ("b%d" % n))
        assert r.returncode == 0 and "verify: 0 problems" in r.stdout, r.stdout
    assert cli("admin", "backup", tmp_path / "b0", "--data", server.data).returncode == 1
    # Restore refuses while a server holds the directory...
    r = cli("admin", "restore", tmp_path / "b2", "--data", server.data)
    assert r.returncode == 1 and "stop it" in r.stderr
    before = server.get("/healthz").json()["products"]
    server.stop()
    # ...and works once it is stopped; the restored database serves and verifies.
    r = cli("admin", "restore", tmp_path / "b2", "--data", server.data)
    assert r.returncode == 0, r.stderr
    assert cli("admin", "verify", "--data", server.data).returncode == 0
    stats = cli("admin", "stats", "--data", server.data).stdout
    restored = int(stats.split("products")[1].split()[0])
    assert 0 < restored <= before


def test_operator_lists_and_disables_manufacturers(server, acme):
    server.put("/v1/products/acme-cam", acme, json=declaration(id="acme-cam"))
    r = cli("admin", "manufacturer", "list", "--data", server.data)
    assert r.returncode == 0 and "acme" in r.stdout and "1 products" in r.stdout
    r = cli("admin", "manufacturer", "disable", "acme", "--data", server.data)
    assert r.returncode == 0 and "disabled" in r.stdout
    r = server.put("/v1/products/acme-cam", acme, json=declaration(id="acme-cam"))
    assert r.status_code == 401
    assert server.get("/v1/products/acme-cam").status_code == 200
    assert "disabled" in cli("admin", "manufacturer", "list", "--data", server.data).stdout
    assert cli("admin", "manufacturer", "disable", "nobody", "--data", server.data).returncode == 1


def test_verify_finds_a_damaged_index(server, acme):
    server.put("/v1/products/acme-cam", acme, json=declaration(id="acme-cam", gtin="5012345678900"))
    server.stop()
    assert cli("admin", "verify", "--data", server.data).returncode == 0
    # Damage the GTIN index behind the registry's back with LMDB's own tool.
    import subprocess
    subprocess.run(["mdb_load", "-T", "-s", "gtins", str(server.data)], check=True,
                   input="05012345678900\nnobody\n", text=True)
    r = cli("admin", "verify", "--data", server.data)
    assert r.returncode == 1 and "does not lead back" in r.stdout
