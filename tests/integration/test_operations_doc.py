"""docs/OPERATIONS.md's walk against the repository and the built programs, so that it cannot
rot unseen: every path it names in the repository exists, every seclabel unit it names is in
deploy/systemd, every `seclabel` and `seclabeld` command line in its shell blocks uses commands
and options the built programs accept (their --help), and scripts/install installs exactly the
files step 2 lists, every installed path the walk uses among them. Nothing is started but the
programs' --help and the install script (into a temporary root); no network."""
import re
import subprocess

import pytest

from conftest import BIN, ROOT

DOC_PATH = ROOT / "docs" / "OPERATIONS.md"
DOC = DOC_PATH.read_text(encoding="utf-8")


def shell_lines():
    """The command lines of the doc's ```sh blocks: continuation lines joined, output lines
    (starting with #) and trailing comments (` # ...`) dropped."""
    out = []
    for block in re.findall(r"^ *```sh\n(.*?)^ *```", DOC, re.M | re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = re.split(r"\s#\s", line.strip())[0]
            if line and not line.startswith("#"):
                out.append(line)
    return out


def invocations(program):
    """(line, words after the program name) for each call of `program` (seclabel or seclabeld,
    bare or as /usr/local/bin/...) in the walk's command lines, up to a pipe, `;`, `&&`, `&` or
    `)` (not journalctl's `-u seclabeld`). SECLABELD_OPTIONS=... settings count as seclabeld's
    options."""
    calls = []
    for line in shell_lines():
        call = r"(?:^|(?<!-u)[\s(])(?:/usr/local/bin/)?%s(?=\s)(.*)" % re.escape(program)
        for m in re.finditer(call, line):
            rest = re.split(r"\s(?:\||;|&&|&)(?:\s|$)|\)", m.group(1))[0]
            calls.append((line, rest.split()))
        if program == "seclabeld":
            for m in re.finditer(r"SECLABELD_OPTIONS=([^|\"\n]*)", line):
                calls.append((line, m.group(1).split()))
    return calls


def help_of(*args):
    r = subprocess.run([str(BIN / args[0]), *args[1:], "--help"], capture_output=True,
                       text=True, timeout=10)
    return r.returncode, r.stdout + r.stderr


def options_in(text):
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))


def test_the_walk_calls_both_programs():
    # The parser below must see the walk's commands, or the option checks prove nothing.
    assert len(invocations("seclabeld")) >= 4
    assert len(invocations("seclabel")) >= 14


def test_every_repository_path_it_names_exists():
    named = set(re.findall(
        r"(?<![\w/.-])(?:\.\./)?((?:deploy|scripts|tests|registry|schema|docs|cli|bench)"
        r"/[\w./-]*[\w])", DOC))
    assert len(named) >= 15
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert missing == [], "docs/OPERATIONS.md names paths the repository lacks"


def test_every_seclabel_unit_it_names_is_in_deploy():
    # an instance (seclabel-cache-purge@local.service) is its template's
    units = set(re.sub(r"@[\w-]+\.", "@.", u) for u in
                re.findall(r"\b(seclabel[\w-]*(?:@[\w-]*)?\.(?:service|timer))\b", DOC))
    assert {"seclabeld.service", "seclabel-backup.service", "seclabel-backup.timer",
            "seclabel-cache-purge@.service"} <= units
    missing = sorted(u for u in units if not (ROOT / "deploy" / "systemd" / u).exists())
    assert missing == [], "docs/OPERATIONS.md names units deploy/systemd lacks"


def test_every_seclabeld_option_it_uses_is_accepted():
    code, text = help_of("seclabeld")
    assert code == 0
    accepted = set(re.findall(r"^\s+(--[a-z][a-z0-9-]*)", text, re.M)) | {"--help", "--version"}
    assert "--listen" in accepted and "--mirror-key" in accepted
    bad = sorted({(o, line) for line, words in invocations("seclabeld") for o in words
                  if o.startswith("--") and o not in accepted})
    assert bad == [], "options seclabeld --help does not list"


