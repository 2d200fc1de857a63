"""Session fixtures for the browser tests: one registry server and one headless Chromium for the
whole run (see browserlib.py for what they do, site_pages.py for the pages visited)."""
import pytest

from .browserlib import AXE_JS, CHROMEDRIVER, CHROMIUM, Site, start_chromium, start_registry


@pytest.fixture(scope="session")
def registry(tmp_path_factory):
    reg = start_registry(tmp_path_factory.mktemp("browser") / "data")
    try:
        yield reg
    finally:
        reg.server.stop()


@pytest.fixture(scope="session")
def driver():
    d = start_chromium()
    try:
        yield d
    finally:
        d.quit()


@pytest.fixture(scope="session")
def site(registry, driver):
    """The browser pointed at the registry; clears tests/browser/screenshots/ first and writes
    screenshots/axe-summary.txt (every axe violation, whatever its impact) at the end."""
    s = Site(registry, driver)
    try:
        yield s
    finally:
        s.write_summary()


def pytest_report_header(config):
    return "browser: %s, %s; axe-core: %s" % (CHROMIUM, CHROMEDRIVER, AXE_JS)
