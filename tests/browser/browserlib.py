"""The machinery of the browser tests (conftest.py holds only the fixtures).

The registry: the freshly built seclabeld (tests/integration/conftest.py's Server), loaded with the
demo data. The browser: headless Debian Chromium driven through selenium (chromium-driver). Every
page is visited once per viewport; what the tests need from it (the visible text, the headings,
the form controls and their accessible names, the page's width, the axe-core result) is collected
on that visit and cached, and the screenshot and the axe JSON are written to
tests/browser/screenshots/ as <page>-<lang>-<phone|desktop>.png and .axe.json.
"""
import base64
import datetime
import importlib.resources
import importlib.util
import json
import pathlib
import re
import shutil
from dataclasses import dataclass, field

from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EXAMPLES = ROOT / "schema" / "examples"
SHOTS = HERE / "screenshots"

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def _integration():
    """tests/integration/conftest.py, loaded under its own name (both files are 'conftest')."""
    spec = importlib.util.spec_from_file_location("seclabel_integration_conftest",
                                                  ROOT / "tests" / "integration" / "conftest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_it = _integration()
Server, add_manufacturer = _it.Server, _it.add_manufacturer

# axe-core 4.12.1 as shipped by the axe-playwright-python package (axe-selenium-python's own copy
# is axe-core 3.1.1 from 2018, which knows none of the WCAG 2.1/2.2 rules).
AXE_JS = importlib.resources.files("axe_playwright_python") / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}}
AXE_FAILING_IMPACTS = ("serious", "critical")

# Viewports: a phone (mobile emulation, so <meta name=viewport> applies), a desktop, and the
# narrowest phone a page must fit without horizontal scrolling.
SIZES = {
    "phone": {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True},
    "desktop": {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    "narrow": {"width": 320, "height": 700, "deviceScaleFactor": 1, "mobile": True},
    "tablet": {"width": 560, "height": 900, "deviceScaleFactor": 1, "mobile": True},
}

# The makers: the demo's (schema/examples/demo/<slug>/: manufacturer.txt holds the name,
# gs1-prefixes.txt the GS1 Company Prefixes, verification.txt, if there, the evidence the
# registry verified it on), and "paging".
DEMO = EXAMPLES / "demo"
MANUFACTURERS = {d.name: (d / "manufacturer.txt").read_text().strip()
                 for d in sorted(DEMO.iterdir()) if d.is_dir()}
MANUFACTURERS["paging"] = "Paging Test Co"
PAGING_PRODUCTS = 55  # more than one page of results at any page size up to 50

# The products the tests show, by role: the demo product that plays it today and, should the
# calendar move past the demo's dates, a stand-in registered with dates relative to today.
ROLES = {
    "active": "acme-cam-2",
    "ending-soon": "acme-plug-1",
    "ended": "acme-hub-2019",
    "universal-password": "nordlicht-doorbell-1",
    "withdrawn": "nordlicht-doorbell-2",
}


def _fits(role, rec):
    st, ok = rec["support_status"]["status"], rec["compliance"]["compliant"]
    active = rec["status"] == "active"
    return {
        "active": active and st == "active" and ok,
        "ending-soon": active and st == "ending_soon",
        "ended": active and st == "ended",
        "universal-password": active and rec["default_password"] == "universal" and st != "ended",
        "withdrawn": rec["status"] == "withdrawn",
    }[role]


def _stand_in(role, slug, today):
    """A product of maker slug (the demo product's) that plays role today."""
    days = {"active": 3 * 365, "ending-soon": 60, "ended": -200, "universal-password": 3 * 365,
            "withdrawn": 3 * 365}[role]
    return {
        "id": "%s-browser-%s" % (slug, role),
        "product_name": "Stand-in %s" % role.replace("-", " ").title(),
        "product_model": "SI-" + role[:3].upper(),
        "support_date": (today + datetime.timedelta(days=days)).isoformat(),
        "security_contact": "security@%s.example" % slug,
        "default_password": "universal" if role == "universal-password" else "user_defined",
    }


def _gtin13(gtin):
    """A GTIN (8, 12, 13 or 14 digits) in the GTIN-13 form GS1 Company Prefixes are given in."""
    return gtin.zfill(14)[1:]


@dataclass
class Registry:
    server: Server
    tokens: dict
    roles: dict = field(default_factory=dict)  # role -> product id
    records: dict = field(default_factory=dict)  # product id -> JSON record

    @property
    def url(self):
        return self.server.url

    def put(self, slug, decl):
        r = self.server.put("/v1/products/" + decl["id"], token=self.tokens[slug], json=decl)
        if r.status_code == 409 and r.json().get("error") == "gtin_taken":
            # Two examples share a GTIN (GTINs are unique in the registry): keep the first.
            decl = {k: v for k, v in decl.items() if k != "gtin"}
            r = self.server.put("/v1/products/" + decl["id"], token=self.tokens[slug], json=decl)
        assert r.status_code in (200, 201), (decl["id"], r.status_code, r.text)
        return r.json()

    def record(self, pid):
        r = self.server.get("/v1/products/" + pid)
        assert r.status_code == 200, (pid, r.status_code, r.text)
        return r.json()


def start_registry(data_dir):
    """seclabeld on a free port, loaded with manufacturers acme, nordlicht (and 'paging', whose
    products make the home page's results span pages), the demo declarations and the valid
    examples whose IDs are not taken; one product withdrawn."""
    server = Server(data_dir, "--quiet")
    try:
        return _load(server)
    except BaseException:
        server.stop()
        raise


def start_chromium():
    """Headless Debian Chromium through Debian's chromedriver (never Selenium Manager)."""
    opts = Options()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--hide-scrollbars", "--window-size=1280,900", "--lang=en-US", "--no-first-run",
              "--disable-extensions", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--disable-default-apps",
              "--disable-features=Translate,MediaRouter,OptimizationHints"):
        opts.add_argument(a)
    opts.add_experimental_option("prefs", {"intl.accept_languages": "en-US,en"})
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    d.set_page_load_timeout(30)
    d.set_script_timeout(60)
    return d


