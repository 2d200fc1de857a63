"""The transparency log as people see it (issue 16): the product page names its version's entry in
the public log and when it was logged, the technical page shows the entry, the newest checkpoint's
size and the verify command, and /log ("how to check this yourself") shows the key /log/key
serves and the commands, in each language."""
import datetime
import html
import re
import time

import pytest

from conftest import add_manufacturer, declaration

LANGS = ("en", "de", "zh")


def put(server, token, pid, **fields):
    r = server.put("/v1/products/" + pid, token, json=declaration(id=pid, **fields))
    assert r.status_code in (200, 201), r.text
    return r.json()


def visible(page):
    """The page's text without tags, entities decoded."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def logged_on(record):
    """The day of the record's "modified" time as the English pages write dates."""
    d = datetime.date.fromisoformat(record["modified"][:10])
    return "%d %s %d" % (d.day, d.strftime("%B"), d.year)


def checkpoint_size(server):
    return int(server.get("/log/checkpoint").text.split("\n")[1])


def wait_for_checkpoint(server, size):
    """Until the published checkpoint covers `size` entries (it is signed within about a second
    of a write): polls, asserts nothing about time."""
    while checkpoint_size(server) < size:
        time.sleep(0.05)


@pytest.fixture
def shop(server, acme):
    """Writes interleaved over two makers and three products, so entries and versions differ."""
    nl = add_manufacturer(server.data, "nordlicht", "Nordlicht Haustechnik GmbH")
    put(server, acme, "acme-cam", product_name="Indoor Camera", support_date="2031-01-01")
    put(server, nl, "nordlicht-bell", product_name="Door Bell",
        manufacturer_name="Nordlicht Haustechnik GmbH")
    put(server, acme, "acme-plug", product_name="Smart Plug")
    put(server, acme, "acme-cam", product_name="Indoor Camera", support_date="2032-01-01")
    put(server, nl, "nordlicht-bell", product_name="Door Bell 2",
        manufacturer_name="Nordlicht Haustechnik GmbH")
    put(server, acme, "acme-cam", product_name="Indoor Camera", support_date="2033-01-01")
    return server


def test_product_page_names_its_entry_in_the_log(shop):
    seen = set()
    for pid in ("acme-cam", "nordlicht-bell", "acme-plug"):
        rec = shop.get("/v1/products/" + pid).json()
        n = rec["log"]["index"]
        seen.add(n)
        page = shop.get("/p/" + pid + "?lang=en").text
        assert ("Entry %d in the registry's public log, logged on %s." % (n, logged_on(rec))
                in visible(page)), pid
        assert '<a href="/log?lang=en">How to check this yourself</a>' in page
        de = visible(shop.get("/p/" + pid + "?lang=de").text)
        assert "Eintrag %d im öffentlichen Protokoll des Registers, eingetragen am" % n in de
        zh = visible(shop.get("/p/" + pid + "?lang=zh").text)
        assert "本声明是登记处公开日志中编号为 %d 的条目" % n in zh
    assert len(seen) == 3
    # The current version's entry, not the first: acme-cam was written three times.
    first = shop.get("/v1/products/acme-cam/versions/1").json()["log"]["index"]
    assert "Entry %d in" % first not in visible(shop.get("/p/acme-cam").text)


def test_technical_page_shows_entry_checkpoint_and_command(shop):
    rec = shop.get("/v1/products/acme-cam").json()
    n, version = rec["log"]["index"], rec["version"]
    assert version == 3
    wait_for_checkpoint(shop, n + 1)
    size = checkpoint_size(shop)
    page = shop.get("/p/acme-cam/details").text
    t = visible(page)
    assert "Log entry %d ( the exact bytes logged )" % n in t
    href = "/v1/products/acme-cam/versions/3/entry"
    assert '<a href="%s">' % href in page
    entry = shop.get(href)
    assert entry.status_code == 200 and entry.headers["Seclabel-Log-Index"] == str(n)
    assert "Entries in the newest checkpoint %d" % size in t
    assert "Check it yourself seclabel verify acme-cam" in t
    assert "next checkpoint" not in t  # the entry is in the checkpoint shown


def test_technical_page_follows_the_checkpoint_not_its_own_product(shop, acme):
    """The checkpoint grows with writes to other products: the technical page (and any cache of
    it) must not show an older size once a newer checkpoint is published."""
    wait_for_checkpoint(shop, shop.get("/v1/products/acme-cam").json()["log"]["index"] + 1)
    time.sleep(1.1)  # a Last-Modified in the current second is not sent
    old = shop.get("/p/acme-cam/details")  # made once: a response cache may keep it
    lm = old.headers["Last-Modified"]
    before = checkpoint_size(shop)
    new = put(shop, acme, "acme-plug", product_name="Smart Plug 2")
    wait_for_checkpoint(shop, new["log"]["index"] + 1)
    size = checkpoint_size(shop)
    assert size > before
    r = shop.get("/p/acme-cam/details")
    assert "Entries in the newest checkpoint %d" % size in visible(r.text)
    assert r.headers["Cache-Control"] == "public, max-age=1"
    # Validated by the time it was last modified: not the product's alone.
    r = shop.get("/p/acme-cam/details", headers={"If-Modified-Since": lm})
    assert r.status_code == 200, "a client holding the older page was told 304"
    r = shop.get("/log", headers={"If-Modified-Since": lm})
    assert r.status_code == 200, "/log too"


@pytest.mark.parametrize("lang", LANGS)
def test_log_page_shows_the_served_key_and_commands(shop, lang):
    key = shop.get("/log/key").text.strip()
    assert key.startswith("127.0.0.1:") and "/log+" in key
    size = checkpoint_size(shop)
    r = shop.get("/log?lang=" + lang)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert r.headers["Cache-Control"] == "public, max-age=1"
    page, t = r.text, visible(r.text)
    assert '<html lang="%s' % lang in page
    assert key in t
    assert "seclabel config set server %s" % shop.url in t
    assert "seclabel config set log-key %s" % key in t
    assert "seclabel verify <ID>" in t
    assert "%d" % size in t
    assert '<a href="/log/checkpoint">%s/log/checkpoint</a>' % shop.url in page
    assert '<a href="/log/key">%s/log/key</a>' % shop.url in page
    assert {"en": "How to check this yourself", "de": "So prüfen Sie das selbst",
            "zh": "如何自行核查"}[lang] in t
    assert {"en": "does not prove that a maker's promise is true",
            "de": "beweist nicht, dass das Versprechen eines Herstellers stimmt",
            "zh": "日志不能证明制造商的承诺是真实的"}[lang] in t


def test_server_stops_cleanly_on_sigterm(tmp_path):
    """The checkpoint timer (loops[0]) is closed with the loop: SIGTERM ends seclabeld with status
    0 (an open timer kept the loop alive until the test harness killed it, status -9)."""
    from conftest import Server
    s = Server(tmp_path / "data")
    assert s.get("/log/key").status_code == 200
    assert s.stop() == 0, s.log()
