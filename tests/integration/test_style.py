"""The C sources keep the house style that tools we did not write check: clang-format with the
repo's .clang-format (through `zig build fmt`, which also runs zig fmt on build.zig) and
cppcheck's warning, style, performance and portability checks. A failure prints what the tool
said; `clang-format -i FILE` fixes the first."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_clang_format_and_zig_fmt_are_clean():
    r = subprocess.run([sys.executable, "-m", "ziglang", "build", "fmt"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-4000:]


def test_cppcheck_is_clean():
    layers = ["registry/core", "registry/pages", "registry/server"]
    r = subprocess.run(["cppcheck", "--enable=warning,style,performance,portability",
                        "--inline-suppr", "-q", "--std=c11", "-D_GNU_SOURCE",
                        "--error-exitcode=1"] + ["-I" + d for d in layers] + ["registry", "cli"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr[-4000:]