def _load(server):
    # Each declaration with the maker it belongs to: the demo's, then the valid examples whose
    # IDs are not taken (a file without one is acme-<file name>), each the maker of its ID's
    # namespace.
    decls = [(f.parent.name, json.loads(f.read_text())) for f in sorted(DEMO.glob("*/*.json"))]
    taken = {d["id"] for _, d in decls}
    for f in sorted(EXAMPLES.glob("valid/*.json")):
        d = json.loads(f.read_text())
        d.setdefault("id", "acme-" + f.stem)
        if d["id"] not in taken:
            decls.append((d["id"].split("-")[0], d))
            taken.add(d["id"])
    # The operator records the makers (the demo's prefixes, and those of the valid examples'
    # GTINs), verifies those with evidence and leaves the others unverified.
    prefixes = {s: set() for s in MANUFACTURERS}
    for s in MANUFACTURERS:
        if (DEMO / s / "gs1-prefixes.txt").exists():
            prefixes[s].update((DEMO / s / "gs1-prefixes.txt").read_text().split())
    for s, d in decls:
        if "gtin" in d and not any(_gtin13(d["gtin"]).startswith(p) for p in prefixes[s]):
            prefixes[s].add(_gtin13(d["gtin"])[:12])  # the GTIN itself: valid for GTIN-8s too
    tokens = {s: add_manufacturer(server.data, s, n, prefixes=sorted(prefixes[s]))
              for s, n in MANUFACTURERS.items()}
    for s in MANUFACTURERS:
        evidence = DEMO / s / "verification.txt"
        if evidence.exists():
            r = _it.cli("admin", "manufacturer", "verify", s, "--evidence",
                        evidence.read_text().strip(), "--data", server.data)
            assert r.returncode == 0, r.stderr
    reg = Registry(server, tokens)
    owner = {}
    for s, d in decls:
        reg.put(s, d)
        owner[d["id"]] = s
    for i in range(1, PAGING_PRODUCTS + 1):
        reg.put("paging", {
            "id": "paging-%02d" % i, "product_name": "Paging Test Lamp %02d" % i,
            "product_model": "PL-%02d" % i, "manufacturer_name": "Paging Test Co",
            "support_date": "2032-12-31", "security_contact": "security@paging.example",
            "default_password": "user_defined"})
    wid = ROLES["withdrawn"]
    r = server.post("/v1/products/%s/withdraw" % wid, token=reg.tokens[owner[wid]])
    assert r.status_code == 200, r.text

    today = datetime.date.today()
    for role, pid in ROLES.items():
        rec = reg.record(pid)
        if not _fits(role, rec):
            slug = owner[pid]
            d = _stand_in(role, slug, today)
            reg.put(slug, d)
            if role == "withdrawn":
                server.post("/v1/products/%s/withdraw" % d["id"], token=reg.tokens[slug])
            pid, rec = d["id"], reg.record(d["id"])
            assert _fits(role, rec), (role, rec)
        reg.roles[role], reg.records[pid] = pid, rec
    return reg


# What a visit collects from the page, in one script.
FACTS_JS = r"""
const vis = e => e.checkVisibility ? e.checkVisibility() : !!(e.offsetWidth || e.offsetHeight);
const heads = [...document.querySelectorAll('h1,h2,h3,h4,h5,h6,[role=heading]')].filter(vis)
  .map(e => ({level: e.getAttribute('aria-level') ? +e.getAttribute('aria-level') : +e.tagName[1],
              text: e.innerText.trim()}));
const se = document.scrollingElement || document.documentElement;
return {
  lang: document.documentElement.getAttribute('lang'),
  title: document.title,
  text: document.body ? document.body.innerText : '',
  headings: heads,
  h1: [...document.querySelectorAll('h1')].filter(vis).map(e => e.innerText.trim()),
  scrollWidth: se.scrollWidth, scrollHeight: se.scrollHeight, innerWidth: window.innerWidth,
  links: [...document.querySelectorAll('a[href]')].map(a => ({
    href: a.getAttribute('href'), text: a.innerText.trim(), rel: a.getAttribute('rel') || ''})),
  stylesheets: [...document.querySelectorAll('link[rel~=stylesheet][href]')].map(l => l.href),
};
"""

