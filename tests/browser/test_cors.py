"""CORS as a browser enforces it: a page served from another origin (a second small HTTP server
on another port) calls the registry with fetch(): a record, a 404, the GS1 resolver followed to
the end, and a dry-run write with a Bearer token (which needs a preflight). Chromium refuses any
of them whose answer lacks what the CORS protocol asks for."""
import functools
import http.server
import threading

import pytest

from .browserlib import _it

PAGE = b"<!doctype html><html lang=en><title>shop</title><p>A retailer's page</p>"

# Calls the registry from the page; arguments[0] is its URL, the last the callback.
SCRIPT = """
const [base, pid, gtin, token, decl, done] = arguments;
async function call(path, init) {
  try {
    const r = await fetch(base + path, init);
    const body = await r.text();
    return {status: r.status, url: r.url, etag: r.headers.get("ETag"),
            change: r.headers.get("Seclabel-Change"), body: body.slice(0, 200)};
  } catch (e) {
    return {error: String(e)};
  }
}
const put = {method: "PUT", headers: {"Authorization": "Bearer " + token,
                                      "Content-Type": "application/json"}};
Promise.all([
  call("/v1/products/" + pid),
  call("/v1/products/no-such-product"),
  call("/01/" + gtin),
  call("/v1/products/" + decl.id + "?dry_run=true", Object.assign({body: JSON.stringify(decl)}, put)),
]).then(done);
"""


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


@pytest.fixture
def other_origin():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield "http://127.0.0.1:%d/" % srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()


def test_a_page_of_another_origin_can_call_the_registry(registry, driver, other_origin):
    pid, rec = next((p, r) for p, r in registry.records.items()
                    if r.get("gtin") and r.get("status") != "withdrawn")
    slug = rec["manufacturer"]
    assert other_origin.split(":")[2] != registry.url.split(":")[2]  # another origin
    decl = _it.declaration(id=slug + "-cors-dry-run",
                           manufacturer_name=rec["manufacturer_name"])
    driver.get(other_origin)
    record, missing, resolved, write = driver.execute_async_script(
        SCRIPT, registry.url, pid, rec["gtin"], registry.tokens[slug], decl)
    assert record.get("status") == 200 and record["etag"], record
    assert '"id":"%s"' % pid in record["body"].replace(" ", "")
    assert missing.get("status") == 404 and "not_found" in missing["body"], missing
    # The resolver's redirect is followed; the answer at its end is readable too.
    assert resolved.get("status") == 200 and resolved["url"] != registry.url + "/01/" + rec["gtin"]
    # A write with a token: preflighted, and its answer's exposed headers readable. A dry run:
    # the session's registry is shared with the other browser tests.
    assert write.get("status") == 201 and write["change"], write
