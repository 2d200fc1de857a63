"""Printing: a product page and its technical page each fit on one A4 page (Chromium's own
print-to-PDF, as a shopper or a retailer printing from a browser would get)."""
import base64
import re

import pytest

from .site_pages import PRODUCT_ROLES

A4_POINTS = (595, 842)


def print_pdf(driver, url):
    driver.get(url)
    pdf = driver.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True,
                                                     "printBackground": False})
    return base64.b64decode(pdf["data"])


def pages_and_size(pdf):
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf)
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    return len(pages), (round(float(box.group(1))), round(float(box.group(2))))


@pytest.mark.parametrize("role", PRODUCT_ROLES)
@pytest.mark.parametrize("suffix", ["", "/details"])
def test_product_pages_print_on_one_a4_page(role, suffix, registry, driver):
    pid = registry.roles[role]
    n, size = pages_and_size(print_pdf(driver, registry.url + "/p/" + pid + suffix))
    assert size == A4_POINTS, size
    assert n == 1, "%s%s prints on %d pages" % (pid, suffix, n)
