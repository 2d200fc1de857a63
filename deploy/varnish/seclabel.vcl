# seclabel.vcl: a Varnish cache tier in front of seclabeld (Debian 12: varnish 7.1 and
# varnish-modules' xkey). docs/OPERATIONS.md "A cache tier: Varnish" says how to run it; the
# design, in short:
#   - seclabeld says how long each answer may be reused (Cache-Control: max-age,
#     stale-while-revalidate, stale-if-error) and files it under surrogate keys (Surrogate-Key:
#     product:<id>, maker:<slug>, account:<slug>, lists, feeds, log; docs/API.md "Caching").
#     Varnish keeps what the origin allows and nothing else: an answer without Cache-Control
#     is not kept.
#   - `seclabel cache purge --follow` reads the changes feed and, within a second of each write,
#     sends PURGE with the keys it changed in an xkey-purge header (a soft purge: the copies
#     stay as the fallback while the origin is down); only the purgers ACL may.
#   - When seclabeld is down (health probe on /healthz, or a fetch that fails), a stale answer
#     is served for as long as its stale-if-error allows, marked
#     "Seclabel-Cache: stale; origin unavailable"; while it is up, never: an expired or purged
#     answer is fetched afresh (stale-while-revalidate is not used to answer first and fetch
#     after, so no answer is served after its purge while the origin can give the new one).
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
        # Soft: the objects expire at once but stay for their grace, the fallback if the origin
        # goes down before they are fetched again (a purge may come just after a restart,
        # before the probe sees the origin up); vcl_recv never serves them stale otherwise.
        set req.http.Seclabel-Purged = xkey.softpurge(req.http.xkey-purge);
        return (synth(200, "purged"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass); # writes, lookups and batches: seclabeld's, never kept
    }
    if (req.http.Authorization) {
        return (pass); # whoami, and anything a maker asks with its token
    }
    if (req.http.Seclabel-Origin-Down) {
        set req.grace = 3650d; # no cap: each object's own (0s below stays over a restart)
    } else {
        # A stale copy is served only when the origin cannot answer (vcl_synth restarts with
        # Seclabel-Origin-Down then): while it is up, a purged or expired answer is fetched
        # afresh (concurrent requests for it wait for the one fetch).
        set req.grace = 0s;
    }
    # Cookies: seclabeld reads none (api.c), so they do not split or bypass the cache.
    return (hash);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.status >= 500 && bereq.is_bgfetch) {
        return (abandon); # keep the stale copy rather than an error
    }
    if (!beresp.http.Cache-Control || beresp.status >= 500) {
        # Only what the origin says may be kept is kept (its errors and redirects carry none).
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
        return (deliver);
    }
    # Grace: the longest the origin lets this answer be served stale (stale-if-error, or
    # stale-while-revalidate if longer), from its own lifetimes, so a day-dependent answer's
    # grace ends by midnight as its max-age does. Used only while the origin is down.
    set beresp.grace = 0s;
    if (beresp.http.Cache-Control ~ "stale-while-revalidate=[0-9]+") {
        set beresp.grace = std.duration(regsub(beresp.http.Cache-Control,
            "^.*stale-while-revalidate=([0-9]+).*$", "\1") + "s", 0s);
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

sub vcl_backend_error {
    # The origin could not be reached. Abandoned, never delivered: a delivered error object
    # would take the place of a stale copy the client can still be given; vcl_synth answers
    # (503) and, for a read, first tries that copy (a background refresh just ends).
    return (abandon);
}

sub vcl_deliver {
    if (!resp.http.Seclabel-Cache) {
        if (obj.ttl <= 0s && req.http.Seclabel-Origin-Down) {
            set resp.http.Seclabel-Cache = "stale; origin unavailable";
        } else if (obj.hits > 0) {
            set resp.http.Seclabel-Cache = "hit";
        } else {
            set resp.http.Seclabel-Cache = "miss";
        }
    }
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
}

# A JSON string cannot end a VCL long string ({"..."} ends at the first quote and brace), so the
# bodies below end with {"""} (one quote), "}" and a newline.
sub vcl_synth {
    if (resp.status == 503 && req.restarts == 0 && (req.method == "GET" || req.method == "HEAD")) {
        # A fetch failed (origin down, or down before the probe noticed): a stale copy, if grace
        # still holds one (vcl_recv lets grace count with this mark).
        set req.http.Seclabel-Origin-Down = "1";
        return (restart);
    }
    set resp.http.Content-Type = "application/json";
    if (resp.status == 503) {
        # seclabeld's own error shape and code (registry/core/err.h: unavailable).
        set resp.http.Retry-After = "5";
        set resp.http.Seclabel-Cache = "error; origin unavailable";
        synthetic({"{"error":"unavailable","message":"The registry's server cannot be reached; try again shortly."} + {"""} + "}" + {"
"});
    } else if (resp.status == 200 && req.http.Seclabel-Purged) {
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
