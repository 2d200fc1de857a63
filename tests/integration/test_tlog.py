"""The transparency log in the data (issue 16, registry/core/tlog.h): after product versions and
maker events, `seclabel admin verify` recomputes the log and finds it sound; a stored hash changed
with LMDB's own tool (mdb_load) is named; a declaration whose record would be longer than a log
entry may be (65,535 bytes) is refused with 413 record_too_large and nothing is stored.
(SIGKILL during writes: test_crash.py runs the same verify, log included, after every kill.)"""
import json
import subprocess

from conftest import add_manufacturer, cli, declaration


def verify(data):
    r = cli("admin", "verify", "--data", data)
    return r.returncode, r.stdout + r.stderr


def write_some(server):
    token = add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    for k in range(5):
        pid = "acme-cam-%d" % k
        r = server.put("/v1/products/" + pid, token, json=declaration(id=pid))
        assert r.status_code == 201, r.text
    r = server.put("/v1/products/acme-cam-1", token,
                   json=declaration(id="acme-cam-1", support_date="2032-01-31"))
    assert r.status_code == 200, r.text
    assert server.post("/v1/products/acme-cam-2/withdraw", token).status_code == 200
    for args in (["verify", "acme", "--evidence", "register checked"],
                 ["unverify", "acme", "--reason", "lapsed"]):
        r = cli("admin", "manufacturer", *args, "--data", server.data)
        assert r.returncode == 0, r.stderr
    return token


def test_verify_recomputes_the_log_and_names_a_changed_hash(server):
    write_some(server)
    code, out = verify(server.data)
    assert code == 0 and "verify: 0 problems" in out, out
    server.stop()
    # The level-1 hash 0 (of entries 0 and 1: key "x" u64be(stored index 2), tlog.h)
    # overwritten, in LMDB's plain-text dump format.
    key = "x" + "\\00" * 7 + "\\02"
    subprocess.run(["mdb_load", "-T", "-s", "tlog", str(server.data)], check=True, text=True,
                   input=key + "\n" + "\\ff" * 32 + "\n")
    code, out = verify(server.data)
    assert code != 0, out
    assert "log: hash 0 (level 1) differs from the hash of the entries" in out, out


def test_a_record_too_long_for_the_log_is_refused(server):
    token = add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    # A body under the 64 KiB limit whose stored record (the registry's members added) is
    # longer than 65,535 bytes: 64 version strings, the last padded to a 65,530-byte body.
    pad = 1000
    for _ in range(2):
        d = declaration(id="acme-big", version_and_model_numbers=[
            "v" * 1020 for _ in range(63)] + ["w" * pad])
        body = json.dumps(d, separators=(",", ":"))
        pad += 65530 - len(body)
    assert len(body) == 65530
    r = server.put("/v1/products/acme-big", token, data=body,
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert r.json()["error"] == "record_too_large", r.text
    assert "65535" in r.json()["message"], r.text
    assert server.get("/v1/products/acme-big").status_code == 404
    # A shorter record: stored, and logged.
    d["version_and_model_numbers"] = ["v" * 1000 for _ in range(64)]
    assert server.put("/v1/products/acme-big", token, json=d).status_code == 201
    code, out = verify(server.data)
    assert code == 0 and "verify: 0 problems" in out, out
