"""One order of severity for every output (issue 12): withdrawn > breaks a promise (not_compliant)
> ended > ending soon > active. Each product state is rendered in every output - the consumer
page (L1) in three languages, the technical page (L2), the home, search and maker lists, the CSV
download, the JSON record, lookup, search and history answers, `seclabel show`, `search`,
`history`, `register`, `import`, `validate`, `label` and `labels` - and none shows a green tick,
green colour or "active" for a withdrawn, ended or promise-breaking product; each leads with the
most severe state that applies."""
import csv
import datetime
import io
import json
import os
import re

import pytest

from conftest import cli, declaration
from test_cli_commands import on_terminal

TODAY = datetime.datetime.now(datetime.timezone.utc).date()


def day(offset):
    return (TODAY + datetime.timedelta(days=offset)).isoformat()


# Product -> (its declaration's fields, the state it is in). acme-gone is withdrawn after it is
# registered; acme-gone-old is withdrawn and ended too, acme-worst withdrawn, ended and
# breaking a promise: the most severe state leads.
PRODUCTS = {
    "acme-fine": (dict(support_date=day(2000)), "active"),
    "acme-soon": (dict(support_date=day(40)), "ending_soon"),
    "acme-ended": (dict(support_date=day(-400)), "ended"),
    "acme-broken": (dict(support_date=day(2000), default_password="universal"), "not_compliant"),
    "acme-gone": (dict(support_date=day(1500)), "withdrawn"),
    "acme-worst": (dict(support_date=day(-30), default_password="universal"), "withdrawn"),
}
WITHDRAWN = ("acme-gone", "acme-worst")
BAD = ("ended", "not_compliant", "withdrawn")  # nobody should rely on these
GREEN_CLASSES = re.compile(r'class="[^"]*\b(st-active|yes|verified|ok)\b')
GREEN = "\033[32m"


def state_of(pid):
    return PRODUCTS[pid][1]


@pytest.fixture
def shop(server, acme):
    for pid, (fields, _) in PRODUCTS.items():
        r = server.put("/v1/products/" + pid, acme,
                       json=declaration(id=pid, product_name="Thing " + pid[5:], **fields))
        assert r.status_code == 201, r.text
    for pid in WITHDRAWN:
        assert server.post("/v1/products/%s/withdraw" % pid, acme).status_code == 200
    # A verified maker: its pages would show a green tick beside "Verified by the registry".
    r = cli("admin", "manufacturer", "verify", "acme", "--evidence", "Company register checked",
            "--data", server.data)
    assert r.returncode == 0, r.stderr
    return server


def boxes(html):
    """The state classes of a page's status boxes, in order."""
    return re.findall(r'<div class="status (st-[a-z_]+|plain)"', html)


def rows(html):
    """{product id: its row's HTML} of a results table."""
    return {m.group(1): m.group(0) for m in re.finditer(
        r'<tr><td><a href="/p/([^"?]+)[^"]*">.*?</tr>', html)}


def badge(row):
    return re.search(r'<span class="badge st-([a-z_]+)">', row).group(1)


# --- pages and lists ---------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "de", "zh"])
def test_product_pages_lead_with_the_most_severe_state(shop, lang):
    for pid in PRODUCTS:
        want = state_of(pid)
        for path in ("/p/%s?lang=%s" % (pid, lang), "/p/%s/details?lang=%s" % (pid, lang)):
            html = shop.get(path).text
            found = boxes(html)
            assert found and found[0] == "st-" + want, (path, found)
            assert html.index('<div class="status') < html.index("<h1>"), path
            if want in BAD:
                assert "✔" not in html and not GREEN_CLASSES.search(html), (path, html)
            elif "/details" not in path:
                assert "✔" in html, path  # a product one may rely on keeps its ticks


def test_a_promise_breaking_page_shows_no_green_support_box(shop):
    html = shop.get("/p/acme-broken").text
    assert boxes(html) == ["st-not_compliant", "plain"]  # the red box first, the dates neutral
    assert "Universal default password" in html.split("<h1>")[0]


def test_an_ended_product_never_shows_a_published_support_period_as_kept(shop):
    html = shop.get("/p/acme-ended").text
    assert "A published support period" not in html
    assert '<li class="over"><strong><span aria-hidden="true">✖</span> The support period is over' \
        in html
    assert boxes(html) == ["st-ended"]


def test_a_withdrawn_page_promises_nothing(shop):
    html = shop.get("/p/acme-gone").text
    assert boxes(html) == ["st-withdrawn"]  # no support box: the promise is void
    assert "years left" not in html and "are promised until" not in html
    assert "Before it was withdrawn, this record promised security updates until" in html
    worst = shop.get("/p/acme-worst").text
    assert boxes(worst) == ["st-withdrawn", "st-not_compliant", "st-ended"]