def test_every_seclabel_command_and_option_it_uses_is_accepted():
    code, top = help_of("seclabel")
    assert code == 0
    global_opts = options_in(top.splitlines()[0])  # usage: seclabel [--server URL] [--token T]
    assert global_opts == {"--server", "--token"}
    bad = []
    for line, words in invocations("seclabel"):
        while words and words[0] in global_opts:
            words = words[2:]
        if not words:
            bad.append(("no command", line))
            continue
        code, text = help_of("seclabel", words[0])
        if code != 0:
            bad.append(("unknown command " + words[0], line))
            continue
        # The subcommand (admin backup, cache purge, config set, ...) must be one its help names.
        grouped = words[0] in ("admin", "cache", "config")
        if grouped and len(words) > 1 and not words[1].startswith("-"):
            if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(words[1]), text):
                bad.append(("unknown subcommand %s %s" % tuple(words[:2]), line))
        for o in words[1:]:
            if o.startswith("--") and o not in options_in(text) | global_opts:
                bad.append(("option " + o, line))
    assert bad == [], "seclabel commands or options its --help does not have"


def doc_install_listing():
    """The `install: ...` lines step 2 shows."""
    step = re.search(r"^## 2\. Install\n(.*?)^## ", DOC, re.M | re.S)
    assert step, "docs/OPERATIONS.md has no step '## 2. Install'"
    block = re.search(r"^```\n(install: .*?)^```", step.group(1), re.M | re.S)
    assert block, "step 2 shows no install listing"
    return block.group(1).splitlines()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """scripts/install into a temporary root from the tested build: (root, its output)."""
    root = tmp_path_factory.mktemp("root")
    r = subprocess.run([str(ROOT / "scripts" / "install"), "--root", str(root),
                        "--from", str(BIN.parent)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return root, r.stdout.splitlines()


def test_install_installs_what_step_2_lists(installed):
    root, out = installed
    if not (BIN.parent / "share").is_dir():  # a build without its manual pages (SECLABEL_BIN)
        pytest.skip("%s has no share/ beside bin/: not a full zig build" % BIN.parent)
    assert out == doc_install_listing()
    files = sorted("/" + str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == sorted(line.removeprefix("install: ") for line in out)


def test_every_installed_path_the_walk_uses_is_installed(installed):
    root, _ = installed
    used = set(re.findall(
        r"(/usr/local/(?:bin|sbin|share/seclabel)/[\w./-]*[\w]|/etc/seclabel/[\w.-]*[\w]"
        r"|/etc/systemd/system/seclabel[\w.@-]*[\w])", DOC))
    assert "/usr/local/share/seclabel/nginx/seclabel.conf" in used
    missing = sorted(p for p in used if not (root / p.lstrip("/")).exists())
    assert missing == [], "paths the walk uses that scripts/install does not install"


def test_a_second_install_keeps_edited_settings(installed):
    root, _ = installed
    env = root / "etc" / "seclabel" / "seclabeld.env"
    env.write_text("SECLABELD_LISTEN=127.0.0.1:9999\n")
    r = subprocess.run([str(ROOT / "scripts" / "install"), "--root", str(root),
                        "--from", str(BIN.parent)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert env.read_text() == "SECLABELD_LISTEN=127.0.0.1:9999\n"
    assert "install: /etc/seclabel/seclabeld.env kept (yours); the example is " \
        "deploy/systemd/seclabeld.env" in r.stdout.splitlines()
    # The walk shows both kept lines in step 10.
    for line in r.stdout.splitlines():
        if "kept" in line:
            assert "# " + line in DOC


def test_install_refuses_without_a_build(tmp_path):
    r = subprocess.run([str(ROOT / "scripts" / "install"), "--root", str(tmp_path / "r"),
                        "--from", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "build first" in r.stderr
    assert not (tmp_path / "r").exists()
