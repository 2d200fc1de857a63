"""The pages the browser tests visit: every page type the registry serves, in each language tested.

A page whose route is not served yet is listed in NOT_YET: its tests are marked
xfail(strict=False). Remove the entry once the route exists.
"""
from dataclasses import dataclass

import pytest

# Page name -> why its tests are expected to fail, e.g.
#   "details": "GET /p/{id}/details (the technical page, L2) is not served yet",
# Every page type is served today, so it is empty.
NOT_YET = {}


@dataclass(frozen=True)
class Page:
    name: str  # screenshot and test-id stem
    path: str  # with {role} placeholders (roles with '_' for '-')
    lang: str = "en"
    status: int = 200

    def url_path(self, registry):
        return self.path.format(**{k.replace("-", "_"): v for k, v in registry.roles.items()})

    @property
    def id(self):
        return "%s-%s" % (self.name, self.lang)

    def visit(self, site, size):
        return site.visit(self.name, self.url_path(site.registry), size, self.lang)


PRODUCT_ROLES = ["active", "ending-soon", "ended", "withdrawn", "universal-password"]

PAGES = [
    Page("home", "/"),
    Page("search", "/?q=acme&support=ending_soon"),
    *[Page("product-" + r, "/p/{%s}" % r.replace("-", "_")) for r in PRODUCT_ROLES],
    Page("details", "/p/{active}/details"),
    Page("manufacturer", "/m/acme"),
    Page("manufacturer-unverified", "/m/nordlicht"),
    Page("manufacturer-bare", "/m/paging"),  # no contact, website or GS1 prefixes; unverified
    Page("not-found", "/p/no-such-product", status=404),
    Page("home", "/?lang=de", lang="de"),
    Page("home", "/?lang=zh", lang="zh"),
    Page("product-active", "/p/{active}?lang=de", lang="de"),
    Page("product-active", "/p/{active}?lang=zh", lang="zh"),
    Page("log", "/log"),  # how to check this yourself (the public log, issue 16)
    Page("log", "/log?lang=de", lang="de"),
    Page("log", "/log?lang=zh", lang="zh"),
]

BY_ID = {p.id: p for p in PAGES}


def marks(name):
    return [pytest.mark.xfail(strict=False, reason=NOT_YET[name])] if name in NOT_YET else []


def params(pages=PAGES, sizes=None):
    """pytest.param per page (and per size), carrying the page's xfail mark if it has one."""
    if sizes is None:
        return [pytest.param(p, id=p.id, marks=marks(p.name)) for p in pages]
    return [pytest.param(p, s, id="%s-%s" % (p.id, s), marks=marks(p.name))
            for p in pages for s in sizes]


def page(pid):
    return BY_ID[pid]