@pytest.mark.parametrize("lang", ["en", "de", "zh"])
def test_lists_tell_every_state_apart_in_colour_icon_and_words(shop, lang):
    words = {}
    for path in ("/?lang=" + lang, "/m/acme?lang=" + lang, "/?q=acme&lang=" + lang):
        found = rows(shop.get(path).text)
        assert set(found) == set(PRODUCTS), path
        for pid, row in found.items():
            assert badge(row) == state_of(pid), (path, row)
            text = re.sub(r"<[^>]+>", "", re.search(r'<span class="badge.*?</span></td>',
                                                     row).group(0)).strip()
            icon, said = text.split("\u00a0", 1)  # a no-break space after the icon
            assert icon == {"active": "✔", "ending_soon": "⚠"}.get(state_of(pid), "✖"), row
            words.setdefault(state_of(pid), set()).add(said)
            if state_of(pid) in BAD:
                assert "✔" not in row and not GREEN_CLASSES.search(row), row
            if lang == "en":  # "All met" only where one may rely on the promises
                assert ("All met" in row) == (state_of(pid) not in BAD), row
    # One wording per state, different for each state.
    assert all(len(w) == 1 for w in words.values()), words
    assert len({w.pop() for w in words.values()}) == 5, words


def test_csv_says_the_state_and_never_calls_a_withdrawn_product_active(shop):
    # (status=any: without it the download lists only the products on sale, as the API does.)
    text = shop.get("/products.csv?manufacturer=acme&status=any").content.decode("utf-8-sig")
    got = {r["id"]: r for r in csv.DictReader(io.StringIO(text))}
    for pid in PRODUCTS:
        assert got[pid]["state"] == state_of(pid)
    for pid in WITHDRAWN:
        assert got[pid]["support_status"] == "withdrawn" and got[pid]["compliant"] == "no"


# --- the JSON ----------------------------------------------------------------------------------

def test_every_record_leads_with_its_state_and_a_withdrawn_one_is_never_active(shop):
    lookup = shop.post("/v1/lookup", json={"ids": list(PRODUCTS)}).json()["results"]
    search = shop.get("/v1/products", params={"manufacturer": "acme", "status": "any"}).json()[
        "items"]
    for pid in PRODUCTS:
        raw = shop.get("/v1/products/" + pid).text
        assert raw.startswith('{"state":{"name":"%s","reason":"' % state_of(pid)), raw
        for rec in (json.loads(raw), next(r["record"] for r in lookup if r["id"] == pid),
                    next(r for r in search if r["id"] == pid)):
            assert rec["state"]["name"] == state_of(pid) and rec["state"]["reason"]
            if pid in WITHDRAWN:
                assert rec["support_status"]["status"] == "withdrawn"
                assert rec["compliance"]["compliant"] is False
        history = shop.get("/v1/products/%s/versions" % pid).json()
        assert list(history)[:2] == ["id", "state"] and history["state"]["name"] == state_of(pid)
    reason = shop.get("/v1/products/acme-gone").json()["state"]["reason"]
    assert reason == "The maker withdrew this record on %s: do not rely on it." % TODAY
    # The filters agree with the members: a withdrawn record is neither active nor compliant.
    ids = lambda q: {r["id"] for r in shop.get("/v1/products", params=dict(q, status="any"))
                     .json()["items"]}
    assert ids({"support": "active"}) == {"acme-fine", "acme-broken"}
    assert ids({"compliant": "true"}) == {"acme-fine", "acme-soon", "acme-ended"}


# --- the CLI -----------------------------------------------------------------------------------

def test_show_search_and_history_lead_with_the_state(shop):
    lines = cli("search", "--manufacturer", "acme", "--status", "any",
                server=shop).stdout.splitlines()
    assert {l.split()[1]: l.split()[0] for l in lines} == {p: state_of(p) for p in PRODUCTS}
    for pid in PRODUCTS:
        show = cli("show", pid, server=shop)
        assert show.returncode == 0, show.stderr
        assert show.stdout.splitlines()[0].split()[:2] == ["State:", state_of(pid) + ":"]
        history = cli("history", pid, server=shop).stdout.splitlines()
        assert history[0].startswith(state_of(pid) + ": "), history
        assert json.loads(cli("show", pid, "--json", server=shop).stdout)["state"]["name"] \
            == state_of(pid)
        line = next(l for l in lines if l.split()[1] == pid)
        if state_of(pid) in BAD:
            for out in (show.stdout, "\n".join(history), line):
                assert not re.search(r"\bactive\b|(?<!NOT )all met", out), out
    gone = cli("show", "acme-gone", server=shop).stdout
    assert "withdrew this record on %s: do not rely on it" % TODAY in gone
    assert "no longer promised" in gone


