/* The metrics registry (core/metrics.c): Prometheus text exposition of
 * counters, gauges and histograms with their HELP and TYPE lines, label
 * escaping and the JSON form. The expected texts are written out in full:
 * they are what a Prometheus server (and promtool check metrics) reads. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"
#include "parley/error.h"

static const double bounds[] = {60, 300, 0.5e3, 86400};

static void histogram_exposition_is_cumulative_with_sum_and_count(void **state) {
  (void)state;
  parley_metrics_t *m = parley_metrics_new();
  parley_metrics_help(m, "care_seconds", "How long it took.");
  parley_histogram_t *a = parley_metrics_histogram(m, "care_seconds", "platform=\"x\"", bounds, 4);
  parley_histogram_t *b = parley_metrics_histogram(m, "care_seconds", NULL, bounds, 4);
  assert_ptr_equal(parley_metrics_histogram(m, "care_seconds", "platform=\"x\"", NULL, 0), a);
  parley_histogram_observe(a, 60);   /* on a bound: in that bucket (le) */
  parley_histogram_observe(a, 61);
  parley_histogram_observe(a, 0.25);
  parley_histogram_observe(a, 100000); /* only in +Inf */
  parley_histogram_observe(a, NAN);    /* ignored */
  parley_histogram_observe(NULL, 1);
  assert_int_equal(parley_histogram_count(a), 4);
  char *text = parley_metrics_text(m);
  assert_string_equal(text,
                      "# HELP care_seconds How long it took.\n"
                      "# TYPE care_seconds histogram\n"
                      "care_seconds_bucket{platform=\"x\",le=\"60\"} 2\n"
                      "care_seconds_bucket{platform=\"x\",le=\"300\"} 3\n"
                      "care_seconds_bucket{platform=\"x\",le=\"500\"} 3\n"
                      "care_seconds_bucket{platform=\"x\",le=\"86400\"} 3\n"
                      "care_seconds_bucket{platform=\"x\",le=\"+Inf\"} 4\n"
                      "care_seconds_sum{platform=\"x\"} 100121.25\n"
                      "care_seconds_count{platform=\"x\"} 4\n"
                      "care_seconds_bucket{le=\"60\"} 0\n"
                      "care_seconds_bucket{le=\"300\"} 0\n"
                      "care_seconds_bucket{le=\"500\"} 0\n"
                      "care_seconds_bucket{le=\"86400\"} 0\n"
                      "care_seconds_bucket{le=\"+Inf\"} 0\n"
                      "care_seconds_sum 0\n"
                      "care_seconds_count 0\n");
  free(text);
  (void)b;
  json_t *j = parley_metrics_json(m);
  assert_int_equal(json_integer_value(json_object_get(j, "care_seconds_count{platform=\"x\"}")), 4);
  assert_true(json_real_value(json_object_get(j, "care_seconds_sum{platform=\"x\"}")) == 100121.25);
  json_decref(j);
  parley_metrics_free(m);
}

static void every_family_has_help_and_type(void **state) {
  (void)state;
  parley_metrics_t *m = parley_metrics_new();
  parley_metrics_add(m, "parley_events_accepted_total", "instance=\"tw1\"", 3);
  parley_metrics_add(m, "twitter_polls_total", "instance=\"tw1\"", 1);
  *parley_metrics_gauge(m, "parley_backlog_bytes", NULL) = 0.1;
  parley_metrics_add(m, "parley_events_accepted_total", "instance=\"tw2\"", 1);
  parley_metrics_help(m, "twitter_polls_total", "Polls.\nWith a \\ newline.");
  char *text = parley_metrics_text(m);
  assert_string_equal(text,
                      "# HELP parley_events_accepted_total Events committed to the journal.\n"
                      "# TYPE parley_events_accepted_total counter\n"
                      "parley_events_accepted_total{instance=\"tw1\"} 3\n"
                      "parley_events_accepted_total{instance=\"tw2\"} 1\n"
                      "# HELP twitter_polls_total Polls.\\nWith a \\\\ newline.\n"
                      "# TYPE twitter_polls_total counter\n"
                      "twitter_polls_total{instance=\"tw1\"} 1\n"
                      "# HELP parley_backlog_bytes Bytes of the events not yet delivered by "
                      "every output.\n"
                      "# TYPE parley_backlog_bytes gauge\n"
                      "parley_backlog_bytes 0.1\n");
  free(text);
  parley_metrics_free(m);
  /* a connector metric nobody described still gets a HELP line */
  m = parley_metrics_new();
  parley_metrics_add(m, "chirp_polls_total", NULL, 2);
  text = parley_metrics_text(m);
  assert_string_equal(text, "# HELP chirp_polls_total Connector metric chirp_polls_total (see its "
                            "documentation).\n"
                            "# TYPE chirp_polls_total counter\n"
                            "chirp_polls_total 2\n");
  free(text);
  parley_metrics_free(m);
}

static void labels_are_escaped(void **state) {
  (void)state;
  char buf[64];
  assert_int_equal(parley_metrics_label(buf, sizeof buf, "agent", "a\"b\\c\nd"), 18);
  assert_string_equal(buf, "agent=\"a\\\"b\\\\c\\nd\"");
  assert_int_equal(parley_metrics_label(buf, 10, "agent", "abcdef"), PARLEY_ENOBUFS);
  assert_int_equal(parley_metrics_label(buf, sizeof buf, "agent", NULL), 8);
  assert_string_equal(buf, "agent=\"\"");
}

static void bounds_must_ascend(void **state) {
  (void)state;
  parley_metrics_t *m = parley_metrics_new();
  const double bad[] = {10, 5};
  const double inf[] = {1, INFINITY};
  assert_null(parley_metrics_histogram(m, "h_seconds", NULL, bad, 2));
  assert_null(parley_metrics_histogram(m, "h_seconds", NULL, inf, 2));
  parley_histogram_t *h = parley_metrics_histogram(m, "h_seconds", NULL, NULL, 0);
  assert_non_null(h); /* only +Inf */
  parley_histogram_observe(h, 3);
  char *text = parley_metrics_text(m);
  assert_non_null(strstr(text, "h_seconds_bucket{le=\"+Inf\"} 1\nh_seconds_sum 3\n"));
  free(text);
  parley_metrics_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(histogram_exposition_is_cumulative_with_sum_and_count),
      cmocka_unit_test(every_family_has_help_and_type),
      cmocka_unit_test(labels_are_escaped),
      cmocka_unit_test(bounds_must_ascend),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
