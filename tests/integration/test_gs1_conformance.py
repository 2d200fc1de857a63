"""GS1's resolver test suite (gs1/GS1DL-resolver-testsuite, GS1DigitalLinkResolverTestSuite.js),
ported offline: each test is named after the suite's check id and asserts what that check asserts,
plus what the GS1-Conformant Resolver Standard 1.2.0 requires that the suite does not send (other
qualifiers, the full-URI link type forms, HEAD). Not ported: the checks on the input string
(isURL, validDL, isHttps, plausibleDL) and on the TLS deployment (tlsOK, httpVersion).

The suite asks through a PHP proxy (curl, Accept: */*, an Origin header, no redirects followed)
and reads the answer's headers into a case-sensitive map in which a repeated header keeps only
its last line; so headers are read here with http.client, line by line, and a header the suite
reads must come in exactly one line. The linkset and the description file are validated with
jsonschema against schemas written below from the constraints of GS1's published schemas (gs1/
linkset gs1-linkset-schema.json, ref.gs1.org/standards/resolver/description-file-schema)."""
import http.client
import re
import urllib.parse

import jsonschema
import pytest

from conftest import declaration

ORIGIN = "https://ref.gs1.org/test-suites/resolver/"
GTIN = "05012345678900"
PATH = "/01/" + GTIN
CONTEXT_REL = 'rel="http://www.w3.org/ns/json-ld#context"'
LINKSET_TYPE = "application/linkset+json"
# The link types of GS1's vocabulary this resolver's linksets use; all ratified (check 26 looks
# them up in ref.gs1.org/voc/data/linktypes, which is not at hand offline).
RATIFIED = {"gs1:pip", "gs1:certificationInfo", "gs1:defaultLink"}

# gs1-linkset-schema.json (gs1/linkset at 571bb7d), the constraints the suite's check 19 applies,
# with its patterns copied as they are (draft-07; Python's re reads its lookahead as ajv does).
HREF = r"^https?://[a-zA-z0-9./]+"
LINK = {
    "type": "object",
    "required": ["href", "title"],
    "additionalProperties": False,
    "properties": {
        "href": {"type": "string", "pattern": HREF},
        "title": {"type": "string"},
        "type": {"type": "string", "pattern": r"\w+/[-+.\w]+"},
        "hreflang": {"type": "array",
                     "items": {"type": "string", "pattern": r"(^\w{2}$)|(^\w{2}-\w{2}$)"}},
        "context": {"type": "array"},
        "fwqs": {"type": "boolean"},
        "public": {"type": "boolean"},
    },
}
LINKSET_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["linkset"],
    "properties": {"linkset": {"type": "array", "minItems": 1, "items": {
        "type": "object",
        "required": ["anchor", "itemDescription"],
        "properties": {"anchor": {"type": "string", "pattern": HREF},
                       "itemDescription": {"type": "string"}},
        "patternProperties": {
            r"(?!(anchor|itemDescription))^([a-z-]+$)|(^https?://[a-zA-z0-9./]+$)":
                {"type": "array", "items": LINK},
        },
        "additionalProperties": False,
    }}},
}
# The description-file schema (ref.gs1.org/standards/resolver/1.2.0/description-file-schema).
PRIMARY_KEYS = ["all", "01", "8006", "8013", "8010", "410", "411", "412", "413", "414", "415",
                "417", "8017", "8018", "255", "00", "253", "401", "402", "8003", "8004"]
DESCRIPTION_SCHEMA = {
    "type": "object",
    "required": ["resolverRoot", "supportedPrimaryKeys"],
    "properties": {
        "resolverRoot": {"type": "string", "format": "uri"},
        "supportedPrimaryKeys": {"type": "array",
                                 "items": {"type": "string", "enum": PRIMARY_KEYS}},
        "name": {"type": "string"},
        "supportedLinkType": {"type": "array", "items": {"type": "object", "properties": {
            "namespace": {"type": "string", "format": "uri"},
            "prefix": {"type": "string", "pattern": r"^[a-zA-Z_][A-Za-z0-9_-]*?:$"}}}},
        "linkTypeDefaultCanBeLinkset": {"type": "boolean"},
        "supportedContextValuesEnumerated": {"type": "array", "items": {"type": "string"}},
        "jsonLdContextLocation": {"type": "string"},
    },
}