CONTROLS = "input:not([type=hidden]), select, textarea, button"


@dataclass
class Visit:
    page: str
    size: str
    url: str
    facts: dict
    controls: list  # one dict per form control: tag, type, name, id, accessible name
    axe: dict = None

    @property
    def text(self):
        return self.facts["text"]

    def axe_failures(self):
        return [v for v in (self.axe or {}).get("violations", [])
                if v.get("impact") in AXE_FAILING_IMPACTS]


def describe_violations(violations):
    out = []
    for v in violations:
        out.append("  [%s] %s: %s (%s)" % (v.get("impact"), v["id"], v["help"], v["helpUrl"]))
        for n in v["nodes"]:
            out.append("      %s" % " ".join(map(str, n["target"])))
    return "\n".join(out)


class Site:
    """The browser pointed at the registry; visits are cached by (name, lang, size)."""

    def __init__(self, registry, driver):
        if SHOTS.exists():
            shutil.rmtree(SHOTS)
        SHOTS.mkdir(parents=True)
        self.registry, self.driver = registry, driver
        self.visits = {}
        self.axe = Axe(driver, script_url=str(AXE_JS))

    def emulate(self, size):
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", SIZES[size])

    def load(self, path, size):
        self.emulate(size)
        self.driver.get(self.registry.url + path)
        facts = self.driver.execute_script(FACTS_JS)
        controls = []
        for el in self.driver.find_elements(By.CSS_SELECTOR, CONTROLS):
            controls.append({
                "tag": el.tag_name, "type": el.get_attribute("type"),
                "name": el.get_attribute("name"), "id": el.get_attribute("id"),
                "accessible_name": (el.accessible_name or "").strip(),
                "displayed": el.is_displayed()})
        return facts, controls

    def screenshot(self, path):
        """The whole page, not just the viewport."""
        m = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        css = m.get("cssContentSize") or m["contentSize"]
        vw = m.get("cssLayoutViewport", m["layoutViewport"])["clientWidth"]
        clip = {"x": 0, "y": 0, "width": max(css["width"], vw), "height": css["height"], "scale": 1}
        png = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True, "clip": clip})
        path.write_bytes(base64.b64decode(png["data"]))

    def visit(self, name, path, size, lang="en"):
        key = (name, lang, size)
        if key in self.visits:
            return self.visits[key]
        facts, controls = self.load(path, size)
        v = Visit(name, size, self.registry.url + path, facts, controls)
        if size in ("phone", "desktop"):
            stem = "%s-%s-%s" % (name, lang, size)
            self.screenshot(SHOTS / (stem + ".png"))
            self.axe.inject()
            v.axe = self.axe.run(options=json.dumps(AXE_OPTIONS))
            (SHOTS / (stem + ".axe.json")).write_text(json.dumps(v.axe, indent=1))
        self.visits[key] = v
        return v

    def summary(self):
        lines = []
        for (name, lang, size), v in sorted(self.visits.items()):
            if v.axe is None:
                continue
            vs = v.axe.get("violations", [])
            lines.append("%s-%s-%s: %d violations%s" % (
                name, lang, size, len(vs),
                "" if not vs else "\n" + describe_violations(vs)))
        return "\n".join(lines) + "\n"

    def write_summary(self):
        (SHOTS / "axe-summary.txt").write_text(self.summary())

    def record_weight(self, line):
        with open(SHOTS / "weights.txt", "a") as f:
            f.write(line + "\n")


# Words that tell a shopper a product's support status and its compliance (English pages).
SUPPORT_WORDS = re.compile(r"\buntil\b|\bends? soon\b|\bending soon\b|\bended\b|\bno longer\b",
                           re.I)
# ("Kept, but support is over": an ended product's promises, web/i18n row_kept_over.)
COMPLIANCE_WORDS = re.compile(
    r"\bmet\b|\bmeets\b|\bkept\b|promise|compliant|breaks|fails|baseline", re.I)

# A translation key left in the visible text, snake_case like web/i18n/*.txt's keys
# ("status_active_title") or dotted ("status.active"), or a placeholder ("{1}", "{date}", "%s").
_TLDS = {"example", "com", "org", "net", "de", "uk", "io", "eu", "json", "png", "txt", "html",
         "css", "js", "atom", "xml", "cn", "sg", "us"}
_WORD = r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*"
_KEY = re.compile(r"(?<![\w@/.:-])(%s(?:\.%s)+|[a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w@/.:-]|\.\w)"
                  % (_WORD, _WORD))
_PLACEHOLDER = re.compile(r"\{[A-Za-z0-9_.]+\}|%[sd]\b|%\d\$s")


def raw_keys(text):
    found = [m.group(1) for m in _KEY.finditer(text)
             if "." not in m.group(1) or m.group(1).rsplit(".", 1)[1] not in _TLDS]
    return sorted(set(found)) + _PLACEHOLDER.findall(text)
