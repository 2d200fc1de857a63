//! build.zig: builds seclabel. The product is C11; Zig is only the build system.
//!
//!   zig build               seclabeld and seclabel (zig-out/bin), their manual pages and the
//!                           bash completion (zig-out/share); nothing else
//!   zig build test          builds the C unit tests (cmocka) into zig-out/tests and runs them
//!   zig build unit          only builds them (scripts/test runs them one by one)
//!   zig build itest         the integration tests: .venv's pytest on tests/integration against
//!                           the programs just built (`zig build itest -- -k label` passes
//!                           arguments on to pytest)
//!   zig build fmt           checks formatting: clang-format (.clang-format) on every C file,
//!                           zig fmt on build.zig
//!   zig build bench         the label benchmark, zig-out/bench/bench_label (bench/labels)
//!   zig build fuzz          the libFuzzer targets (tests/fuzz, Debian's clang) in zig-out/fuzz
//!
//! Options:
//!   -Doptimize=ReleaseFast|ReleaseSafe   an optimised build for running or benchmarking
//!   -Dsanitize=address|undefined|thread  address: AddressSanitizer and UBSan; undefined: UBSan;
//!                           thread: ThreadSanitizer (for `seclabeld --loops N`) and UBSan.
//!                           Default: Zig's own, which is UBSan in Debug builds.
//!   -Dversion=X.Y.Z         the version the programs and manual pages show (default: .version
//!                           in build.zig.zon, its one home); C code sees it as SECLABEL_VERSION
//!
//! System libraries come from Debian's -dev packages (scripts/setup installs them); each is
//! named once below by its pkg-config name, and Zig runs pkg-config for it when it links.
//! liblmdb is linked, never compiled here: mdb.c trips UBSan in debug builds.
const std = @import("std");
const zon = @import("build.zig.zon");

const cflags = [_][]const u8{ "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror" };

/// The layers of the C code, from the bottom up. Each directory's .c files are compiled with
/// only the directories it `sees` on its include path, so a layer cannot include a header from
/// a layer above it; headers a layer must not use although they sit on the system include path
/// (libuv's, llhttp's) or in a layer it sees (store.h for the pages) are `banned`: an #error in
/// their place, ahead of everything else on the path. README.md's ARCHITECTURE section draws it.
const Layer = struct {
    dir: []const u8,
    sees: []const []const u8,
    /// The system libraries it uses, by pkg-config name (tests/fuzz/Makefile gets them all).
    libs: []const []const u8,
    banned: []const []const u8,
};
/// What both programs use: declarations, products, manufacturers, the store, assessment,
/// search, labels and QR codes, CSV and CTA-2120 conversion. (zstd: reczip.c packs stored
/// records with a dictionary trained on them. ICU: registry/core/ctadecl.c
/// transliterates IDs to ASCII; seclabeld, which never calls it, does not load it. fontconfig and
/// FreeType: label_cairo.c's fallback fonts for characters DejaVu Sans lacks.)
const core = Layer{
    .dir = "registry/core",
    .sees = &.{"registry/core"},
    .libs = &.{ "lmdb", "libzstd", "libqrencode", "yyjson", "cairo", "libpng", "libsodium", "icu-i18n", "icu-uc", "fontconfig", "freetype2" },
    .banned = &.{ "uv.h", "llhttp.h" },
};
/// seclabeld's HTML pages: plain data in, bytes out (no storage, no transport).
const pages = Layer{
    .dir = "registry/pages",
    .sees = &.{ "registry/pages", "registry/core" },
    .libs = &.{},
    .banned = &.{ "uv.h", "llhttp.h", "store.h" },
};
/// seclabeld: the event loop, HTTP, routes, caches, limits, metrics (main.c is its main).
/// (libsystemd: journal.c sends structured records to the journal.)
const server = Layer{
    .dir = "registry/server",
    .sees = &.{ "registry/server", "registry/pages", "registry/core" },
    .libs = &.{ "libuv", "libllhttp", "zlib", "libbrotlienc", "libcurl", "libsystemd" },
    .banned = &.{},
};
/// seclabel, the CLI: the core and libcurl, never the server or the pages.
const cli = Layer{
    .dir = "cli",
    .sees = &.{ "cli", "registry/core" },
    .libs = &.{"libcurl"},
    .banned = &.{ "uv.h", "llhttp.h" },
};
const layers = [_]Layer{ core, pages, server, cli };
/// The unit tests see every layer of registry/; the label benchmark only the core.
const unit_layer = Layer{ .dir = "tests/unit", .sees = server.sees, .libs = &.{ "cmocka", "libbrotlidec" }, .banned = &.{} };
const bench_layer = Layer{ .dir = "bench", .sees = core.sees, .libs = &.{}, .banned = &.{} };

