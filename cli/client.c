/* client.c: HTTP through libcurl for the CLI (see client.h). */
#include "client.h"

#include "cli.h"
#include "tlsenv.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <yyjson.h>

#define CLIENT_MAX_RESPONSE (64 * 1024 * 1024)
#define CLIENT_ATTEMPTS 3

void client_close(struct client *c)
{
    if (c->curl) curl_easy_cleanup(c->curl);
    c->curl = NULL;
}

void client_defaults(struct client *c)
{
    c->curl = NULL;
    c->server = "http://127.0.0.1:8080";
    c->token = NULL;
}

void client_from_env(struct client *c)
{
    const char *s = getenv("SECLABEL_SERVER"), *t = getenv("SECLABEL_TOKEN");
    if (s && *s) c->server = s;
    if (t && *t) c->token = t;
}

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    struct buf *b = ud;
    if (b->len + size * n > CLIENT_MAX_RESPONSE) return 0; /* aborts the transfer */
    buf_append(b, p, size * n);
    return size * n;
}

/* The lower-case word that is the value of header `name` (with its ':') in line p[0..len),
 * into out (n bytes): 1, or 0 if the line is another header. */
static int header_word(const char *p, size_t len, const char *name, char *out, size_t n)
{
    size_t i = strlen(name), j = 0;
    if (len <= i || strncasecmp(p, name, i) != 0) return 0;
    while (i < len && p[i] == ' ')
        i++;
    while (i < len && p[i] >= 'a' && p[i] <= 'z' && j + 1 < n)
        out[j++] = p[i++];
    out[j] = '\0';
    return 1;
}

/* Keeps the response headers the CLI reads: Seclabel-Change and Seclabel-Dry-Run. */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct client_resp *out = ud;
    size_t len = size * n;
    char dry[8];
    if (!header_word(p, len, "seclabel-change:", out->change, sizeof out->change) &&
        header_word(p, len, "seclabel-dry-run:", dry, sizeof dry))
        out->dry_run = strcmp(dry, "true") == 0;
    return len;
}

static struct curl_slist *make_headers(const struct client *c, const char *ctype)
{
    struct curl_slist *h = NULL;
    struct buf line = BUF_INIT;
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
    h = curl_slist_append(h, "Accept: application/json");
    if (ctype) {
        buf_printf(&line, "Content-Type: %s", ctype);
        h = curl_slist_append(h, buf_cstr(&line));
    }
    if (c->token) {
        buf_reset(&line);
        buf_printf(&line, "Authorization: Bearer %s", c->token);
        h = curl_slist_append(h, buf_cstr(&line));
        memset(line.data, 0, line.len);
    }
    buf_free(&line);
    return h;
}

/* A failure worth another try: the connection failed or broke, or the server said it is busy
 * (429) or failing (5xx). */
static int transient(CURLcode rc, long status)
{
    if (rc == CURLE_OK) return status == 429 || (status >= 500 && status <= 599);
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
           rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING;
}

/* Run the transfer; GET, HEAD and PUT (idempotent: a repeat changes nothing more) are tried
 * up to CLIENT_ATTEMPTS times, waiting 0.25 s, 0.5 s, ... between tries. POST never is. */
static CURLcode perform_with_retries(CURL *h, const char *method, struct client_resp *out)
{
    int idempotent = !strcmp(method, "GET") || !strcmp(method, "HEAD") || !strcmp(method, "PUT");
    for (int attempt = 1;; attempt++) {
        long status = 0;
        buf_reset(&out->body);
        out->change[0] = '\0';
        out->dry_run = 0;
        CURLcode rc = curl_easy_perform(h);
        if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (!idempotent || attempt >= CLIENT_ATTEMPTS || !transient(rc, status)) return rc;
        struct timespec wait = {0, 250000000L << (attempt - 1)};
        if (wait.tv_nsec >= 1000000000L) wait.tv_sec = 1, wait.tv_nsec = 0;
        nanosleep(&wait, NULL);
    }
}

void client_trust(void *h)
{
    const char *file, *dir;
    tlsenv_ca(&file, &dir);
    if (file) curl_easy_setopt(h, CURLOPT_CAINFO, file);
    if (dir) curl_easy_setopt(h, CURLOPT_CAPATH, dir);
}

int client_request(struct client *c, const char *method, const char *path, const char *body,
                   size_t len, const char *ctype, struct client_resp *out)
{
    struct buf url = BUF_INIT;
    size_t sl = strlen(c->server);
    while (sl > 0 && c->server[sl - 1] == '/')
        sl--;
    buf_append(&url, c->server, sl);
    buf_puts(&url, path);
    if (!c->curl) c->curl = curl_easy_init();
    CURL *h = c->curl;
    if (h) curl_easy_reset(h); /* keeps the open connection for the next request */
    if (!h) {
        fputs("seclabel: cannot initialise libcurl\n", stderr);
        buf_free(&url);
        return CLI_FAILED;
    }
    struct curl_slist *hdrs = make_headers(c, ctype);
    char errbuf[CURL_ERROR_SIZE] = "";
    buf_init(&out->body);
    out->change[0] = '\0';
    out->dry_run = 0;
    curl_easy_setopt(h, CURLOPT_URL, buf_cstr(&url));
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "seclabel/" SECLABEL_VERSION);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    client_trust(h);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, out);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode rc = perform_with_retries(h, method, out);
    int ret = CLI_OK;
    if (rc != CURLE_OK) {
        fprintf(stderr, "seclabel: cannot reach %.*s: %s%s\n", (int)sl, c->server,
                errbuf[0] ? errbuf : curl_easy_strerror(rc),
                rc == CURLE_COULDNT_CONNECT ? " (is seclabeld running? see --server)" : "");
        buf_free(&out->body);
        ret = CLI_UNREACHABLE;
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    }
    curl_slist_free_all(hdrs);
    buf_free(&url);
    return ret;
}

int client_report_error(const struct client_resp *r)
{
    yyjson_doc *doc = cli_read_safe(r->body.data, r->body.len);
    yyjson_val *root = yyjson_doc_get_root(doc);
    const char *msg = yyjson_get_str(yyjson_obj_get(root, "message"));
    const char *code = yyjson_get_str(yyjson_obj_get(root, "error"));
    fprintf(stderr, "seclabel: %s (HTTP %ld%s%s)\n", msg ? msg : "the server refused the request",
            r->status, code ? ", " : "", code ? code : "");
    yyjson_val *d;
    size_t i, max;
    yyjson_arr_foreach(yyjson_obj_get(root, "details"), i, max, d)
    {
        const char *path = yyjson_get_str(yyjson_obj_get(d, "path"));
        const char *m = yyjson_get_str(yyjson_obj_get(d, "message"));
        const char *rule = yyjson_get_str(yyjson_obj_get(d, "rule"));
        fprintf(stderr, "  %s: %s (%s)\n", path && *path ? path : "/", m ? m : "?",
                rule ? rule : "?");
    }
    yyjson_doc_free(doc);
    return r->status == 401 || r->status == 403 ? CLI_UNAUTHORISED : CLI_FAILED;
}
