"""The alert rules of deploy/prometheus (seclabel-alerts.yml): Prometheus's own checker accepts
them, their unit tests (seclabel-alerts_test.yml: each rule fires on its series and not on the
others) pass, and every metric they read is one that really exists: seclabeld's in a live
scrape (which promtool check metrics accepts), the backup's in the file seclabel-backup writes
for node_exporter's textfile collector, and node_exporter's own (named here)."""
import os
import re
import shutil
import subprocess
import time

import pytest
import yaml

from conftest import BIN, ROOT, Server, add_manufacturer, cli, declaration
from test_metrics import promtool_check

RULES_DIR = ROOT / "deploy" / "prometheus"
RULES = RULES_DIR / "seclabel-alerts.yml"
BACKUP = ROOT / "deploy" / "systemd" / "seclabel-backup"
# Metrics the rules read that seclabeld does not export: Prometheus's own and node_exporter's.
NOT_SECLABELD = {"up", "node_filesystem_avail_bytes", "node_filesystem_size_bytes"}
# The one the backup script writes for node_exporter's textfile collector.
FROM_BACKUP = {"seclabel_backup_last_success_timestamp_seconds"}


def promtool(*args, cwd=None):
    exe = shutil.which("promtool")
    if not exe:
        pytest.skip("promtool missing (Debian's prometheus package; scripts/setup installs it)")
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def rule_metrics():
    """Every metric name the rules' expressions read."""
    names = set()
    for group in yaml.safe_load(RULES.read_text())["groups"]:
        for rule in group["rules"]:
            expr = re.sub(r'"[^"]*"', "", rule["expr"])  # label values are no names
            names |= set(re.findall(r"\b(?:seclabel_\w+|node_\w+|up)\b(?=\s*[{\[)\s]|$)", expr))
    return names


def test_rules_pass_promtool_check_rules():
    r = promtool("check", "rules", str(RULES))
    assert r.returncode == 0, r.stdout + r.stderr
    n = sum(len(g["rules"]) for g in yaml.safe_load(RULES.read_text())["groups"])
    assert n >= 11 and "SUCCESS: %d rules found" % n in r.stdout


def test_rules_pass_their_unit_tests():
    r = promtool("test", "rules", "seclabel-alerts_test.yml", cwd=RULES_DIR)
    assert r.returncode == 0 and "SUCCESS" in r.stdout, r.stdout + r.stderr


def test_the_unit_tests_catch_a_broken_rule(tmp_path):
    """The unit tests are not vacuous: a rule that fires on every log, stuck or not, fails
    them."""
    shutil.copy(RULES_DIR / "seclabel-alerts_test.yml", tmp_path)
    text = RULES.read_text()
    broken = text.replace("changes(seclabel_log_checkpoint_size[10m]) == 0",
                          "changes(seclabel_log_checkpoint_size[10m]) >= 0")
    assert broken != text
    (tmp_path / "seclabel-alerts.yml").write_text(broken)
    r = promtool("test", "rules", "seclabel-alerts_test.yml", cwd=tmp_path)
    assert r.returncode != 0 and "SeclabelLogNotAdvancing" in r.stdout + r.stderr, r.stdout


def scrape_names(exposition):
    return {line.split("{")[0].split(" ")[0] for line in exposition.splitlines()
            if line and not line.startswith("#")}


def test_every_metric_the_rules_read_exists(server, tmp_path):
    used = rule_metrics()
    assert {"seclabel_http_requests_total", "seclabel_log_checkpoint_size", "up"} <= used
    # seclabeld's, after a write and a few answers of several statuses
    token = add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    assert server.put("/v1/products/acme-cam-1", token, json=declaration()).status_code == 201
    server.get("/v1/products/acme-cam-1")
    server.get("/v1/products/nope")
    text = server.get("/metrics").text
    promtool_check(text)
    exported = scrape_names(text)
    # a mirror's too (seclabel_mirror_*), once it follows the server
    r = cli("admin", "log", "key", "--data", server.data)
    assert r.returncode == 0, r.stderr
    mirror = Server(tmp_path / "mirror", "--mirror-of", server.url, "--mirror-key",
                    r.stdout.strip())
    try:
        deadline = time.time() + 30
        while mirror.get("/healthz").json()["mirror"]["tree_size"] < 2:
            assert time.time() < deadline, mirror.get("/healthz").text
            time.sleep(0.1)
        text = mirror.get("/metrics").text
    finally:
        mirror.stop()
    promtool_check(text)
    exported |= scrape_names(text)
    assert "seclabel_mirror_stopped" in exported
    missing = used - NOT_SECLABELD - FROM_BACKUP - exported
    assert missing == set(), "the rules read metrics seclabeld does not export: %s" % missing
    # the backup's, as its script writes it for node_exporter
    textfile = tmp_path / "textfile"
    textfile.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECLABEL")}
    env.update(SECLABEL=str(BIN / "seclabel"), SECLABEL_DATA=str(server.data),
               SECLABEL_BACKUP_DIR=str(tmp_path / "backups"), SECLABEL_BACKUP_KEEP="1",
               SECLABEL_BACKUP_TEXTFILE_DIR=str(textfile),
               XDG_CONFIG_HOME="/nonexistent/seclabel-tests")
    before = time.time()
    r = subprocess.run([str(BACKUP)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert [p.name for p in textfile.iterdir()] == ["seclabel_backup.prom"]
    prom = (textfile / "seclabel_backup.prom").read_text()
    promtool_check(prom)
    assert FROM_BACKUP <= scrape_names(prom)
    (stamp,) = re.findall(r"^seclabel_backup_last_success_timestamp_seconds (\d+)$", prom, re.M)
    assert int(before) <= int(stamp) <= time.time()
    assert oct((textfile / "seclabel_backup.prom").stat().st_mode & 0o777) == "0o644"


def test_a_failed_backup_keeps_the_last_success(server, tmp_path):
    """The alert watches the last success's age: a failing run must not refresh it."""
    textfile = tmp_path / "textfile"
    textfile.mkdir()
    (textfile / "seclabel_backup.prom").write_text("seclabel_backup_last_success_timestamp_seconds 7\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECLABEL")}
    env.update(SECLABEL=str(BIN / "seclabel"), SECLABEL_DATA=str(tmp_path / "no-such-data"),
               SECLABEL_BACKUP_DIR=str(tmp_path / "backups"),
               SECLABEL_BACKUP_TEXTFILE_DIR=str(textfile),
               XDG_CONFIG_HOME="/nonexistent/seclabel-tests")
    r = subprocess.run([str(BACKUP)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 1
    assert (textfile / "seclabel_backup.prom").read_text() == \
        "seclabel_backup_last_success_timestamp_seconds 7\n"
