#!/usr/bin/env python3
"""tests/fuzz/seeds.py: writes the handwritten seeds of tests/fuzz/corpus/request/ (HTTP
requests: every route, both tokens, chunked bodies, pipelining, odd targets), of corpus/decl/
(JSON edge cases the examples lack), of corpus/csv/ (CSV edge cases) and of corpus/cta/ (variants of export-acme-cam-2.json, which is what
GET /v1/products/acme-cam-2/cta-2120 answers for the demo data). The declarations, schema/examples/ and its catalogue.csv are
not copied: scripts/fuzz passes them to libFuzzer as extra seeds. Run it after changing a
seed here; the files it writes are committed.

In requests, TOKEN_A and TOKEN_B stand for acme's and nordlicht's API tokens (fuzz_request.c
puts the real ones in)."""
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
DEMO = HERE.parent.parent / "schema" / "examples" / "demo"


def req(method, target, headers=(), body=None, chunked=False):
    lines = [f"{method} {target} HTTP/1.1", "Host: registry.example"]
    lines += list(headers)
    data = b""
    if body is not None:
        data = body.encode() if isinstance(body, str) else body
        if chunked:
            lines.append("Transfer-Encoding: chunked")
            half = len(data) // 2
            parts = [data[:half], data[half:]]
            data = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
        else:
            lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def auth(tok="TOKEN_A"):
    return (f"Authorization: Bearer {tok}", "Content-Type: application/json")


def demo(slug, pid):
    return json.loads((DEMO / slug / f"{pid}.json").read_text())


def requests():
    cam = demo("acme", "acme-cam-2")
    new = dict(cam, id="acme-cam-9", product_name="Acme Camera 9")
    new.pop("gtin")
    longer = dict(cam, support_date="2035-12-31")
    shorter = dict(cam, support_date="2026-01-01")
    s = {}
    for path in ["/", "/healthz", "/metrics", "/.well-known/security.txt",
                 "/.well-known/gs1resolver", "/static/style.css", "/products.csv",
                 "/products.csv?q=camera&support=active", "/v1/changes", "/v1/changes?since=2&limit=1",
                 "/v1/changes.atom", "/v1/manufacturers/acme", "/m/nordlicht?lang=de",
                 "/v1/products?q=cam&manufacturer=acme&support=ending_soon&compliant=true&limit=2",
                 "/v1/products?cursor=acme-cam-2&limit=1", "/?q=thermo&lang=zh",
                 "/01/05012345678900", "/01/5012345678900?linkType=all",
                 "/01/4006381333931/21/123?linkType=gs1:pip",
                 "/v1/products/acme-cam-2", "/v1/products/acme-cam-2/versions",
                 "/v1/products/acme-cam-2/versions/1", "/v1/products/nordlicht-thermo-3/cta-2120",
                 "/p/acme-cam-2", "/p/acme-hub-2019/details", "/p/nordlicht-doorbell-1?lang=de",
                 "/p/acme-cam-2/label.png?layout=compact&dpi=300",
                 "/p/acme-cam-2/label.svg", "/p/acme-plug-1/label.svg?layout=qr&ec=H",
                 "/p/nordlicht-thermo-3/label.svg?layout=full&width_mm=60&height_mm=30",
                 "/p/acme-cam-2/label.pdf", "/p/acme-hub-2019/label.zpl?dpi=203"]:
        name = "get" + path.replace("/", "_").replace("?", "_q_").replace("&", "_")[:60]
        s[name] = req("GET", path, ["Accept-Language: de-DE,de;q=0.9,en;q=0.5"])
    s["head_page"] = req("HEAD", "/p/acme-cam-2")
    s["get_conditional"] = req("GET", "/v1/products/acme-cam-2", ['If-None-Match: "1"'])
    s["get_odd_target_pct"] = req("GET", "/p/acme%2Dcam%2D2/label.svg?layout=%71r&ec=%")
    s["get_odd_target_dots"] = req("GET", "/v1/products/../products/./acme-cam-2?&&=&a")
    s["get_odd_target_absolute"] = req("GET", "http://registry.example/healthz?x=%00")
    s["get_odd_target_star"] = req("OPTIONS", "*")
    s["whoami"] = req("GET", "/v1/whoami", ["Authorization: Bearer TOKEN_B"])
    s["whoami_bad_token"] = req("GET", "/v1/whoami", ["Authorization: Bearer slt_nope"])
    s["put_new"] = req("PUT", "/v1/products/acme-cam-9", auth(), json.dumps(new))
    s["put_update_if_match"] = req("PUT", "/v1/products/acme-cam-2", auth() + ('If-Match: "1"',),
                                   json.dumps(longer))
    s["put_shorter"] = req("PUT", "/v1/products/acme-cam-2", auth(), json.dumps(shorter))
    s["put_foreign"] = req("PUT", "/v1/products/acme-cam-2", auth("TOKEN_B"), json.dumps(cam))
    s["put_invalid"] = req("PUT", "/v1/products/acme-x", auth(),
                           '{"product_name":"","markets":["gb","GB"],"gtin":12}')
    s["put_chunked"] = req("PUT", "/v1/products/acme-cam-9", auth(), json.dumps(new), chunked=True)
    s["withdraw"] = req("POST", "/v1/products/acme-plug-1/withdraw", auth())
    s["lookup"] = req("POST", "/v1/lookup", auth()[1:],
                      '{"ids":["acme-cam-2","nope"],"gtins":["5012345678900","4006381333931"]}')
    s["batch"] = req("POST", "/v1/batch", auth(),
                     json.dumps({"products": [new, dict(longer, id="acme-cam-2"),
                                              {"id": "acme-bad"}]}))
    s["pipelined"] = (req("GET", "/v1/products/acme-cam-2") + req("PUT", "/v1/products/acme-cam-9",
                      auth(), json.dumps(new)) + req("GET", "/v1/products/acme-cam-9")
                      + req("GET", "/v1/products/acme-cam-2") + req("GET", "/v1/changes"))
    s["pipelined_cache"] = req("GET", "/p/acme-cam-2") * 3 + req("GET", "/p/acme-cam-2/label.svg") * 2
    s["http10_close"] = b"GET /healthz HTTP/1.0\r\n\r\nGET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n"
    s["bad_method"] = req("DELETE", "/v1/products/acme-cam-2", auth())
    s["bad_version"] = b"GET / HTTP/9.9\r\n\r\n"
    s["bad_header"] = b"GET / HTTP/1.1\r\nHost x\r\n\r\n"
    s["both_lengths"] = (b"PUT /v1/products/acme-cam-2 HTTP/1.1\r\nContent-Length: 3\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    s["expect_continue"] = req("PUT", "/v1/products/acme-cam-9", auth() + ("Expect: 100-continue",),
                               json.dumps(new))
    return s