class Answer:
    """An HTTP answer with its header lines as sent (name case and repeats kept)."""

    def __init__(self, status, lines, body):
        self.status, self.lines, self.body = status, lines, body

    def all(self, name):
        """The values of the lines named exactly `name` or all lowercase (as the suite reads)."""
        return [v for n, v in self.lines if n in (name, name.lower())]

    def one(self, name):
        values = self.all(name)
        assert len(values) == 1, (name, self.lines)
        return values[0]

    def json(self):
        import json
        return json.loads(self.body)


def ask(server, target, method="GET", **headers):
    """One request as GS1's tester.php makes it: Origin, Accept: */* unless given."""
    h = {"Origin": ORIGIN, "Accept": "*/*"}
    h.update({k.replace("_", "-"): v for k, v in headers.items()})
    c = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        c.request(method, target, headers=h)
        r = c.getresponse()
        return Answer(r.status, r.getheaders(), r.read())
    finally:
        c.close()


@pytest.fixture
def dl(server):
    """The Digital Link URI under test, for a registered product with two link types."""
    from conftest import add_manufacturer
    token = add_manufacturer(server.data, "acme", "Acme Devices Ltd")
    r = server.put("/v1/products/acme-cam", token, json=declaration(
        id="acme-cam", gtin="5012345678900", product_name='Acme "Indoor" Kamera \u00fc'))
    assert r.status_code == 201, r.text
    return server.url + PATH


def linkset(server, target=PATH):
    a = ask(server, target, Accept=LINKSET_TYPE)
    assert a.status == 200, (a.status, a.body)
    return a


def curies(obj):
    """The suite's rewriting of GS1 vocabulary URIs to gs1: CURIEs (JS l.1091)."""
    return {re.sub(r"^https://(ref\.|www\.)?gs1\.org/voc/", "gs1:", k): v for k, v in obj.items()}


def the_object(server, dl):
    """The linkset object whose anchor is the DL exactly (check 22's lookup)."""
    objs = [o for o in linkset(server).json()["linkset"] if o["anchor"] == dl]
    assert len(objs) == 1
    return curies(objs[0])


QUALIFIED = ["/10/KL8G", "/21/1234", "/22/ABC", "/22/ABC/10/KL8G/21/1234", "/235/X1",
             "/10/" + "A" * 20, "/235/" + "B" * 28, "/10/a%2Fb", "/21/!%22%25&'()*+,-.:;<=>%3F_"]


def test_05_basicWalkUp(server, dl):
    default = server.url + "/p/acme-cam"
    for q in QUALIFIED:
        for slash in ("", "/"):
            a = ask(server, PATH + q + slash)
            assert a.status == 307, (q + slash, a.status, a.body)
            assert a.one("Location") == default  # straight to the target, no walk-up redirect


def test_07_rdFile(server, dl):
    a = ask(server, "/.well-known/gs1resolver", Accept="application/json")
    assert a.status == 200 and a.one("Content-Type").startswith("application/json")
    assert a.one("Access-Control-Allow-Origin") == "*"
    d = a.json()
    jsonschema.validate(d, DESCRIPTION_SCHEMA)
    assert d["supportedPrimaryKeys"] == ["01"] and d["resolverRoot"] == server.url
    assert d["jsonLdContextLocation"] == "https://ref.gs1.org/standards/resolver/linkset-context"
    o = ask(server, "/.well-known/gs1resolver", "OPTIONS", Access_Control_Request_Method="GET")
    assert o.status == 204 and o.one("Access-Control-Allow-Origin") == "*"
    assert "GET" in o.one("Access-Control-Allow-Methods")


def suite_options(server, target=PATH):
    return ask(server, target, "OPTIONS", Access_Control_Request_Method="GET,HEAD,OPTIONS")


