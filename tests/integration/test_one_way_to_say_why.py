"""One way to say why (issue 13): a refusal is a negative REG_E* code (registry/err.h) with its
reason in a struct reg_why (registry/why.h), and library code never prints. This keeps it so by
reading the C sources: no reason handed back as a char buffer and its length or as a
const char **, no bare `return -1;` in the registry's code, no errno value invented for a
refusal (a `-EINVAL` returned, assigned or handed to reg_why_set: only `-errno`, a system or
libuv call's own result, is passed on; comparing with one is fine), and no printing to stdout or
stderr in registry/ but in log.c (the sinks) and main.c (seclabeld's own). registry/ is walked
whole, whatever subdirectories its modules live in; the CSV and CTA-2120 readers are checked
wherever they are (cli/ or registry/)."""
import re
from pathlib import Path

from conftest import ROOT

# The old shapes of a reason handed back: a caller's buffer and its length, or a pointer to a
# static text. (A `const char *why` is a reason handed in, to print: that is fine.)
OLD_WHY = re.compile(r"(?<!const )\bchar\s*\*\s*why\b|\bwhylen\b|\bchar\s*\*\*\s*why\b")
BARE_MINUS_ONE = re.compile(r"\breturn\s+-1\s*;")
# An errno constant made negative and produced (returned, assigned, handed on), in registry/ and
# cli/ alike; `rc == -ENOENT` after a system call is a comparison, not a code made up.
ERRNO_CONST = re.compile(r"(?<![\w.)\]])-E[A-Z0-9]+\b")
COMPARED = re.compile(r"[=!]=\s*$")
PRINTS = re.compile(
    r"\b(?:printf|puts|putchar|perror)\s*\("
    r"|\b(?:fprintf|vfprintf|fputs|fputc|putc|fwrite|fflush)\s*\([^;]*\b(?:stdout|stderr)\b")
# Programs, not library code: the one place each prints (log.c holds the sinks they install;
# journal.c seclabeld's journal sinks, which fall back to stderr).
MAY_PRINT = {"log.c", "main.c", "journal.c"}
# Modules in the registry's core wherever the tree puts them (cli/ today, registry/core/ soon).
CORE_READERS = {"csvdecl.c", "csvdecl.h", "ctadecl.c", "ctadecl.h"}


def invents_errno(line):
    """True if line produces a negative errno constant (not one it only compares with)."""
    return any(not COMPARED.search(line[:m.start()]) for m in ERRNO_CONST.finditer(line))


def code_only(text):
    """text with comments blanked and string and character literals emptied, lines kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def sources(root):
    """Every C file under registry/ (recursively) and cli/."""
    for top in ("registry", "cli"):
        for p in sorted((root / top).rglob("*")):
            if p.suffix in (".c", ".h") and p.is_file():
                yield p


def offences(root):
    """'path:line: what' for each place that breaks the rules above."""
    found = []
    for path in sources(root):
        rel = path.relative_to(root).as_posix()
        in_registry = rel.startswith("registry/")
        lines = code_only(path.read_text(encoding="utf-8")).split("\n")
        for no, line in enumerate(lines, 1):
            if OLD_WHY.search(line):
                found.append(f"{rel}:{no}: a reason as a char buffer or const char **: "
                             "take a struct reg_why * (why.h)")
            if (in_registry or path.name in CORE_READERS) and BARE_MINUS_ONE.search(line):
                found.append(f"{rel}:{no}: a bare -1: return a REG_E* code (err.h)")
            if invents_errno(line):
                found.append(f"{rel}:{no}: an invented errno: return the REG_E* code that says "
                             "what kind of refusal it is (err.h); -errno only for a system "
                             "call's own result")
            if in_registry and path.name not in MAY_PRINT and PRINTS.search(line):
                found.append(f"{rel}:{no}: prints: hand the words to the caller (a struct buf, "
                             "a struct reg_why) or to the log sink (log.h)")
    return found


def test_every_reason_is_a_reg_why_and_library_code_never_prints():
    found = offences(ROOT)
    assert not found, "\n".join(["One way to say why (why.h, err.h, log.h):"] + found)


def test_the_check_sees_each_old_shape(tmp_path):
    """The patterns above find what they look for, and not the same words in comments or
    strings, in main.c or log.c, or a -1 that is no return."""
    (tmp_path / "registry" / "server").mkdir(parents=True)
    (tmp_path / "cli").mkdir()
    (tmp_path / "registry" / "server" / "bad.c").write_text(
        "int f(char *why, size_t whylen)\n"
        "{\n"
        "    fprintf(stderr, \"x\");\n"
        "    return -1;\n"
        "}\n"
        "int g(const char **why) { puts(\"y\"); return 0; }\n"
        "void say(const char *why);\n")
    (tmp_path / "registry" / "fine.c").write_text(
        "/* char *why, whylen, return -1; printf(\"x\"); */\n"
        "int h(struct reg_why *why) { const char *s = \"return -1; puts(x)\"; return x == -1; }\n"
        "// fprintf(stderr, \"z\");\n")
    (tmp_path / "registry" / "main.c").write_text("int main(void) { printf(\"hi\"); }\n")
    (tmp_path / "cli" / "cmd_x.c").write_text("int k(void) { return -1; }\n")  # CLI commands
    (tmp_path / "cli" / "csvdecl.c").write_text("int r(void) { return -1; }\n")
    (tmp_path / "cli" / "cmd_y.c").write_text(
        "int e(int rc)\n"
        "{\n"
        "    if (rc == -ENOENT || rc != -ENOTDIR) return -errno; /* -EINVAL */\n"
        "    if (!p) return -EINVAL;\n"
        "    rc = ok ? 0 : -ERANGE;\n"
        "    return reg_why_set(why, -EINVAL, \"-EINVAL\");\n"
        "}\n")
    assert offences(tmp_path) == [
        "registry/server/bad.c:1: a reason as a char buffer or const char **: "
        "take a struct reg_why * (why.h)",
        "registry/server/bad.c:3: prints: hand the words to the caller (a struct buf, "
        "a struct reg_why) or to the log sink (log.h)",
        "registry/server/bad.c:4: a bare -1: return a REG_E* code (err.h)",
        "registry/server/bad.c:6: a reason as a char buffer or const char **: "
        "take a struct reg_why * (why.h)",
        "registry/server/bad.c:6: prints: hand the words to the caller (a struct buf, "
        "a struct reg_why) or to the log sink (log.h)",
    ] + [f"cli/cmd_y.c:{no}: an invented errno: return the REG_E* code that says what kind of "
         "refusal it is (err.h); -errno only for a system call's own result" for no in (4, 5, 6)
         ] + ["cli/csvdecl.c:1: a bare -1: return a REG_E* code (err.h)"]