CSV = {
    "quoted": 'id,product_name,markets,security_update_information.update_default\r\n'
              '"acme-q","Quote ""and"" comma, here","GB; DE","Automatic - may opt out"\r\n',
    "multiline": 'id,product_name,sensor_data_collection\n'
                 'acme-m,"two\nlines","[{""sensor_type"":""camera""}]"\n',
    "bad_header": 'id,colour\nacme-c,red\n',
    "short_row": 'id,product_name,support_date\nacme-s,Only name\n"acme-t\n',
    "bools": 'id,sbom_hbom_maintained.sbom_maintained,access_control.user_changeable\n'
             'acme-b,true,maybe\n',
    # A file with a few columns: the rest is kept from the record (csvdecl_keep).
    "few_columns": 'id,product_name,access_control.user_changeable,tested_by.name\n'
                   'acme-a,A,true,Lab\nacme-b,,,\nacme-c,C,false,\n',
}


DECL = {
    "duplicate-keys.json": '{"id":"acme-a","id":"acme-b","product_name":"x","product_name":"y"}',
    "deep.json": '{"securing_this_product":' * 12 + '{}' + '}' * 12,
    "escapes.json": '{"product_name":"\\u0000\\ud83d\\ude00\\ud800 \\u00e9","markets":["\\u0047B"],'
                    '"support_date":"2031-02-29","security_contact":"mailto:a@b.c"}',
    "numbers.json": '{"gtin":5012345678900,"support_date":20311231,"markets":[1e999,-0,0.1]}',
    "not-object.json": '["product_name", null, true, {"id": "acme-x"}]',
}


def cta():
    doc = json.loads((HERE / "corpus" / "cta" / "export-acme-cam-2.json").read_text())
    page = dict(doc, QR_code_url="https://labels.example/p/acme-cam-2?x=1#y")
    page["access_control"] = dict(doc["access_control"], password_type="user_generated")
    bare = {k: v for k, v in doc.items() if k not in ("QR_code_url", "access_control")}
    bare["product_model"] = "AC 200 / Rev. B"
    gs1 = dict(bare, QR_code_url="https://id.example/01/5012345678900/21/x",
               sbom_hbom_available=doc.get("sbom_hbom_maintained"))
    gs1.pop("sbom_hbom_maintained", None)
    # Models an ID is made from: transliterated, hashed, too long; and the empty lists and
    # objects CTA-2120 allows (issue 12).
    scripts = [dict(bare, product_model=m) for m in (
        "Türklingel Ⅱ 智能", "Türklingel Ⅲ", "智能门铃", "Straße Øresund Łódź ﬁ Ａ", "!!!", "",
        "Acme Outdoor Floodlight Camera with Siren and Two-Way Audio, Model A")]
    empty = dict(bare, version_and_model_numbers=[], security_update_information={
        "update_options": []}, security_update_information_other="", access_control={
        "password_options": [], "password_change": {}}, sensor_data_collection=[
        {"sensing": "audio", "icons": {"16": "https://acme.example/i.png"}}],
        delete_data={}, tested_by={"name": ""})
    return {"page-url.json": page, "model-id.json": bare, "gs1-url.json": gs1,
            "array.json": [doc, page, bare, 7, {"product_name": "---"}],
            "model-scripts.json": scripts, "empty-lists.json": [empty, doc]}


def main():
    out = HERE / "corpus" / "request"
    for name, data in requests().items():
        (out / f"{name}.http").write_bytes(data)
    for name, text in CSV.items():
        (HERE / "corpus" / "csv" / f"{name}.csv").write_text(text)
    for name, text in DECL.items():
        (HERE / "corpus" / "decl" / name).write_text(text + "\n")
    for name, doc in cta().items():
        (HERE / "corpus" / "cta" / name).write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