def test_colour_on_a_terminal_is_green_only_for_a_product_one_may_rely_on(shop):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "SECLABEL_TOKEN")}
    env.update(SECLABEL_SERVER=shop.url, TERM="xterm", XDG_CONFIG_HOME="/nonexistent/x")
    for pid in PRODUCTS:
        out = on_terminal(["show", pid], env)
        assert ("\033[%sm%s\033[0m" % ({"active": 32, "ending_soon": 33}.get(state_of(pid), 31),
                                        state_of(pid))) in out, out
        assert (GREEN in out) == (state_of(pid) in ("active", "ending_soon")), out
    search = on_terminal(["search", "--manufacturer", "acme", "--status", "any"], env)
    for line in search.splitlines():
        assert (GREEN in line) == ("acme-fine" in line), line


def test_register_import_and_validate_say_which_promise_is_broken(server, acme, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(declaration(id="acme-pw", default_password="universal")))
    good = tmp_path / "good.json"
    good.write_text(json.dumps(declaration(id="acme-ok")))
    said = ("warning: %s: It breaks a baseline security promise: a universal default password "
            "(ETSI EN 303 645 5.1-1; UK PSTI Schedule 1 paragraph 1). It gets no label, and its "
            "page shows the broken promise in red.")
    for args in (["validate", bad], ["register", bad, "--dry-run"], ["register", bad],
                 ["register", bad, "--json"]):
        r = cli(*args, server=server, token=acme)
        assert r.returncode == 0, r.stderr
        assert said % (bad if args[0] == "validate" else "acme-pw") in r.stderr, r.stderr
    for args in (["validate", good], ["register", good]):
        r = cli(*args, server=server, token=acme)
        assert r.returncode == 0 and r.stderr == "", r.stderr
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join(json.dumps(d) for d in (
        declaration(id="acme-a"), declaration(id="acme-b", default_password="universal"),
        declaration(id="acme-c", support_date="2020-01-31"))) + "\n")
    r = cli("import", rows, server=server, token=acme)
    assert r.returncode == 0, r.stderr
    assert said.replace("warning: %s", "warning: line 2 (acme-b)") in r.stderr
    assert ("warning: line 3 (acme-c): Security updates ended on 2020-01-31" in r.stderr
            and "its labels come with a warning" in r.stderr), r.stderr
    assert "acme-a" not in r.stderr


def test_labels_for_an_ended_product_come_with_a_warning(shop, tmp_path):
    r = cli("label", "acme-ended", "-o", tmp_path / "e.png", server=shop)
    assert r.returncode == 0 and (tmp_path / "e.png").exists()
    assert ("warning: acme-ended: Security updates ended on %s" % day(-400)) in r.stderr
    assert "Shoppers should not rely on it." in r.stderr
    r = cli("label", "acme-ended", "--format", "term", server=shop)
    assert r.returncode == 0 and "warning: acme-ended" in r.stderr
    r = cli("label", "acme-fine", "-o", tmp_path / "f.png", server=shop)
    assert r.returncode == 0 and r.stderr == ""
    r = cli("labels", "--manufacturer", "acme", "-o", tmp_path / "s.pdf", server=shop)
    assert r.returncode == 1  # some were skipped
    assert "wrote %s: 3 labels (1 with a warning, 3 skipped, 0 not found)" % (tmp_path / "s.pdf") \
        in r.stdout
    assert "printed with a warning (nobody should rely on them): acme-ended\n" in r.stderr
    assert "skipped (they get no label): acme-broken, acme-gone, acme-worst\n" in r.stderr


def test_a_makers_sheet_leaves_out_its_withdrawn_products_without_failing(server, acme, tmp_path):
    for pid in ("acme-fine", "acme-gone"):
        assert server.put("/v1/products/" + pid, acme,
                          json=declaration(id=pid)).status_code == 201
    assert server.post("/v1/products/acme-gone/withdraw", acme).status_code == 200
    sheet = tmp_path / "s.pdf"
    r = cli("labels", "--manufacturer", "acme", "-o", sheet, server=server)
    assert r.returncode == 0, r.stderr  # withdrawing is how a maker retires a product
    assert "1 label (0 with a warning, 1 skipped, 0 not found)" in r.stdout
    assert "skipped (they get no label): acme-gone\n" in r.stderr and sheet.exists()
    ids = tmp_path / "ids.txt"  # named in a list, it was asked for: the sheet fails
    ids.write_text("acme-fine\nacme-gone\n")
    r = cli("labels", "--ids", ids, "-o", tmp_path / "t.pdf", server=server)
    assert r.returncode == 1 and "skipped acme-gone" in r.stderr
    ids.write_text("acme-gone\n")  # nothing to print: nothing written
    r = cli("labels", "--ids", ids, "-o", tmp_path / "u.pdf", server=server)
    assert r.returncode == 1 and "none of the products gets a label" in r.stderr
    assert not (tmp_path / "u.pdf").exists()