/// One C unit-test binary per module under test (tests/unit/test_<name>.c).
const unit_tests = [_][]const u8{ "decl", "csv", "store", "label", "http", "cta", "i18n", "rcache", "mfr", "clients", "assess", "hash", "product", "search", "log", "page", "metrics", "represent", "commit", "reczip", "sindex", "date", "buf", "note", "tlog", "tlogv", "dataver" };

/// The C files `zig build fmt` checks with clang-format.
const c_dirs = [_][]const u8{ "registry/core", "registry/pages", "registry/server", "cli", "tests/unit", "tests/fuzz", "bench" };

/// The files under web/ that the server serves or reads, compiled into the binary so it needs
/// no asset directory at run time and never reads files per request. Written to the build cache
/// as web_assets.c; see registry/pages/web_assets.h.
const web_texts = [_][]const u8{ "en", "de", "zh" };

const Sanitize = enum { address, undefined, thread };

/// What every C module is compiled with: target, optimisation, sanitizers, flags.
const Config = struct {
    target: std.Build.ResolvedTarget,
    optimize: std.builtin.OptimizeMode,
    sanitize: ?Sanitize,
    flags: []const []const u8,
    /// The sanitizer runtime (address, thread): Debian's clang's static one (libclang-rt-dev),
    /// linked into each program. Zig ships no ASan runtime, and its TSan runtime starts after
    /// the shared libraries' constructors (libX11's calls malloc), so crashes at start.
    san_rt: ?[]const []const u8,
};

/// Append `bytes` as the body of a C string literal; CSS comments and line breaks dropped when
/// `css`. Returns the number of bytes the literal holds.
fn cString(a: std.mem.Allocator, out: *std.ArrayList(u8), bytes: []const u8, css: bool) usize {
    var i: usize = 0;
    var n: usize = 0;
    while (i < bytes.len) {
        if (css and i + 1 < bytes.len and bytes[i] == '/' and bytes[i + 1] == '*') {
            const end = std.mem.indexOfPos(u8, bytes, i + 2, "*/") orelse bytes.len - 2;
            i = end + 2;
            continue;
        }
        const c = bytes[i];
        i += 1;
        if (css and (c == '\n' or c == '\r')) continue;
        if (c >= 0x20 and c < 0x7f and c != '"' and c != '\\' and c != '?') {
            out.append(a, c) catch @panic("OOM");
        } else {
            out.print(a, "\\{o:0>3}", .{c}) catch @panic("OOM");
        }
        n += 1;
    }
    return n;
}

fn readSource(b: *std.Build, path: []const u8) []const u8 {
    return b.build_root.handle.readFileAlloc(b.allocator, path, 1 << 20) catch
        std.debug.panic("cannot read {s}", .{path});
}

fn embedWeb(b: *std.Build) std.Build.LazyPath {
    const a = b.allocator;
    var out: std.ArrayList(u8) = .empty;
    // Linked into the core layer, where the labels read the texts' label.* keys, so it includes
    // no header: registry/pages/web_assets.h and registry/core/label_int.h declare what it has.
    out.appendSlice(a, "/* Generated by build.zig from web/: do not edit. */\n" ++
        "#include <stddef.h>\nconst char web_style_css[] = \"") catch @panic("OOM");
    const n = cString(a, &out, readSource(b, "web/style.css"), true);
    out.print(a, "\";\nconst size_t web_style_css_len = {d};\n", .{n}) catch @panic("OOM");
    for (web_texts) |lang| {
        out.print(a, "const char web_text_{s}[] = \"", .{lang}) catch @panic("OOM");
        _ = cString(a, &out, readSource(b, b.fmt("web/i18n/{s}.txt", .{lang})), false);
        out.appendSlice(a, "\";\n") catch @panic("OOM");
    }
    return b.addWriteFiles().add("web_assets.c", out.items);
}

/// Install manual page `src` (docs/man/) as share/man/`dest` with @VERSION@ replaced.
fn installMan(b: *std.Build, src: []const u8, dest: []const u8, version: []const u8) void {
    const text = std.mem.replaceOwned(u8, b.allocator, readSource(b, src), "@VERSION@", version) catch @panic("OOM");
    const page = b.addWriteFiles().add(std.fs.path.basename(src), text);
    b.getInstallStep().dependOn(&b.addInstallFileWithDir(page, .prefix, b.fmt("share/man/{s}", .{dest})).step);
}