def test_09_corsCheck(server, dl):
    a = suite_options(server)
    assert a.status in (200, 204) and a.one("Access-Control-Allow-Origin") == "*"


def test_10_linkOnRedirect(server, dl):
    assert 'rel="linkset"' in suite_options(server).one("Link")


def test_11_legacyLinkHeaders(server, dl):
    assert 'rel="gs1:' not in suite_options(server).one("Link")


def test_12_methodsCheck(server, dl):
    a = suite_options(server)
    names = [n for n, _ in a.lines]
    assert "Access-Control-Allow-Origin" in names and "Access-Control-Allow-Methods" in names
    methods = {m.strip() for m in a.one("Access-Control-Allow-Methods").split(",")}
    assert {"GET", "HEAD", "OPTIONS"} <= methods


BAD = ["/foo", "/10", "//10/x", "/10/x//", "/17/260101", "/21/1/10/2", "/10/a/10/b",
       "/10/" + "A" * 21, "/235/" + "B" * 29, "/10/a%7Fb", "/10/a%00b", "/10/%C3%BC",
       "/235/X/10/a", "/10/a/235/X", "/21/1/22/2", "/01/" + GTIN, "/10/a/foo", "/10/a/21"]


def test_13_reportWith400(server, dl):
    for q in BAD:
        a = ask(server, PATH + q)
        assert a.status == 400 and a.json()["error"] == "bad_request", (q, a.status, a.body)
    for path in ("/01/4006381333932/10/x", "/01/", "/01//10/x", "/01/abc/"):  # not a GTIN
        assert ask(server, path).status == 400, path
    # A valid Digital Link URI of a GTIN nobody registered: 404, for phones the HTML page.
    for path in ("/01/4006381333931/10/x", "/01/4006381333931/"):
        assert ask(server, path).status == 404
        html = ask(server, path, Accept="text/html")
        assert html.status == 404 and html.one("Content-Type").startswith("text/html")


def test_14_noErrorWith200(server, dl):
    assert ask(server, PATH + "/foo").status != 200
    assert ask(server, PATH + "/foo", Accept="text/html").status != 200


def test_15_trailingSlash(server, dl):
    for path in (PATH, PATH + "/10/KL8G", PATH + "/235/X1"):
        a, b = ask(server, path), ask(server, path + "/")
        assert a.status == b.status == 307 and a.one("Location") == b.one("Location")
        a, b = ask(server, path, Accept=LINKSET_TYPE), ask(server, path + "/", Accept=LINKSET_TYPE)
        assert a.status == b.status == 200 and a.body == b.body


def test_16_qsPassedOn(server, dl):
    assert ask(server, PATH + "?foo=bar").one("Location") == server.url + "/p/acme-cam?foo=bar"
    a = ask(server, PATH + "/10/KL8G?lang=de&utm_source=box")
    assert a.one("Location") == server.url + "/p/acme-cam?lang=de&utm_source=box"
    assert a.json() == {"location": server.url + "/p/acme-cam?lang=de&utm_source=box"}
    page = ask(server, a.one("Location")[len(server.url):])
    assert page.status == 200 and b'lang="de"' in page.body  # the target reads what it knows
    # Bytes that may not stand in a URI go on percent-encoded, so Location stays one.
    a = ask(server, PATH + "?q=a\"b<c>\\")
    assert a.one("Location") == server.url + "/p/acme-cam?q=a%22b%3Cc%3E%5C"
    assert a.json()["location"] == a.one("Location")


def test_17_ltLinksetNoRedirect(server, dl):
    a = ask(server, PATH + "?linkType=linkset")
    assert a.status == 200 and not a.all("Location")
    assert a.one("Content-Type").startswith(LINKSET_TYPE)
    assert a.body == linkset(server).body


def test_17b_ltAllNoRedirect(server, dl):
    for headers in ({}, {"Accept": LINKSET_TYPE}):
        a = ask(server, PATH + "?linkType=all", **headers)
        assert a.status == 200 and not a.all("Location") and a.body == linkset(server).body


def test_18_ltAcceptHeader(server, dl):
    assert ask(server, PATH + "?linkType=all", Accept=LINKSET_TYPE).status == 200


