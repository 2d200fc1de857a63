/* test_metrics.c: the request counters, their sum over event loops and their Prometheus text,
 * from plain data (no server, no database). */
#include "harness.h"

#include "metrics.h"
#include "router.h"

static const struct route routes[] = {
    {HTTP_M_GET, "/healthz", NULL, ""},
    {HTTP_M_PUT, "/v1/products/{}", NULL, ""},
};
#define NROUTES COUNT(routes)

static int has(const struct buf *b, const char *line)
{
    return strstr(buf_cstr((struct buf *)b), line) != NULL;
}

static void requests_by_route_and_status(void **state)
{
    (void)state;
    struct metrics m = {0};
    metrics_count(&m, 0, HTTP_M_GET, 200, 0.0002);
    metrics_count(&m, 0, HTTP_M_GET, 200, 0.0002);
    metrics_count(&m, 1, HTTP_M_PUT, 201, 0.003);
    metrics_count(&m, NROUTES, HTTP_M_GET, 404, 0.00001); /* no route matched */
    metrics_count(&m, 1, HTTP_M_PUT, 299, 0.2);           /* a status not counted by itself */
    struct buf out = BUF_INIT;
    metrics_text(&m, routes, NROUTES, &out);
    assert_true(has(&out, "# TYPE seclabel_http_requests_total counter\n"));
    assert_true(has(&out, "seclabel_http_requests_total{method=\"GET\",route=\"/healthz\","
                          "status=\"200\"} 2\n"));
    assert_true(has(&out, "{method=\"PUT\",route=\"/v1/products/{}\",status=\"201\"} 1\n"));
    assert_true(has(&out, "{method=\"PUT\",route=\"/v1/products/{}\",status=\"other\"} 1\n"));
    assert_true(has(&out, "{method=\"GET\",route=\"(none)\",status=\"404\"} 1\n"));
    assert_false(has(&out, "status=\"500\"")); /* zero counts are left out */
    /* cumulative buckets */
    assert_true(has(&out, "seclabel_http_request_duration_seconds_bucket{le=\"5e-05\"} 1\n"));
    assert_true(has(&out, "seclabel_http_request_duration_seconds_bucket{le=\"0.00025\"} 3\n"));
    assert_true(has(&out, "seclabel_http_request_duration_seconds_bucket{le=\"0.005\"} 4\n"));
    assert_true(has(&out, "seclabel_http_request_duration_seconds_bucket{le=\"0.25\"} 5\n"));
    assert_true(has(&out, "seclabel_http_request_duration_seconds_bucket{le=\"+Inf\"} 5\n"));
    assert_true(has(&out, "seclabel_http_request_duration_seconds_count 5\n"));
    assert_true(has(&out, "seclabel_http_request_duration_seconds_sum 0.203410\n"));
    buf_free(&out);
}

/* A refused method is counted under the route whose path matched, with the request's method:
 * one of http.h's names or "other", so clients cannot grow the label set. */
static void refused_methods_keep_their_route(void **state)
{
    (void)state;
    struct metrics m = {0};
    metrics_count(&m, 1, HTTP_M_POST, 405, 0.0001);
    metrics_count(&m, 1, HTTP_M_OPTIONS, 204, 0.0001);
    metrics_count(&m, 0, HTTP_M_OTHER, 405, 0.0001);
    metrics_count(&m, 0, 0, 405, 0.0001); /* not an HTTP_M_* value: counted as other */
    metrics_count(&m, 0, HTTP_M_HEAD, 200, 0.0001);
    struct buf out = BUF_INIT;
    metrics_text(&m, routes, NROUTES, &out);
    assert_true(has(&out, "{method=\"POST\",route=\"/v1/products/{}\",status=\"405\"} 1\n"));
    assert_true(has(&out, "{method=\"OPTIONS\",route=\"/v1/products/{}\",status=\"204\"} 1\n"));
    assert_true(has(&out, "{method=\"other\",route=\"/healthz\",status=\"405\"} 2\n"));
    assert_true(has(&out, "{method=\"HEAD\",route=\"/healthz\",status=\"200\"} 1\n"));
    assert_false(has(&out, "method=\"\""));
    buf_free(&out);
}

static void slow_answers_land_in_inf(void **state)
{
    (void)state;
    struct metrics m = {0};
    metrics_count(&m, 0, HTTP_M_GET, 200, 3.5);
    struct buf out = BUF_INIT;
    metrics_text(&m, routes, NROUTES, &out);
    assert_true(has(&out, "_bucket{le=\"1\"} 0\n"));
    assert_true(has(&out, "_bucket{le=\"+Inf\"} 1\n"));
    buf_free(&out);
}

static void loops_are_summed(void **state)
{
    (void)state;
    struct metrics a = {0}, b = {0}, sum = {0};
    metrics_count(&a, 0, HTTP_M_GET, 200, 0.001);
    metrics_count(&b, 0, HTTP_M_GET, 200, 0.001);
    metrics_count(&b, 1, HTTP_M_PUT, 409, 0.001);
    metrics_add(&sum, &a);
    metrics_add(&sum, &b);
    assert_int_equal(sum.latency_count, 3);
    struct buf out = BUF_INIT;
    metrics_text(&sum, routes, NROUTES, &out);
    assert_true(has(&out, "route=\"/healthz\",status=\"200\"} 2\n"));
    assert_true(has(&out, "route=\"/v1/products/{}\",status=\"409\"} 1\n"));
    buf_free(&out);
}

static void samples_and_families(void **state)
{
    (void)state;
    struct buf out = BUF_INIT;
    metrics_sample(&out, "x_total", "counter", "Things.", 18446744073709551615ull);
    metrics_family(&out, "y", "gauge", "Ys by kind.");
    assert_string_equal(buf_cstr(&out), "# HELP x_total Things.\n# TYPE x_total counter\n"
                                        "x_total 18446744073709551615\n"
                                        "# HELP y Ys by kind.\n# TYPE y gauge\n");
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(requests_by_route_and_status),
        cmocka_unit_test(refused_methods_keep_their_route),
        cmocka_unit_test(slow_answers_land_in_inf),
        cmocka_unit_test(loops_are_summed),
        cmocka_unit_test(samples_and_families),
    };
    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
