"""The public log as a shopper meets it (issue 16): the product page names its entry in the log,
as the API's "log".index says, and links to /log ("how to check this yourself"), which shows the
key /log/key serves and the commands; the technical page shows the verify command."""
import re

import pytest
import requests

from .site_pages import page, params


def links_to(visit, path):
    return [a for a in visit.facts["links"] if re.sub(r"^https?://[^/]+", "", a["href"]) == path]


@pytest.mark.parametrize("p", params([page("product-active-en")]))
def test_product_page_names_its_log_entry_and_links_to_log(p, site, registry):
    pid = registry.roles["active"]
    n = registry.record(pid)["log"]["index"]
    v = p.visit(site, "phone")
    assert re.search(r"\bEntry %d in the registry's public log, logged on \d{1,2} \w+ \d{4}\." % n,
                     v.text), v.text
    assert links_to(v, "/log"), "the product page does not link to /log"


@pytest.mark.parametrize("p", params([page("log-en"), page("log-de"), page("log-zh")]))
def test_log_page_shows_the_served_key(p, site, registry):
    key = requests.get(registry.url + "/log/key", timeout=10).text.strip()
    v = p.visit(site, "phone")
    assert key in v.text
    assert "seclabel config set log-key " + key in v.text
    assert "seclabel verify <ID>" in v.text
    assert links_to(v, "/log/checkpoint") and links_to(v, "/log/key")


@pytest.mark.parametrize("p", params([page("details-en")]))
def test_details_page_shows_the_verify_command(p, site, registry):
    pid = registry.roles["active"]
    v = p.visit(site, "desktop")
    assert "seclabel verify " + pid in v.text
    assert links_to(v, "/log")
    rec = registry.record(pid)
    assert "Log entry\n%d" % rec["log"]["index"] in v.text or \
        "Log entry %d" % rec["log"]["index"] in v.text, v.text
    assert links_to(v, "/v1/products/%s/versions/%d/entry" % (pid, rec["version"]))