def test_19_validLinkset(server, dl):
    for target in (PATH, PATH + "/", PATH + "/21/1234", PATH + "/21/1234?linkType=linkset"):
        ls = linkset(server, target).json()
        jsonschema.validate(ls, LINKSET_SCHEMA)
        assert set(ls) == {"linkset"}
        assert [o["anchor"] for o in ls["linkset"]] == [dl]  # all levels up to the GTIN
        assert ls["linkset"][0]["itemDescription"] == 'Acme "Indoor" Kamera \u00fc'
    # The schema check can fail: a key of another shape, a link without its title.
    bad = linkset(server).json()
    bad["linkset"][0]["gs1:pip"] = bad["linkset"][0]["https://gs1.org/voc/pip"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, LINKSET_SCHEMA)


def test_20_linksetJsonldCheck(server, dl):
    pieces = linkset(server).one("Link").split(",")
    assert any(CONTEXT_REL in p and 'type="application/ld+json"' in p for p in pieces)


def test_21_declaredContentType(server, dl):
    assert linkset(server).one("Content-Type").startswith(LINKSET_TYPE)


def test_22_defaultLinkExists(server, dl):
    assert "gs1:defaultLink" in the_object(server, dl)


def test_23_singleDefaulLink(server, dl):
    o = the_object(server, dl)
    assert len(o["gs1:defaultLink"]) == 1 and set(o["gs1:defaultLink"][0]) == {"href", "title"}
    assert o["gs1:defaultLink"][0]["href"] == o["gs1:pip"][0]["href"]


def test_24_defaultTarget(server, dl):
    href = the_object(server, dl)["gs1:defaultLink"][0]["href"]
    assert ask(server, PATH).one("Location") == href


def strip_link_type(uri, lt):
    for v in (lt, lt.replace(":", "%3A")):
        uri = uri.replace("?linkType=" + v, "").replace("&linkType=" + v, "")
    return uri


def test_25_loFor_each_link_type(server, dl):
    o = the_object(server, dl)
    others = [k for k in o if k.startswith("gs1:") and k != "gs1:defaultLink"]
    assert sorted(others) == ["gs1:certificationInfo", "gs1:pip"]
    for lt in others:
        assert len(o[lt]) == 1  # one link per type: no 300 (25m) and no Accept negotiation
        a = ask(server, PATH + "?linkType=" + lt)
        assert a.status == 307
        assert strip_link_type(a.one("Location"), lt) == o[lt][0]["href"]
        # The target takes the query passed on to it (the record's route ignores what it does
        # not know, as the standard's pass-through needs).
        target = ask(server, a.one("Location")[len(server.url):])
        assert target.status == 200, (lt, target.body)


def test_26_linkTypesDefined(server, dl):
    assert {k for k in the_object(server, dl) if k.startswith("gs1:")} <= RATIFIED


def test_27_specificLinkTypeNotFound(server, dl):
    for lt in ("gs1:nosuchlt", "https://schema.org/foo", "gs1%3Anosuchlt", "nosuchlt",
               "https%3A%2F%2Fgs1.org%2Fvoc%2Fnosuchlt", "gs1:pip%FF"):
        a = ask(server, PATH + "?linkType=" + lt)
        assert a.status == 404 and a.json()["error"] == "not_found", (lt, a.status)
        assert "gs1:certificationInfo" in a.json()["message"]  # the types it has (MAY)
        assert 'rel="linkset"' in a.one("Link") and not a.all("Location")


# --- the standard, beyond what the suite sends --------------------------------------------------

@pytest.mark.parametrize("lt", ["gs1:certificationInfo", "gs1%3AcertificationInfo",
                                "certificationInfo",
                                "https%3A%2F%2Fgs1.org%2Fvoc%2FcertificationInfo",
                                "https://gs1.org/voc/certificationInfo",
                                "https%3A%2F%2Fref.gs1.org%2Fvoc%2FcertificationInfo",
                                "https%3A%2F%2Fwww.gs1.org%2Fvoc%2FcertificationInfo",
                                "http%3A%2F%2Fgs1.org%2Fvoc%2FcertificationInfo"])