/// Where Debian's clang has `file` (its sanitizer runtimes' place depends on its version).
fn clangFile(b: *std.Build, file: []const u8) []const u8 {
    return std.mem.trim(u8, b.run(&.{ "clang", b.fmt("-print-file-name={s}", .{file}) }), " \r\n");
}

/// Headers that stand in for `layer.banned` and stop the compilation with a message, or null.
fn bannedHeaders(b: *std.Build, layer: Layer) ?std.Build.LazyPath {
    if (layer.banned.len == 0) return null;
    const files = b.addWriteFiles();
    for (layer.banned) |h|
        _ = files.add(h, b.fmt("#error \"{s} may not include {s}: see the layers in build.zig\"\n", .{ layer.dir, h }));
    return files.getDirectory();
}

fn contains(list: []const []const u8, item: []const u8) bool {
    for (list) |x| if (std.mem.eql(u8, x, item)) return true;
    return false;
}

/// A C module for code in `layer`: its banned headers, then the directories it sees, on its
/// include path; the system libraries of every layer it sees; the sanitizers.
fn cModule(b: *std.Build, cfg: Config, layer: Layer) *std.Build.Module {
    const m = b.createModule(.{ .target = cfg.target, .optimize = cfg.optimize, .link_libc = true });
    if (bannedHeaders(b, layer)) |dir| m.addIncludePath(dir);
    for (layer.sees) |d| m.addIncludePath(b.path(d));
    for (layers) |l| if (contains(layer.sees, l.dir)) for (l.libs) |lib| m.linkSystemLibrary(lib, .{});
    // A layer outside `layers` (the unit tests, the benchmark) also links its own.
    if (!contains(layer.sees, layer.dir)) for (layer.libs) |lib| m.linkSystemLibrary(lib, .{});
    if (cfg.sanitize) |s| switch (s) {
        .undefined, .address, .thread => m.sanitize_c = .full,
    };
    return m;
}

/// One relocatable object of a registry layer's .c files (but `except`), plus `extra`. Not a
/// static library: Zig 0.15 would put the system libraries' .so files into the archive
/// (ziglang/zig#20476). Function and data sections let each program drop what it never calls.
fn layerObject(b: *std.Build, cfg: Config, layer: Layer, except: ?[]const u8, extra: ?std.Build.LazyPath) *std.Build.Step.Compile {
    const m = cModule(b, cfg, layer);
    var srcs: std.ArrayList([]const u8) = .empty;
    for (listFiles(b, layer.dir, ".c")) |f| {
        if (except == null or !std.mem.eql(u8, std.fs.path.basename(f), except.?))
            srcs.append(b.allocator, std.fs.path.basename(f)) catch @panic("OOM");
    }
    m.addCSourceFiles(.{ .root = b.path(layer.dir), .files = srcs.items, .flags = cfg.flags });
    if (extra) |file| m.addCSourceFile(.{ .file = file, .flags = cfg.flags });
    const obj = b.addObject(.{ .name = std.fs.path.basename(layer.dir), .root_module = m });
    obj.link_function_sections = true;
    obj.link_data_sections = true;
    return obj;
}

/// A program (or test) of `mod` plus `objs`, with the sanitizer runtime if one is needed; unused
/// sections are dropped, and with them the libraries only they use.
fn cProgram(b: *std.Build, cfg: Config, name: []const u8, mod: *std.Build.Module, objs: []const *std.Build.Step.Compile) *std.Build.Step.Compile {
    for (objs) |o| mod.addObject(o);
    const exe = b.addExecutable(.{ .name = name, .root_module = mod });
    exe.link_gc_sections = true;
    if (cfg.san_rt) |rt| {
        for (rt) |a| mod.addObjectFile(.{ .cwd_relative = a });
        for ([_][]const u8{ "dl", "pthread", "rt", "m" }) |l| mod.linkSystemLibrary(l, .{ .use_pkg_config = .no });
        exe.rdynamic = true; // the runtime's malloc and friends must also serve the shared libraries
        // Its .preinit_array entry, which starts it before any shared library's constructor.
        // (Without it ASan started in its first malloc, inside p11-kit's constructor's newlocale,
        // under glibc's locale lock; its dlerror() took that lock again, through gettext, and left
        // it unbalanced, so every CLI run that printed a strerror hung at exit in freelocale.)
        exe.forceUndefinedSymbol(b.fmt("__local_{s}_preinit", .{if (cfg.sanitize == .thread) "tsan" else "asan"}));
    }
    return exe;
}

