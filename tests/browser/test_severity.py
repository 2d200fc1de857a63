"""One order of severity, seen in the browser (issue 12): each kind of product page leads with
its state above the title, and a withdrawn, ended or promise-breaking product shows no tick and
nothing in green anywhere on its page; the lists show each state in its own colour, with an
icon and words that a screen reader reads too."""
import pytest

from .site_pages import PRODUCT_ROLES, page

BAD = ("ended", "not_compliant", "withdrawn")
# The greens of web/style.css (.st-active, .checks li.yes, .verified): text, border, background.
GREENS = {"rgb(30, 123, 52)", "rgb(30, 107, 48)", "rgb(231, 244, 234)"}

# The page's status boxes, where the title is, and every visible element drawn in green or
# showing a tick.
PAGE_JS = r"""
const vis = e => e.checkVisibility ? e.checkVisibility() : !!(e.offsetWidth || e.offsetHeight);
const greens = new Set(arguments[0]);
const main = document.querySelector('main');
const green = [...main.querySelectorAll('*')].filter(vis).filter(e => {
  const s = getComputedStyle(e);
  return [s.color, s.backgroundColor, s.borderLeftColor, s.borderTopColor].some(c => greens.has(c));
}).map(e => e.tagName + '.' + e.className + ': ' + e.innerText.slice(0, 60));
return {
  boxes: [...main.querySelectorAll('div.status')].filter(vis).map(b => ({
    cls: b.className, top: b.getBoundingClientRect().top, text: b.innerText})),
  h1: document.querySelector('h1').getBoundingClientRect().top,
  green: green,
  ticks: main.innerText.includes('\u2714'),
};
"""

# Each results row: its product link, its badge's class, text, colours and accessible text.
ROWS_JS = r"""
return [...document.querySelectorAll('main tbody tr')].map(tr => {
  const b = tr.querySelector('.badge'), s = b && getComputedStyle(b);
  const a = tr.querySelector('a[href^="/p/"]');
  return {id: a && a.pathname.slice(3), cls: b && b.className, text: b && b.innerText.trim(),
          spoken: b && [...b.childNodes].filter(n => !(n.getAttribute &&
                           n.getAttribute('aria-hidden') === 'true'))
                         .map(n => n.textContent).join('').trim(),
          bg: s && s.backgroundColor, border: s && s.borderTopColor, visible: !!(b && b.offsetWidth)};
});
"""


def state(registry, role):
    return registry.records[registry.roles[role]]["state"]["name"]


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("role", PRODUCT_ROLES)
def test_product_page_leads_with_its_state(role, size, site, registry):
    p = page("product-%s-en" % role)
    p.visit(site, size)  # screenshot and axe from the shared visit
    site.emulate(size)
    site.driver.get(registry.url + p.url_path(registry))
    got = site.driver.execute_script(PAGE_JS, sorted(GREENS))
    want = state(registry, role)
    assert got["boxes"], "no status box"
    lead = got["boxes"][0]
    assert "st-" + want in lead["cls"].split(), (want, got["boxes"])
    assert lead["top"] < got["h1"], "the state box is not above the title"
    if want in BAD:
        assert not got["ticks"], "a tick on the page of a %s product" % want
        assert not got["green"], "green on the page of a %s product: %r" % (want, got["green"])
    else:
        assert got["ticks"] and got["green"], "no tick or green on a %s product's page" % want


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_lists_show_every_state_distinctly(size, site, registry):
    page("home-en").visit(site, size)
    seen = {}
    for path in ("/?limit=100", "/m/acme", "/m/nordlicht"):
        site.emulate(size)
        site.driver.get(registry.url + path)
        for row in site.driver.execute_script(ROWS_JS):
            r = requests_record(registry, row["id"])
            want = r["state"]["name"]
            assert row["visible"] and row["cls"] == "badge st-" + want, (path, row)
            icon, words = row["text"].split("\u00a0", 1)  # a no-break space after the icon
            assert icon == {"active": "✔", "ending_soon": "⚠"}.get(want, "✖"), row
            assert row["spoken"] == words, row  # the words, not only the icon or colour
            seen.setdefault(want, set()).add((words, row["bg"], row["border"]))
    assert set(seen) >= {state(registry, r) for r in PRODUCT_ROLES}, seen
    assert all(len(v) == 1 for v in seen.values()), seen  # one look per state
    looks = [v.pop() for v in seen.values()]
    for i in range(3):  # words, background and border: each tells the states apart
        assert len({look[i] for look in looks}) == len(looks), looks


_records = {}


def requests_record(registry, pid):
    if pid not in _records:
        _records[pid] = registry.record(pid)
    return _records[pid]
