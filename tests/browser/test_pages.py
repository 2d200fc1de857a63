"""Checks every page type must pass, in every language: status, <html lang>, one <h1>, heading
order, labelled form controls, no horizontal scrolling at 320 px, no raw translation keys, and
axe-core (WCAG 2.0/2.1/2.2 A and AA plus best practice) at phone and desktop size."""
import requests
import pytest

from .browserlib import AXE_FAILING_IMPACTS, SIZES, describe_violations, raw_keys
from .site_pages import PAGES, params

LANGS = {"en": ("en",), "de": ("de",), "zh": ("zh", "zh-hans", "zh-cn")}


@pytest.mark.parametrize("page", params())
def test_http_status(page, registry):
    r = requests.get(registry.url + page.url_path(registry), timeout=10)
    assert r.status_code == page.status
    assert r.headers.get("Content-Type", "").startswith("text/html"), r.headers
    assert r.encoding and r.encoding.lower() == "utf-8", r.headers.get("Content-Type")


@pytest.mark.parametrize("page", params())
def test_html_lang(page, site):
    v = page.visit(site, "desktop")
    lang = (v.facts["lang"] or "").lower()
    assert lang, "<html> has no lang attribute"
    ok = LANGS[page.lang]
    assert lang in ok or lang.split("-")[0] == ok[0], \
        "<html lang=%r>, expected %s" % (v.facts["lang"], " or ".join(ok))


@pytest.mark.parametrize("page", params())
def test_exactly_one_h1(page, site):
    v = page.visit(site, "desktop")
    assert len(v.facts["h1"]) == 1, "visible <h1> elements: %r" % v.facts["h1"]
    assert v.facts["h1"][0], "the <h1> is empty"


@pytest.mark.parametrize("page", params())
def test_headings_do_not_skip_levels(page, site):
    v = page.visit(site, "desktop")
    hs = v.facts["headings"]
    for a, b in zip(hs, hs[1:]):
        assert b["level"] <= a["level"] + 1, "h%d %r is followed by h%d %r (skips a level)" % (
            a["level"], a["text"], b["level"], b["text"])


@pytest.mark.parametrize("page", params())
def test_form_controls_have_accessible_names(page, site):
    v = page.visit(site, "desktop")
    unnamed = [c for c in v.controls if not c["accessible_name"]]
    assert not unnamed, "form controls without an accessible name: %r" % unnamed


@pytest.mark.parametrize("page", params())
@pytest.mark.parametrize("size", ["narrow", "tablet"])
def test_no_horizontal_scrolling(page, size, site):
    """Not on a small phone, nor between the phone layout and the desktop one, where German's
    long headings made the results table 630 px wide in a 485 px window."""
    v = page.visit(site, size)
    width = SIZES[size]["width"]
    assert v.facts["scrollWidth"] <= width, \
        "document is %d px wide in a %d px viewport" % (v.facts["scrollWidth"], width)


@pytest.mark.parametrize("page", params())
def test_no_raw_translation_keys(page, site):
    v = page.visit(site, "desktop")
    assert not raw_keys(v.text), "untranslated keys or placeholders: %r" % raw_keys(v.text)


@pytest.mark.parametrize("page,size", params(PAGES, ["phone", "desktop"]))
def test_axe(page, size, site, record_property):
    v = page.visit(site, size)
    assert v.axe is not None and "violations" in v.axe, v.axe
    vs = v.axe["violations"]
    record_property("axe_violations", ", ".join(
        "%s (%s)" % (x["id"], x.get("impact")) for x in vs) or "none")
    bad = v.axe_failures()
    assert not bad, "axe-core %s found %s violations on %s:\n%s" % (
        v.axe.get("testEngine", {}).get("version"), "/".join(AXE_FAILING_IMPACTS), v.url,
        describe_violations(bad))