/// The files in `dir_name` whose names end in `ext` (".c"; "" for .c and .h), as paths from the
/// build root, sorted so that the build does not depend on the order the file system lists them.
fn listFiles(b: *std.Build, dir_name: []const u8, ext: []const u8) []const []const u8 {
    var files: std.ArrayList([]const u8) = .empty;
    var dir = b.build_root.handle.openDir(dir_name, .{ .iterate = true }) catch
        std.debug.panic("cannot open {s}", .{dir_name});
    defer dir.close();
    var it = dir.iterate();
    while (it.next() catch @panic("cannot list a directory")) |e| {
        if (e.kind != .file) continue;
        const c_or_h = std.mem.endsWith(u8, e.name, ".c") or std.mem.endsWith(u8, e.name, ".h");
        if (!c_or_h or !std.mem.endsWith(u8, e.name, ext)) continue;
        files.append(b.allocator, b.pathJoin(&.{ dir_name, e.name })) catch @panic("OOM");
    }
    std.mem.sort([]const u8, files.items, {}, struct {
        fn lt(_: void, x: []const u8, y: []const u8) bool {
            return std.mem.lessThan(u8, x, y);
        }
    }.lt);
    return files.items;
}

/// Every .c and .h file under `c_dirs`, for clang-format.
fn cFiles(b: *std.Build) []const []const u8 {
    var files: std.ArrayList([]const u8) = .empty;
    for (c_dirs) |d| files.appendSlice(b.allocator, listFiles(b, d, "")) catch @panic("OOM");
    return files.items;
}

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});
    const sanitize = b.option(Sanitize, "sanitize", "address (ASan+UBSan), undefined (UBSan) or thread (TSan+UBSan); default: UBSan in Debug");
    const version = b.option([]const u8, "version", "The version the programs report (default: build.zig.zon's)") orelse zon.version;

    var flags: std.ArrayList([]const u8) = .empty;
    flags.appendSlice(b.allocator, &cflags) catch @panic("OOM");
    flags.append(b.allocator, b.fmt("-DSECLABEL_VERSION=\"{s}\"", .{version})) catch @panic("OOM");
    var san_rt: ?[]const []const u8 = null;
    if (sanitize == .address or sanitize == .thread) {
        const asan = sanitize == .address;
        flags.appendSlice(b.allocator, &.{ if (asan) "-fsanitize=address" else "-fsanitize=thread", "-fno-omit-frame-pointer" }) catch @panic("OOM");
        // Zig's clang (LLVM 20) would call __tsan_memcpy and friends, which Debian 12's runtime
        // (LLVM 14) lacks; plain memcpy calls, which the runtime intercepts, are checked instead.
        if (!asan) flags.appendSlice(b.allocator, &.{ "-mllvm", "-tsan-instrument-memintrinsics=false" }) catch @panic("OOM");
        const arch = @tagName(target.result.cpu.arch);
        var rt: std.ArrayList([]const u8) = .empty;
        const parts: []const []const u8 = if (asan) &.{ "asan-preinit", "asan" } else &.{"tsan"};
        for (parts) |part| rt.append(b.allocator, clangFile(b, b.fmt("libclang_rt.{s}-{s}.a", .{ part, arch }))) catch @panic("OOM");
        rt.append(b.allocator, clangFile(b, "libgcc_s.so.1")) catch @panic("OOM"); // the unwinder its stack traces use
        san_rt = rt.items;
    }
    const cfg: Config = .{ .target = target, .optimize = optimize, .sanitize = sanitize, .flags = flags.items, .san_rt = san_rt };

    // The three layers of registry/, each one object, linked into the programs that use them.
    const web_assets = embedWeb(b);
    const core_obj = layerObject(b, cfg, core, null, web_assets);
    const pages_obj = layerObject(b, cfg, pages, null, null);
    const server_obj = layerObject(b, cfg, server, "main.c", null);
    const all_objs = [_]*std.Build.Step.Compile{ server_obj, pages_obj, core_obj };

    const server_mod = cModule(b, cfg, server);
    server_mod.addCSourceFile(.{ .file = b.path("registry/server/main.c"), .flags = cfg.flags });
    b.installArtifact(cProgram(b, cfg, "seclabeld", server_mod, &all_objs));

    const cli_mod = cModule(b, cfg, cli);
    cli_mod.addCSourceFiles(.{ .files = listFiles(b, cli.dir, ".c"), .flags = cfg.flags });
    b.installArtifact(cProgram(b, cfg, "seclabel", cli_mod, &.{core_obj}));

    // Manual pages and bash completion.
    installMan(b, "docs/man/seclabel.1", "man1/seclabel.1", version);
    installMan(b, "docs/man/seclabeld.8", "man8/seclabeld.8", version);
    b.installFile("scripts/completion/seclabel.bash", "share/bash-completion/completions/seclabel");

    // Benchmarks (bench/): built on request, never run by the tests.
    const bench_mod = cModule(b, cfg, bench_layer);
    bench_mod.addCSourceFile(.{ .file = b.path("bench/bench_label.c"), .flags = cfg.flags });
    const bench = cProgram(b, cfg, "bench_label", bench_mod, &.{core_obj});
    const bench_install = b.addInstallArtifact(bench, .{ .dest_dir = .{ .override = .{ .custom = "bench" } } });
    b.step("bench", "Build the label benchmark into zig-out/bench (bench/labels runs it)").dependOn(&bench_install.step);

    // libFuzzer targets (tests/fuzz): built by Debian's clang, which has libFuzzer's runtime.
    const fuzz = b.addSystemCommand(&.{ "make", "--no-print-directory", "-j2", "-f" });
    fuzz.addFileArg(b.path("tests/fuzz/Makefile"));
    fuzz.addPrefixedFileArg("WEB_ASSETS=", web_assets);
    var fuzz_libs: std.ArrayList([]const u8) = .empty;
    for (layers) |l| fuzz_libs.appendSlice(b.allocator, l.libs) catch @panic("OOM");
    fuzz.addArg(b.fmt("LIBS={s}", .{std.mem.join(b.allocator, " ", fuzz_libs.items) catch @panic("OOM")}));
    fuzz.addArg(b.fmt("OUT={s}", .{b.getInstallPath(.prefix, "fuzz")}));
    fuzz.addArg(b.fmt("VERSION={s}", .{version}));
    b.step("fuzz", "Build the libFuzzer targets into zig-out/fuzz (scripts/fuzz runs them)")
        .dependOn(&fuzz.step);

    const unit_step = b.step("unit", "Build the C unit tests into zig-out/tests");
    const test_step = b.step("test", "Build and run the C unit tests");
    for (unit_tests) |name| {
        const m = cModule(b, cfg, unit_layer);
        m.addCSourceFile(.{ .file = b.path(b.fmt("tests/unit/test_{s}.c", .{name})), .flags = cfg.flags });
        const exe = cProgram(b, cfg, b.fmt("test_{s}", .{name}), m, &all_objs);
        const install = b.addInstallArtifact(exe, .{ .dest_dir = .{ .override = .{ .custom = "tests" } } });
        unit_step.dependOn(&install.step);
        test_step.dependOn(&install.step);
        const run = b.addRunArtifact(exe);
        run.expectExitCode(0);
        test_step.dependOn(&run.step);
    }

    // Integration tests: pytest from the project's .venv (scripts/setup test makes it).
    const itest = b.addSystemCommand(&.{ b.pathFromRoot(".venv/bin/python"), "-m", "pytest", "-q", "-p", "no:cacheprovider" });
    itest.setCwd(b.path("."));
    itest.setEnvironmentVariable("SECLABEL_BIN", b.getInstallPath(.bin, ""));
    itest.addArg("tests/integration");
    if (b.args) |args| itest.addArgs(args);
    itest.has_side_effects = true;
    itest.stdio = .inherit;
    itest.step.dependOn(b.getInstallStep());
    b.step("itest", "Run the integration tests (pytest) against the programs just built").dependOn(&itest.step);

    // Formatting: clang-format (Debian's, the repo's .clang-format) and zig fmt.
    const fmt_step = b.step("fmt", "Check the formatting of the C files (clang-format) and build.zig (zig fmt)");
    const clang_format = b.addSystemCommand(&.{ "clang-format", "--dry-run", "--Werror" });
    clang_format.setCwd(b.path("."));
    clang_format.addArgs(cFiles(b));
    clang_format.has_side_effects = true;
    fmt_step.dependOn(&clang_format.step);
    fmt_step.dependOn(&b.addFmt(.{ .paths = &.{"build.zig"}, .check = true }).step);
}
