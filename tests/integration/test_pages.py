"""The pages people open (issue 4) over real HTTP: languages, what the consumer and technical
pages say, search and manufacturer lists, the CSV download, not-found pages, security headers,
hostile input rendered inert, and page weight. Layout and accessibility are checked in a real
browser by tests/browser."""
import csv
import datetime
import io
import re
import time

import pytest

from conftest import add_manufacturer, declaration

TODAY = datetime.datetime.now(datetime.timezone.utc).date()
HOSTILE = '<script>alert("x")</script> \'"><img src=x onerror=alert(1)> & Co'


def day(offset):
    return (TODAY + datetime.timedelta(days=offset)).isoformat()


def put(server, token, pid, **fields):
    r = server.put("/v1/products/" + pid, token, json=declaration(id=pid, **fields))
    assert r.status_code in (200, 201), r.text
    return r


def visible(html):
    """The page's text without tags (roughly what a reader sees)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def shop(server, acme):
    nl = add_manufacturer(server.data, "nordlicht", "Nordlicht Haustechnik GmbH")
    put(server, acme, "acme-cam", product_name="Indoor Camera", support_date=day(2000),
        gtin="5012345678900",
        sensor_data_collection=[{"sensing": "images", "has": True},
                                {"sensing": "audio", "has": False}],
        security_update_information={"update_default": "Automatic - may opt out"},
        access_control={"password_change": {"text": "Open the app",
                                            "url": "https://acme.example/pw"}},
        delete_data={"text": "Delete everything", "url": "https://acme.example/delete"},
        sbom_hbom_maintained={"sbom_maintained": True, "hbom_maintained": False},
        tested_by={"name": "Example Lab", "contact": "lab@lab.example"})
    put(server, acme, "acme-plug", product_name="Smart Plug", support_date=day(40))
    put(server, acme, "acme-hub", product_name="Old Hub", support_date=day(-400))
    put(server, nl, "nordlicht-bell", product_name="Door Bell", default_password="universal",
        manufacturer_name="Nordlicht Haustechnik GmbH", support_date=day(900))
    return server


# --- security headers and weight ---------------------------------------------------------------

def test_html_pages_carry_security_headers(shop):
    for path in ("/", "/p/acme-cam", "/p/acme-cam/details", "/m/acme", "/p/nope"):
        r = shop.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src" not in csp and "unsafe-inline" not in csp
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "<script" not in r.text and " style=" not in r.text


def test_stylesheet_is_served_once_with_a_long_cache_and_page_is_small(shop):
    page = shop.get("/p/acme-cam")
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.text).group(1)
    assert href.startswith("/static/style.css?v=")
    css = shop.get(href)
    assert css.headers["Content-Type"].startswith("text/css")
    assert "max-age=31536000" in css.headers["Cache-Control"]
    assert "immutable" in css.headers["Cache-Control"]
    assert len(page.content) + len(css.content) < 20 * 1024
    # No external fonts, scripts, trackers or CDNs.
    assert not re.search(r'(src|href)="(https?:)?//(?!acme\.example)', page.text)


# --- languages --------------------------------------------------------------------------------

def test_language_from_accept_language_and_query(shop):
    assert '<html lang="en">' in shop.get("/p/acme-cam").text
    de = shop.get("/p/acme-cam", headers={"Accept-Language": "fr-CH, de;q=0.8, en;q=0.5"})
    assert '<html lang="de">' in de.text and "Sicherheitsupdates bis" in de.text
    assert de.headers["Vary"] in ("Accept-Language", "Accept-Language, Accept-Encoding")
    zh = shop.get("/p/acme-cam?lang=zh", headers={"Accept-Language": "de"})
    assert '<html lang="zh-Hans">' in zh.text and "年" in zh.text
    # The chosen language follows the links on the page.
    assert 'href="/m/acme?lang=zh"' in zh.text
    assert 'href="/p/acme-cam/details?lang=zh"' in zh.text
    assert '<html lang="en">' in shop.get("/p/acme-cam?lang=xx").text


def test_dates_are_written_the_languages_way(shop, acme):
    put(shop, acme, "acme-fixed", support_date="2030-12-31")
    assert "31 December 2030" in shop.get("/p/acme-fixed").text
    assert "31. Dezember 2030" in shop.get("/p/acme-fixed?lang=de").text
    assert "2030年12月31日" in shop.get("/p/acme-fixed?lang=zh").text


@pytest.mark.parametrize("lang", ["en", "de", "zh"])
def test_no_page_shows_a_raw_key_or_placeholder(shop, lang):
    for path in ("/", "/p/acme-cam", "/p/nordlicht-bell", "/p/acme-hub", "/p/acme-cam/details",
                 "/m/acme", "/m/nordlicht", "/p/nope", "/?q=zzz"):
        text = visible(shop.get(path + ("&" if "?" in path else "?") + "lang=" + lang).text)
        assert not re.search(r"\{[0-9a-z]+\}", text), (path, text)
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", text.replace("acme", "")), (path, text)


def test_language_menu_lists_every_language_in_its_own_name(shop):
    page = shop.get("/p/acme-cam").text
    assert 'hreflang="de"' in page and "Deutsch" in page and "中文" in page
    assert 'href="/?lang=de&amp;q=cam"' in shop.get("/?q=cam").text


# --- the consumer page (L1) and the technical page (L2) ----------------------------------------

def test_consumer_page_answers_the_shoppers_questions(shop):
    t = visible(shop.get("/p/acme-cam").text)
    assert "Security updates until" in t and "5 years left" in t
    assert "No universal default password" in t and "Tell the maker" in t
    assert "Automatically; you can turn this off" in t
    assert "Camera (images): Yes" in t and "Microphone (sound): No" in t
    assert "Location: Not stated" in t
    assert "05012345678900" in t and "registered, security updates until" in t
    page = shop.get("/p/acme-cam").text
    assert 'href="https://acme.example/pw"' in page and 'href="/p/acme-cam/details"' in page
    assert 'href="mailto:security@acme.example"' in page


def test_pages_say_plainly_when_a_promise_is_broken_or_support_ends(shop, acme):
    t = visible(shop.get("/p/nordlicht-bell").text)
    assert "Universal default password" in t
    assert t.index("breaks a basic security promise") < t.index("Security promises")
    assert "breaks a basic security promise" not in visible(shop.get("/p/acme-cam").text)
    assert "Security updates end soon: 40 days left" in visible(shop.get("/p/acme-plug").text)
    t = visible(shop.get("/p/acme-hub").text)
    assert "Security updates ended on" in t and "no longer gets security fixes" in t
    shop.post("/v1/products/acme-plug/withdraw", acme)
    page = shop.get("/p/acme-plug").text
    assert page.index("Withdrawn") < page.index("<h1>")  # said at the top


def test_history_shows_support_extensions(shop, acme):
    put(shop, acme, "acme-plug", product_name="Smart Plug", support_date="2040-01-31")
    t = visible(shop.get("/p/acme-plug").text)
    assert "support period extended from" in t and "31 January 2040" in t


def test_technical_page(shop):
    t = visible(shop.get("/p/acme-cam/details").text)
    assert "Deleting your data" in t and "Delete everything" in t
    assert "Software bill of materials (SBOM) The maker maintains one" in t
    assert "Hardware bill of materials (HBOM) The maker does not maintain one" in t
    assert "Tested by Example Lab" in t
    page = shop.get("/p/acme-cam/details").text
    assert 'href="/v1/products/acme-cam"' in page
    assert 'href="/v1/products/acme-cam/cta-2120"' in page


def test_pages_say_whether_the_registry_verified_the_maker(shop):
    from conftest import cli
    evidence = "Company register entry and GS1 licence for prefix 5012345 checked"
    r = cli("admin", "manufacturer", "verify", "acme", "--evidence", evidence,
            "--data", shop.data)
    assert r.returncode == 0, r.stderr
    on = "%d %s %d" % (TODAY.day, TODAY.strftime("%B"), TODAY.year)
    said = ("Verified by the registry on %s: who the company is, its GS1 company prefixes "
            "(barcode numbers)." % on)
    assert said in visible(shop.get("/p/acme-cam").text)
    assert said in visible(shop.get("/m/acme").text)
    assert evidence in visible(shop.get("/m/acme").text)
    unverified = "Not verified: the registry has not checked who this maker is."
    assert unverified in visible(shop.get("/p/nordlicht-bell").text)
    assert unverified in visible(shop.get("/m/nordlicht").text)
    # Taken back: the pages say so again (the server notices within a second or so).
    r = cli("admin", "manufacturer", "unverify", "acme", "--reason", "Licence lapsed",
            "--data", shop.data)
    assert r.returncode == 0, r.stderr
    deadline = time.time() + 20
    while time.time() < deadline and unverified not in visible(shop.get("/p/acme-cam").text):
        time.sleep(0.1)
    assert unverified in visible(shop.get("/p/acme-cam").text)
    assert said not in visible(shop.get("/m/acme").text)


# --- lists, search, CSV -----------------------------------------------------------------------

def test_home_search_and_filters(shop):
    t = visible(shop.get("/").text)
    for name in ("Indoor Camera", "Smart Plug", "Old Hub", "Door Bell"):
        assert name in t
    t = visible(shop.get("/?q=plug").text)
    assert "Smart Plug" in t and "Indoor Camera" not in t
    t = visible(shop.get("/?support=ended").text)
    assert "Old Hub" in t and "Smart Plug" not in t
    t = visible(shop.get("/?compliant=false").text)
    assert "Door Bell" in t and "Old Hub" not in t
    assert "No products match" in visible(shop.get("/?q=zzz").text)
    assert shop.get("/?support=soon").status_code == 400
    page = shop.get("/?support=ended").text
    assert '<option value="ended" selected>' in page


def test_home_shows_the_counts_as_links_into_the_search(shop, acme):
    put(shop, acme, "acme-gone", product_name="Gone Plug", support_date=day(40), markets=["GB"])
    assert shop.post("/v1/products/acme-gone/withdraw", acme).status_code == 200
    put(shop, acme, "acme-plug", product_name="Smart Plug", support_date=day(40),
        markets=["GB", "DE"])
    for lang in ("en", "de", "zh"):
        page = shop.get("/?lang=" + lang).text
        facets = re.search(r'<section class="facets".*?</section>', page, re.S)
        assert facets, "no counts on the %s home page" % lang
        links = re.findall(r'<a href="/\?([^"]+)">([^<]+)</a>(?: (\d+))?', facets.group(0))
        got = {}
        for query, text, market_n in links:
            query = query.replace("&amp;", "&")
            assert query.endswith("&lang=" + lang), query
            n = int(market_n or re.search(r"\d+", text).group(0))
            api = shop.get("/v1/products?limit=100&" + query.rsplit("&lang=", 1)[0])
            assert api.status_code == 200, (query, api.text)
            assert len(api.json()["items"]) == n, (lang, query, text)
            got[query.rsplit("&lang=", 1)[0]] = n
        # on sale: cam, plug (ending soon), hub (ended), bell (universal password)
        assert got == {"status=active": 4, "status=active&support=active": 2,
                       "status=active&support=ending_soon": 1, "status=active&support=ended": 1,
                       "status=active&compliant=true": 3, "status=active&compliant=false": 1,
                       "status=withdrawn": 1, "status=active&market=DE": 1,
                       "status=active&market=GB": 1}, got
    assert "1 ending within 180 days" in visible(shop.get("/").text)


def test_home_pages_through_results(shop):
    page = shop.get("/?limit=2").text
    nxt = re.search(r'rel="next" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    t = visible(shop.get(nxt).text)  # IDs in order: acme-cam, acme-hub | acme-plug, nordlicht-bell
    assert "Smart Plug" in t and "Door Bell" in t and "Indoor Camera" not in t
    assert "First page" in t and "Next page" not in t


def test_manufacturer_page_lists_only_its_products(shop):
    t = visible(shop.get("/m/acme").text)
    assert "Products by Acme Devices Ltd" in t
    assert "Indoor Camera" in t and "Door Bell" not in t
    r = shop.get("/m/nobody")
    assert r.status_code == 404 and "Manufacturer not found" in r.text


def test_csv_download_for_spreadsheets(shop, acme):
    put(shop, acme, "acme-evil", product_name="=HYPERLINK(\"http://x\")",
        product_model="+1, \"two\"")
    r = shop.get("/products.csv?manufacturer=acme")
    assert r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [x["id"] for x in rows] == ["acme-cam", "acme-evil", "acme-hub", "acme-plug"]
    cam = rows[0]
    assert cam["gtin"] == "05012345678900" and cam["support_status"] == "active"
    assert cam["compliant"] == "yes" and cam["page_url"] == shop.url + "/p/acme-cam"
    evil = rows[1]
    assert evil["product_name"] == "'=HYPERLINK(\"http://x\")"  # never a formula
    assert evil["product_model"] == "'+1, \"two\""
    ended = list(csv.DictReader(io.StringIO(
        shop.get("/products.csv?support=ended").content.decode("utf-8-sig"))))
    assert [x["id"] for x in ended] == ["acme-hub"]
    # The page's link repeats its search, its default `status=any` included (the download's
    # own default is the products on sale).
    assert 'href="/products.csv?status=any&support=ended"' in shop.get("/?support=ended").text


# --- not found --------------------------------------------------------------------------------

def test_not_found_pages_offer_a_search(shop):
    r = shop.get("/p/nope", headers={"Accept-Language": "de"})
    assert r.status_code == 404 and '<html lang="de">' in r.text
    assert '<form class="search"' in r.text and "nope" in r.text
    r = shop.get("/01/4006381333931", headers={"Accept": "text/html"})
    assert r.status_code == 404 and "04006381333931" in r.text and "<form" in r.text
    assert shop.get("/01/4006381333931").headers["Content-Type"].startswith("application/json")


# --- hostile input ----------------------------------------------------------------------------

def test_hostile_values_render_inert_everywhere(shop):
    # The maker's name comes from its account: here the operator recorded a hostile one.
    evil = add_manufacturer(shop.data, "evil", HOSTILE)
    fields = dict(product_name=HOSTILE, product_model=HOSTILE, manufacturer_name=HOSTILE,
                  version_and_model_numbers=[HOSTILE],
                  security_update_information={"update_default": "Other"},
                  security_update_information_other=HOSTILE,
                  sensor_data_collection=[{"sensing": "audio", "has": True,
                                           "description": HOSTILE}],
                  securing_this_product={"text": HOSTILE,
                                         "url": "https://acme.example/?q=\"><script>"},
                  delete_data={"text": HOSTILE},
                  authorized_by={"name": HOSTILE, "contact": "javascript:alert(1)"},
                  tested_by={"name": HOSTILE, "contact": HOSTILE})
    r = shop.put("/v1/products/evil-x", evil, json=declaration(id="evil-x", **fields))
    assert r.status_code == 400  # the URL with a quote and angle brackets is refused
    fields["securing_this_product"] = {"text": HOSTILE, "url": "https://acme.example/?q=%22"}
    put(shop, evil, "evil-x", **fields)
    # javascript: URLs are refused where a URL is expected...
    bad = declaration(id="evil-2", delete_data={"url": "javascript:alert(1)//aaaaaaaa"},
                      manufacturer_name=None)
    assert shop.put("/v1/products/evil-2", evil, json=bad).status_code == 400
    for path in ("/p/evil-x", "/p/evil-x/details", "/", "/m/evil", "/?q=%3Cscript%3E",
                 "/p/%3Cscript%3E"):
        page = shop.get(path).text
        assert "<script" not in page and "<img" not in page and "onerror=alert" not in page.replace(
            "onerror=alert(1)&gt;", ""), path
        assert 'href="javascript:' not in page
        if path != "/p/%3Cscript%3E":
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page, path
    page = shop.get("/p/evil-x/details").text
    # ...and free-text contacts that look like one are shown as text, never as a link.
    assert "javascript:alert(1)" in page and 'href="javascript' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
