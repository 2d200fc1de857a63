"""The README's walk-through, run as written: every shell block marked `<!-- walk-through: ...`,
top to bottom, twice, on a fresh demo (loaded by scripts/demo, as scripts/run loads it) served
on a free port. Every command must succeed both times, nothing may be written outside the
scratch directory the walk-through makes, and every URL scripts/run prints must still answer."""
import os
import re
import subprocess

from conftest import BIN, ROOT, Server

MARK = "<!-- walk-through:"
DEMO_URL = "http://127.0.0.1:8080"  # what the README says; the test's server is elsewhere


def walkthrough_blocks(text):
    """The ```sh blocks that follow a walk-through mark."""
    blocks = re.findall(re.escape(MARK) + r"[^\n]*\n```sh\n(.*?)```", text, re.S)
    assert len(blocks) == text.count(MARK), "a walk-through mark not followed by a ```sh block"
    return blocks


def commands(block):
    """The block's commands: continued lines joined, comment-only and blank lines left out."""
    out, cur = [], ""
    for line in block.splitlines():
        cur += line + "\n"
        if line.endswith("\\"):
            continue
        if cur.strip() and not cur.lstrip().startswith("#"):
            out.append(cur)
        cur = ""
    return out


def run_walkthrough(cmds, work, env, rcfile):
    """Run cmds in one bash in work, each followed by a line with its exit status; returns
    [(command, status)] and what bash wrote."""
    script = "".join('%secho "%d $?" >>"%s"\n' % (c, i, rcfile) for i, c in enumerate(cmds))
    if os.path.exists(rcfile):
        os.unlink(rcfile)
    p = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True,
                       text=True, timeout=300)
    with open(rcfile) as f:
        status = dict(map(int, line.split()) for line in f)
    return [(c, status.get(i)) for i, c in enumerate(cmds)], p.stdout + p.stderr


def printed_urls():
    """The paths of the URLs scripts/run prints ($url/...)."""
    text = (ROOT / "scripts" / "run").read_text()
    banner = text[text.index("cat <<MSG"):]
    return [u.rstrip(",") for u in re.findall(r"\$url(/\S*)", banner)]


def test_readme_walkthrough_runs_top_to_bottom_twice_on_the_demo(tmp_path):
    readme = (ROOT / "README.md").read_text()
    blocks = walkthrough_blocks(readme)
    assert len(blocks) >= 2 and DEMO_URL in blocks[0]
    # A directory laid out like the repository: the binaries, the schema, and the demo's data.
    work, data = tmp_path / "repo", tmp_path / "demo-data"
    (work / "zig-out").mkdir(parents=True)
    os.symlink(BIN, work / "zig-out" / "bin")
    os.symlink(ROOT / "schema", work / "schema")
    server = Server(data)
    try:
        os.symlink(data, work / "data")
        r = subprocess.run([str(ROOT / "scripts" / "demo"), server.url, str(data), str(BIN)],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        cmds = [c.replace(DEMO_URL, server.url) for b in blocks for c in commands(b)]
        assert len(cmds) >= 10
        scratch = tmp_path / "scratch"
        scratch.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SECLABEL_")}
        env.update(TMPDIR=str(scratch), HOME=str(tmp_path / "home"),
                   XDG_CONFIG_HOME=str(tmp_path / "config"))
        for run in (1, 2):
            results, output = run_walkthrough(cmds, work, env, str(tmp_path / "rc"))
            failed = [(c.strip(), rc) for c, rc in results if rc != 0]
            assert not failed, "run %d: %r\n%s" % (run, failed, output)
            # Nothing was written into the repository...
            assert sorted(p.name for p in work.iterdir()) == ["data", "schema", "zig-out"]
            # ...and what it wrote is in one new scratch directory per run.
            outs = sorted(scratch.iterdir())
            assert len(outs) == run
            made = {p.name for p in outs[-1].iterdir()}
            assert {"registry", "backup", "catalogue.csv", "label.png", "labels.pdf"} <= made
            for path in printed_urls():
                page = server.get(path)
                assert page.status_code == 200, (run, path, page.status_code, page.text[:200])
    finally:
        server.stop()
