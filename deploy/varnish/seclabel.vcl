# seclabel.vcl: a Varnish cache tier in front of seclabeld (Debian 12: varnish 7.1 and
# varnish-modules' xkey). docs/OPERATIONS.md "A cache tier: Varnish" says how to run it; the
# design, in short:
#   - seclabeld says how long each answer may be reused (Cache-Control: max-age,
#     stale-while-revalidate, stale-if-error) and files it under surrogate keys (Surrogate-Key:
#     product:<id>, maker:<slug>, lists, feeds, log; docs/API.md "Caching"). Varnish keeps what
#     the origin allows and nothing else: an answer without Cache-Control is not kept.
#   - `seclabel cache purge --follow` reads the changes feed and, within a second of each write,
#     sends PURGE with the keys it changed in an xkey-purge header; only the purgers ACL may.
#   - When seclabeld is down (health probe on /healthz, or a fetch that fails), a stale answer
#     is served for as long as its stale-if-error allows, marked
#     "Seclabel-Cache: stale; origin unavailable"; while it is up, a stale answer is served
#     only within its stale-while-revalidate (while a fresh one is fetched).
#   - Day-dependent answers never outlive midnight UTC, in grace either: seclabeld caps each
#     one's max-age plus stale-while-revalidate and max-age plus stale-if-error by the end of
#     the day, and the grace here is exactly the larger of the two, never more.
#   - Writes (PUT, POST, DELETE) and requests with Authorization go to seclabeld, never kept;
#     when it is down they fail with seclabeld's JSON error body (503 "unavailable").
#   - The URL, query string included, is the key as sent: nothing is normalised.
vcl 4.1;

import std;
import xkey;

# The one line a deployment changes: where seclabeld listens (its --listen).
backend seclabeld {
    .host = "127.0.0.1"; .port = "8080";
    .connect_timeout = 1s;
    .first_byte_timeout = 30s;
    .probe = {
        .url = "/healthz";
        .interval = 1s;
        .timeout = 1s;
        .window = 3;
        .threshold = 2;
        .initial = 2;
    }
}

# Who may purge: the purger runs on the cache's own machine.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.restarts == 0) {
        # Our own marks between restarts: never a client's.
        unset req.http.Seclabel-Origin-Down;
        unset req.http.Seclabel-Fresh;
    }
    if (req.method == "PURGE" || req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(403, "forbidden"));
        }
        if (req.method == "BAN") {
            # Everything: a purger that starts with no cursor, or sees the feed go back (a
            # restored backup), cannot know what changed.
            ban("obj.status != 0");
            return (synth(200, "banned"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "bad_request"));
        }
        set req.http.Seclabel-Purged = xkey.purge(req.http.xkey-purge);
        return (synth(200, "purged"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass); # writes, lookups and batches: seclabeld's, never kept
    }
    if (req.http.Authorization) {
        return (pass); # whoami, and anything a maker asks with its token
    }
    if (req.http.Seclabel-Fresh) {
        set req.grace = 0s; # the origin is up and the stale copy is past its revalidate window
    }
    # Cookies: seclabeld reads none (api.c), so they do not split or bypass the cache.
    return (hash);
}

sub vcl_hit {
    if (obj.ttl <= 0s && !req.http.Seclabel-Origin-Down && std.healthy(req.backend_hint) &&
        obj.ttl + std.duration(obj.http.Seclabel-Swr + "s", 0s) <= 0s) {
        # Stale beyond stale-while-revalidate, origin up: fetch, don't serve stale.
        set req.http.Seclabel-Fresh = "1";
        return (restart);
    }
    return (deliver);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (!beresp.http.Cache-Control || beresp.status >= 500) {
        # Only what the origin says may be kept is kept (its errors and redirects carry none).
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
        return (deliver);
    }
    # Grace: the longest the origin lets this answer be served stale, from its own lifetimes,
    # so a day-dependent answer's grace ends by midnight as its max-age does.
    set beresp.http.Seclabel-Swr = "0";
    set beresp.grace = 0s;
    if (beresp.http.Cache-Control ~ "stale-while-revalidate=[0-9]+") {
        set beresp.http.Seclabel-Swr = regsub(beresp.http.Cache-Control,
            "^.*stale-while-revalidate=([0-9]+).*$", "\1");
        set beresp.grace = std.duration(beresp.http.Seclabel-Swr + "s", 0s);
    }
    if (beresp.http.Cache-Control ~ "stale-if-error=[0-9]+" &&
        std.duration(regsub(beresp.http.Cache-Control, "^.*stale-if-error=([0-9]+).*$", "\1") +
            "s", 0s) > beresp.grace) {
        set beresp.grace = std.duration(regsub(beresp.http.Cache-Control,
            "^.*stale-if-error=([0-9]+).*$", "\1") + "s", 0s);
    }
    set beresp.keep = 0s;
    # xkey indexes the object by this header's space-separated keys.
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
    # Anything else (Set-Cookie, no-store, private) as Varnish's built-in rules say.
}

# A JSON string cannot end a VCL long string ({"..."} ends at the first quote and brace), so the
# bodies below end with {"""} (one quote), "}" and a newline.
sub vcl_backend_error {
    # The origin could not be reached: seclabeld's JSON error, so clients see one shape.
    set beresp.http.Content-Type = "application/json";
    set beresp.http.Retry-After = "5";
    set beresp.http.Seclabel-Cache = "error; origin unavailable";
    set beresp.status = 503;
    synthetic({"{"error":"unavailable","message":"The registry's server cannot be reached; try again shortly."} + {"""} + "}" + {"
"});
    return (deliver);
}

sub vcl_deliver {
    if (resp.http.Seclabel-Cache == "error; origin unavailable" && req.restarts == 0 &&
        (req.method == "GET" || req.method == "HEAD")) {
        # A fetch failed before the probe noticed: serve a stale copy if grace still holds one.
        set req.http.Seclabel-Origin-Down = "1";
        return (restart);
    }
    if (!resp.http.Seclabel-Cache) {
        if (obj.ttl <= 0s && obj.hits > 0 &&
            (req.http.Seclabel-Origin-Down || !std.healthy(req.backend_hint))) {
            set resp.http.Seclabel-Cache = "stale; origin unavailable";
        } else if (obj.ttl <= 0s && obj.hits > 0) {
            set resp.http.Seclabel-Cache = "stale; revalidating";
        } else if (obj.hits > 0) {
            set resp.http.Seclabel-Cache = "hit";
        } else {
            set resp.http.Seclabel-Cache = "miss";
        }
    }
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
    unset resp.http.Seclabel-Swr;
}

sub vcl_synth {
    set resp.http.Content-Type = "application/json";
    if (resp.status == 200 && req.http.Seclabel-Purged) {
        synthetic({"{"purged":"} + req.http.Seclabel-Purged + {"}
"});
    } else if (resp.status == 200) {
        synthetic({"{"banned":true}
"});
    } else if (resp.status == 403) {
        synthetic({"{"error":"forbidden","message":"Only the purgers ACL may purge."} + {"""} + "}" + {"
"});
    } else {
        synthetic({"{"error":"bad_request","message":"PURGE needs an xkey-purge header: the keys, space-separated."} + {"""} + "}" + {"
"});
    }
    return (deliver);
}
