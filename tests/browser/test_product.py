"""The consumer page (L1) for each kind of product, its translations, its weight and how it looks
without JavaScript; the technical page (L2) and the manufacturer page."""
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
import requests

from .browserlib import DEMO, SHOTS
from .site_pages import PRODUCT_ROLES, page, params

# What a shopper must read on each kind of product's page (English), besides the product name.
KEY_TEXT = {
    "active": [r"Security updates until"],
    "ending-soon": [r"Security updates end soon|\bends? soon\b"],
    "ended": [r"Security updates ended|\bended\b"],
    "withdrawn": [r"\bwithdrawn\b", r"Security updates (until|end)|\bended\b"],
    "universal-password": [r"\buniversal\b", r"default password", r"Security updates until"],
}
WEIGHT_BUDGET = 20_000  # bytes: the page's HTML plus the stylesheets it links, uncompressed


def links_to(visit, pattern):
    return [l["href"] for l in visit.facts["links"] if re.match(pattern, l["href"])]


@pytest.mark.parametrize("role", PRODUCT_ROLES)
def test_product_page_key_text(role, site, registry):
    pid = registry.roles[role]
    name = registry.records[pid]["product_name"]
    v = page("product-%s-en" % role).visit(site, "phone")
    assert v.facts["h1"] and name in v.facts["h1"][0], "h1 %r lacks %r" % (v.facts["h1"], name)
    for pat in KEY_TEXT[role]:
        assert re.search(pat, v.text, re.I), "no %r in the page's visible text:\n%s" % (pat, v.text)


@pytest.mark.parametrize("role", PRODUCT_ROLES)
def test_product_page_says_whether_the_registry_verified_the_maker(role, site, registry):
    account = registry.records[registry.roles[role]]["manufacturer_account"]
    v = page("product-%s-en" % role).visit(site, "phone")
    said = "Verified by the registry on" if account["verified"] else "Not verified"
    assert account["name"] in v.text and said in v.text, "no %r in:\n%s" % (said, v.text)


def test_pages_show_both_a_verified_and_an_unverified_maker(registry):
    shown = {registry.records[pid]["manufacturer_account"]["verified"]
             for pid in registry.roles.values()}
    assert shown == {True, False}, "the product pages visited show only %r" % shown


@pytest.mark.parametrize("lang", ["de", "zh"])
def test_product_page_translated(lang, site, registry):
    pid = registry.roles["active"]
    rec = registry.records[pid]
    en = page("product-active-en").visit(site, "phone")
    tr = page("product-active-%s" % lang).visit(site, "phone")
    assert rec["product_name"] in tr.text
    assert rec["support_date"][:4] in tr.text, "the support date's year is missing"
    assert "Security updates" not in tr.text, "English left on the %s page:\n%s" % (lang, tr.text)
    assert tr.facts["headings"][1:] != en.facts["headings"][1:], "headings not translated"


@pytest.mark.parametrize("lang", ["de", "zh"])
def test_home_translated(lang, site):
    en = page("home-en").visit(site, "desktop")
    tr = page("home-%s" % lang).visit(site, "desktop")
    assert tr.facts["h1"] and tr.facts["h1"] != en.facts["h1"], "h1 not translated: %r" % tr.facts["h1"]
    assert en.facts["h1"][0] not in tr.text
    assert tr.facts["title"] != en.facts["title"], "<title> not translated: %r" % tr.facts["title"]


def test_product_page_without_javascript(site, registry):
    """Pages need no JavaScript: with page scripts off the product page reads and lays out the
    same (screenshot: product-active-nojs-en-phone.png)."""
    p = page("product-active-en")
    path = p.url_path(registry)
    with_js = p.visit(site, "phone")
    d = site.driver
    d.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        d.get("data:text/html,<title>off</title><script>document.title='on'</script>")
        assert d.title == "off", "page scripts still run: the switch did not work"
        facts, controls = site.load(path, "phone")
        site.screenshot(SHOTS / "product-active-nojs-en-phone.png")
    finally:
        d.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    assert facts["text"] == with_js.text
    assert facts["headings"] == with_js.facts["headings"]
    assert (facts["scrollWidth"], facts["scrollHeight"]) == \
        (with_js.facts["scrollWidth"], with_js.facts["scrollHeight"]), "the layout changed"
    assert controls == with_js.controls


class _Stylesheets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").lower().split() and a.get("href"):
            self.hrefs.append(a["href"])


_css_bytes = {}  # stylesheet URL -> bytes, each fetched once per session


@pytest.mark.parametrize("role", PRODUCT_ROLES)
def test_page_weight(role, site, registry, record_property):
    url = registry.url + "/p/" + registry.roles[role]
    r = requests.get(url, timeout=10)
    assert r.status_code == 200
    parser = _Stylesheets()
    parser.feed(r.text)
    sheets = list(dict.fromkeys(urljoin(url, h) for h in parser.hrefs))
    for s in sheets:
        if s not in _css_bytes:
            c = requests.get(s, timeout=10)
            assert c.status_code == 200, (s, c.status_code)
            _css_bytes[s] = len(c.content)
    css = sum(_css_bytes[s] for s in sheets)
    total = len(r.content) + css
    line = "product-%s: HTML %d + CSS %d (%s) = %d bytes (budget %d)" % (
        role, len(r.content), css, ", ".join(s.replace(registry.url, "") for s in sheets) or "none",
        total, WEIGHT_BUDGET)
    site.record_weight(line)
    record_property("page_weight", line)
    assert total < WEIGHT_BUDGET, line


@pytest.mark.parametrize("p", params([page("details-en")]))
def test_details_page(p, site, registry):
    pid = registry.roles["active"]
    rec = registry.records[pid]
    v = p.visit(site, "desktop")
    assert v.facts["h1"] and rec["product_name"] in v.facts["h1"][0], v.facts["h1"]
    assert rec["security_contact"] in v.text
    assert rec["vulnerability_disclosure_policy"] in v.text
    assert links_to(v, r"^/p/%s$" % re.escape(pid)), "no link back to the product page"
    l1 = page("product-active-en").visit(site, "desktop")
    assert links_to(l1, r"^/p/%s/details$" % re.escape(pid)), "the product page does not link here"


@pytest.mark.parametrize("p", params([page("manufacturer-en")]))
def test_manufacturer_page(p, site, registry):
    v = p.visit(site, "desktop")
    assert v.facts["h1"] and "Acme Devices Ltd" in v.facts["h1"][0], v.facts["h1"]
    evidence = (DEMO / "acme" / "verification.txt").read_text().strip()
    assert "Verified by the registry on" in v.text and evidence in v.text, v.text
    r = requests.get(registry.url + "/v1/products?manufacturer=acme&limit=100", timeout=10)
    want = {it["id"] for it in r.json()["items"]}
    shown = {h[3:] for h in links_to(v, r"^/p/[^/?#]+$")}
    assert want and shown == want, "shown %r, the manufacturer's products %r" % (shown, want)
