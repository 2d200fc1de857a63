"""The layers of the C code (build.zig's `layers`: registry/core, registry/pages, registry/server,
cli) as the sources write them: every quoted #include names a header of a layer the including
file's layer sees, no header is banned for it, and the headers include each other without a
cycle. The build enforces the first two when it compiles; this test says it in one place, and
it is the only check of the third."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INCLUDE = re.compile(r'^\s*#\s*include\s+[<"]([^">]+)[">]', re.M)


def layers():
    """{dir: (sees, banned)} from build.zig's Layer constants."""
    text = (ROOT / "build.zig").read_text()
    found = {}
    for body in re.findall(r"^const \w+ = Layer\{\n(.*?)\n\};", text, re.S | re.M):
        def strings(field):
            m = re.search(r"\." + field + r" = &?\.?\{?([^}\n]*)", body)
            return re.findall(r'"([^"]+)"', m.group(1)) if m else []
        found[strings("dir")[0]] = (strings("sees"), strings("banned"))
    return found


def sources(dirs):
    return sorted(p for d in dirs for p in (ROOT / d).glob("*.[ch]"))


def includes(path):
    return INCLUDE.findall(path.read_text(encoding="utf-8"))


def test_build_zig_names_the_four_layers():
    assert set(layers()) == {"registry/core", "registry/pages", "registry/server", "cli"}
    assert layers()["registry/core"][0] == ["registry/core"], "the core sees only itself"


def test_every_include_stays_in_a_layer_the_file_sees():
    table = layers()
    headers = {p.name: p.parent.relative_to(ROOT).as_posix() for p in sources(table)}
    wrong = []
    for layer, (sees, banned) in table.items():
        for path in sources([layer]):
            for name in includes(path):
                home = headers.get(name)
                if name in banned or (home is not None and home not in sees):
                    wrong.append(f"{path.relative_to(ROOT)} includes {name} ({home or 'system'})")
    assert not wrong, "\n".join(wrong)


def test_presentation_never_includes_storage_or_transport():
    for path in sources(["registry/pages"]):
        assert not {"store.h", "http.h", "uv.h", "llhttp.h"} & set(includes(path)), path


def test_headers_include_each_other_without_a_cycle():
    paths = {p.name: p for p in sources(layers()) if p.suffix == ".h"}
    graph = {name: [h for h in includes(p) if h in paths] for name, p in paths.items()}
    state = {}

    def visit(node, trail):
        if state.get(node) == "done":
            return
        assert state.get(node) != "open", "include cycle: " + " -> ".join(trail + [node])
        state[node] = "open"
        for nxt in graph[node]:
            visit(nxt, trail + [node])
        state[node] = "done"

    for name in sorted(graph):
        visit(name, [])


def test_no_two_layers_hold_a_header_of_the_same_name():
    """A quoted include is found by name along the include path: of two headers of one name,
    which one a file gets would depend on its layer."""
    names = [p.name for p in sources(layers()) if p.suffix == ".h"]
    assert len(names) == len(set(names))