def test_link_types_in_every_form(server, dl, lt):
    href = the_object(server, dl)["gs1:certificationInfo"][0]["href"]
    a = ask(server, PATH + "/10/KL8G?linkType=" + lt)
    assert a.status == 307 and a.one("Location") == href + "?linkType=" + lt
    for default in ("gs1:defaultLink", "gs1:pip", ""):  # empty: as if not given
        assert ask(server, PATH + "?linkType=" + default).one("Location").startswith(
            server.url + "/p/acme-cam")


def test_the_linkset_link_answers_with_the_linkset(server, dl):
    """RFC 9264 6: the target of rel="linkset" provides the links; followed as any client does,
    without asking for application/linkset+json."""
    for target in (PATH, PATH + "?linkType=gs1:pip", PATH + "?linkType=gs1:nosuchlt"):
        link = ask(server, target).one("Link")
        m = re.match(r'<([^>]+)>; rel="linkset"; type="application/linkset\+json"$', link)
        assert m, link
        url = urllib.parse.urlsplit(m.group(1))
        assert m.group(1).startswith(dl)
        a = ask(server, url.path + "?" + url.query)
        assert a.status == 200 and a.one("Content-Type").startswith(LINKSET_TYPE)
        assert a.json()["linkset"][0]["anchor"] == dl


def test_head_answers_as_get(server, dl):
    for path in (PATH, PATH + "/10/KL8G/"):
        get, head = ask(server, path), ask(server, path, "HEAD")
        assert head.status == 307 and head.body == b""
        assert head.one("Location") == get.one("Location") and head.one("Link") == get.one("Link")
    head = ask(server, PATH + "/21/9", "HEAD", Accept=LINKSET_TYPE)
    assert head.status == 200 and head.body == b""
    assert head.one("Content-Type").startswith(LINKSET_TYPE)


def test_every_resolver_answer_allows_any_origin(server, dl):
    for method, target, status in (("GET", PATH, 307), ("GET", PATH + "/10/x/", 307),
                                   ("GET", PATH + "?linkType=linkset", 200),
                                   ("GET", PATH + "/foo", 400), ("GET", "/01/4006381333931", 404),
                                   ("GET", "/01/4006381333931/10/x", 404),
                                   ("HEAD", PATH + "/10/x", 307),
                                   ("GET", "/.well-known/gs1resolver", 200)):
        a = ask(server, target, method)
        assert a.status == status, (target, a.status)
        assert a.one("Access-Control-Allow-Origin") == "*"
        assert {"link", "location"} <= {
            h.strip().lower() for h in a.one("Access-Control-Expose-Headers").split(",")}


def test_qualified_paths_are_the_resolver_route(server, dl):
    """Paths the one-segment route /01/{} does not match still are the resolver's: preflight
    with the linkset Link, 405 for other methods, counted under route /01/{} in /metrics."""
    o = suite_options(server, PATH + "/10/KL8G/")
    assert o.status == 204 and o.one("Access-Control-Allow-Origin") == "*"
    assert o.one("Allow") == "GET, HEAD, OPTIONS"
    assert o.one("Link") == "<%s?linkType=linkset>; rel=\"linkset\"; type=\"%s\"" % (
        dl, LINKSET_TYPE)
    assert not suite_options(server, PATH + "/foo").all("Link")  # not a Digital Link URI
    assert ask(server, PATH + "/10/KL8G/").status == 307
    assert ask(server, PATH + "/foo").status == 400
    p = ask(server, PATH + "/10/KL8G", "POST")
    assert p.status == 405 and p.one("Allow") == "GET, HEAD, OPTIONS"
    text = server.get("/metrics").text
    for line in ('{method="GET",route="/01/{}",status="307"} ',
                 '{method="GET",route="/01/{}",status="400"} ',
                 '{method="OPTIONS",route="/01/{}",status="204"} ',
                 '{method="POST",route="/01/{}",status="405"} 1\n'):
        assert "seclabel_http_requests_total" + line in text, line
    assert 'route="(none)"' not in text
