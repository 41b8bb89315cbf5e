/* Option binding: an `options:` map checked against a plugin's typed option
 * table and written into the plugin's config struct; and durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "options.h"

#define WHERE "connectors[0].options"
#define TOKEN "s3cr3t-t0ken-value"

typedef struct {
  char *url;
  char *token;
  int64_t max_results;
  int verbose;
  int64_t poll_ms;
  parley_strlist_t keywords;
} test_conf_t;

static const parley_option_t test_table[] = {
    {"url", PARLEY_OPT_STRING, PARLEY_OPT_REQUIRED, NULL, offsetof(test_conf_t, url), "API base"},
    {"token", PARLEY_OPT_SECRET, 0, NULL, offsetof(test_conf_t, token), "bearer token"},
    {"max_results", PARLEY_OPT_INT, 0, "100", offsetof(test_conf_t, max_results), "page size"},
    {"verbose", PARLEY_OPT_BOOL, 0, "false", offsetof(test_conf_t, verbose), "log payloads"},
    {"poll", PARLEY_OPT_DURATION, 0, "1m", offsetof(test_conf_t, poll_ms), "poll interval"},
    {"keywords", PARLEY_OPT_LIST, 0, NULL, offsetof(test_conf_t, keywords), "search terms"},
    {NULL, 0, 0, NULL, 0, NULL},
};

/* The options map of a one-connector YAML document: "options:" is line 4,
 * the first option line 5. */
static parley_node_t *options_of(const char *yaml_options) {
  char text[1024];
  parley_node_t *root = NULL;
  parley_error_t err = {0};
  snprintf(text, sizeof text, "connectors:\n  - name: a\n    plugin: p\n    options:\n%s",
           yaml_options);
  if (parley_config_parse_yaml(text, strlen(text), "parley.yaml", &root, &err) != 0)
    fail_msg("fixture does not parse: %s", err.message);
  parley_node_t *opts = parley_node_clone(
      parley_node_get(root->items[0]->items[0], "options"));
  parley_node_free(root);
  return opts;
}

static int bind_text(const char *yaml_options, test_conf_t **out, parley_error_t *err) {
  parley_node_t *opts = options_of(yaml_options);
  void *bound = NULL;
  int rc = parley_options_bind(test_table, sizeof(test_conf_t), opts, "parley.yaml", WHERE,
                               &bound, err);
  parley_node_free(opts);
  *out = bound;
  return rc;
}

static void assert_message_has(const parley_error_t *err, const char *part) {
  if (!strstr(err->message, part))
    fail_msg("expected '%s' in error message: %s", part, err->message);
}

static void assert_bind_fails(const char *yaml_options, int code, const char *part) {
  test_conf_t *c = NULL;
  parley_error_t err = {0};
  assert_int_equal(bind_text(yaml_options, &c, &err), code);
  assert_null(c);
  assert_message_has(&err, part);
}

/* ---- binding ---- */

static void every_type_is_written_at_its_offset(void **state) {
  test_conf_t *c = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(bind_text("      url: https://api.example\n"
                             "      token: abc\n"
                             "      max_results: 25\n"
                             "      verbose: yes\n"
                             "      poll: 1h30m\n"
                             "      keywords: [refund, \"not working\"]\n",
                             &c, &err),
                   0);
  assert_string_equal(c->url, "https://api.example");
  assert_string_equal(c->token, "abc");
  assert_int_equal(c->max_results, 25);
  assert_int_equal(c->verbose, 1);
  assert_int_equal(c->poll_ms, 90 * 60 * 1000);
  assert_int_equal(c->keywords.count, 2);
  assert_string_equal(c->keywords.items[1], "not working");
  parley_options_free(test_table, c);
}

static void defaults_apply_to_absent_options(void **state) {
  test_conf_t *c = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(bind_text("      url: https://api.example\n", &c, &err), 0);
  assert_null(c->token); /* no default: left zero */
  assert_int_equal(c->max_results, 100);
  assert_int_equal(c->verbose, 0);
  assert_int_equal(c->poll_ms, 60000);
  assert_int_equal(c->keywords.count, 0);
  parley_options_free(test_table, c);
}

static void a_single_value_for_a_list_is_a_one_item_list(void **state) {
  test_conf_t *c = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(bind_text("      url: u\n      keywords: refund\n", &c, &err), 0);
  assert_int_equal(c->keywords.count, 1);
  assert_string_equal(c->keywords.items[0], "refund");
  parley_options_free(test_table, c);
}

static void no_options_map_binds_defaults_when_nothing_is_required(void **state) {
  static const parley_option_t table[] = {
      {"poll", PARLEY_OPT_DURATION, 0, "30s", 0, "poll interval"},
      {NULL, 0, 0, NULL, 0, NULL},
  };
  void *bound = NULL;
  parley_error_t err = {0};
  int64_t poll;
  (void)state;
  assert_int_equal(parley_options_bind(table, sizeof(int64_t), NULL, "parley.yaml", WHERE, &bound,
                                       &err),
                   0);
  memcpy(&poll, bound, sizeof poll);
  assert_int_equal(poll, 30000);
  parley_options_free(table, bound);
}

/* ---- errors ---- */

static void missing_required_option_names_file_line_and_key(void **state) {
  (void)state;
  assert_bind_fails("      token: abc\n", PARLEY_ECONFIG,
                    "parley.yaml:4: connectors[0].options.url: missing required option");
}

static void required_option_left_empty_names_its_own_line(void **state) {
  (void)state;
  assert_bind_fails("      token: abc\n      url:\n", PARLEY_ECONFIG,
                    "parley.yaml:6: connectors[0].options.url: missing required option");
}

static void unknown_option_is_an_error_listing_the_known_ones(void **state) {
  (void)state;
  assert_bind_fails("      url: u\n      pol: 5m\n", PARLEY_ECONFIG,
                    "parley.yaml:6: connectors[0].options.pol: unknown option (known options: "
                    "url, token, max_results, verbose, poll, keywords)");
}

static void bad_duration_is_named_with_an_example(void **state) {
  (void)state;
  assert_bind_fails("      url: u\n      poll: 5 minutes\n", PARLEY_ECONFIG,
                    "parley.yaml:6: connectors[0].options.poll: '5 minutes' is not a duration "
                    "(use e.g. 30s, 5m, 1h)");
}

static void bad_integer_and_boolean_are_named(void **state) {
  (void)state;
  assert_bind_fails("      url: u\n      max_results: 12abc\n", PARLEY_ECONFIG,
                    "options.max_results: '12abc' is not an integer");
  assert_bind_fails("      url: u\n      max_results: 99999999999999999999\n", PARLEY_ECONFIG,
                    "is not an integer");
  assert_bind_fails("      url: u\n      verbose: maybe\n", PARLEY_ECONFIG,
                    "options.verbose: 'maybe' is not a boolean");
}

static void map_where_a_scalar_is_expected_is_an_error(void **state) {
  (void)state;
  assert_bind_fails("      url:\n        host: x\n", PARLEY_ECONFIG,
                    "parley.yaml:5: connectors[0].options.url: expected a string, got a map");
}

static void list_item_that_is_a_map_is_an_error(void **state) {
  (void)state;
  assert_bind_fails("      url: u\n      keywords:\n        - a\n        - {b: c}\n", PARLEY_ECONFIG,
                    "parley.yaml:8: connectors[0].options.keywords: item 1 is a map");
}

static void options_that_are_not_a_map_are_an_error(void **state) {
  parley_node_t *list = parley_node_new_seq();
  void *bound = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(parley_options_bind(test_table, sizeof(test_conf_t), list, "parley.yaml",
                                       WHERE, &bound, &err),
                   PARLEY_ECONFIG);
  assert_message_has(&err, "parley.yaml: connectors[0].options: expected a map of options");
  parley_node_free(list);
}

static void secret_value_never_appears_in_a_message(void **state) {
  test_conf_t *c = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(bind_text("      url: u\n      token:\n        - " TOKEN "\n", &c, &err),
                   PARLEY_ECONFIG);
  assert_null(strstr(err.message, TOKEN));
  assert_message_has(&err, "connectors[0].options.token: expected a secret, got a list");
}

static void substituted_value_is_not_quoted(void **state) {
  test_conf_t *c = NULL;
  parley_error_t err = {0};
  (void)state;
  setenv("PARLEY_TEST_POLL", TOKEN, 1);
  assert_int_equal(bind_text("      url: u\n      poll: ${PARLEY_TEST_POLL}\n", &c, &err),
                   PARLEY_ECONFIG);
  assert_null(strstr(err.message, TOKEN));
  assert_message_has(&err, "parley.yaml:6: connectors[0].options.poll: the value from ${...} "
                           "substitution is not a duration");
}

static void bad_default_in_the_table_names_the_option(void **state) {
  static const parley_option_t table[] = {
      {"poll", PARLEY_OPT_DURATION, 0, "five", 0, "poll interval"},
      {NULL, 0, 0, NULL, 0, NULL},
  };
  void *bound = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(parley_options_bind(table, sizeof(int64_t), NULL, "parley.yaml", WHERE, &bound,
                                       &err),
                   PARLEY_EINVAL);
  assert_null(bound);
  assert_message_has(&err, "connectors[0].options.poll: the option table's default is invalid");
  assert_message_has(&err, "'five' is not a duration");
}

static void offset_outside_the_struct_is_a_table_error(void **state) {
  static const parley_option_t table[] = {
      {"n", PARLEY_OPT_INT, 0, NULL, 4, "a number"},
      {NULL, 0, 0, NULL, 0, NULL},
  };
  void *bound = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(parley_options_bind(table, 8, NULL, "parley.yaml", WHERE, &bound, &err),
                   PARLEY_EINVAL);
  assert_message_has(&err, "connectors[0].options.n: option table: offset 4 does not fit");
}

static void option_declared_twice_is_a_table_error(void **state) {
  static const parley_option_t table[] = {
      {"n", PARLEY_OPT_INT, 0, NULL, 0, "a number"},
      {"n", PARLEY_OPT_INT, 0, NULL, 8, "the same"},
      {NULL, 0, 0, NULL, 0, NULL},
  };
  void *bound = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(parley_options_bind(table, 16, NULL, "parley.yaml", WHERE, &bound, &err),
                   PARLEY_EINVAL);
  assert_message_has(&err, "options.n: option table: declared twice");
}

static void boolean_accepts_the_usual_spellings(void **state) {
  const char *yes[] = {"true", "True", "yes", "on"}, *no[] = {"false", "no", "OFF"};
  parley_error_t err = {0};
  char text[128];
  test_conf_t *c = NULL;
  (void)state;
  for (size_t i = 0; i < 4; i++) {
    snprintf(text, sizeof text, "      url: u\n      verbose: %s\n", yes[i]);
    assert_int_equal(bind_text(text, &c, &err), 0);
    assert_int_equal(c->verbose, 1);
    parley_options_free(test_table, c);
  }
  for (size_t i = 0; i < 3; i++) {
    snprintf(text, sizeof text, "      url: u\n      verbose: %s\n", no[i]);
    assert_int_equal(bind_text(text, &c, &err), 0);
    assert_int_equal(c->verbose, 0);
    parley_options_free(test_table, c);
  }
}

static void type_names_are_the_documented_words(void **state) {
  (void)state;
  assert_string_equal(parley_opt_type_name(PARLEY_OPT_STRING), "string");
  assert_string_equal(parley_opt_type_name(PARLEY_OPT_INT), "integer");
  assert_string_equal(parley_opt_type_name(PARLEY_OPT_BOOL), "boolean");
  assert_string_equal(parley_opt_type_name(PARLEY_OPT_DURATION), "duration");
  assert_string_equal(parley_opt_type_name(PARLEY_OPT_LIST), "list");
  assert_string_equal(parley_opt_type_name(PARLEY_OPT_SECRET), "secret");
}

/* ---- durations ---- */

static int64_t dur(const char *s) {
  int64_t ms = -1;
  if (parley_duration_parse(s, &ms) != 0)
    fail_msg("'%s' should parse", s);
  return ms;
}

static void duration_units(void **state) {
  (void)state;
  assert_int_equal(dur("250ms"), 250);
  assert_int_equal(dur("5s"), 5000);
  assert_int_equal(dur("2m"), 120000);
  assert_int_equal(dur("1h"), 3600000);
  assert_int_equal(dur("1d"), 86400000);
}

static void duration_zero_is_zero(void **state) {
  (void)state;
  assert_int_equal(dur("0"), 0);
  assert_int_equal(dur("0s"), 0);
  assert_int_equal(dur("0ms"), 0);
}

static void duration_bare_number_counts_seconds(void **state) {
  (void)state;
  assert_int_equal(dur("90"), 90000);
}

static void duration_compounds_add_up(void **state) {
  (void)state;
  assert_int_equal(dur("1h30m"), 5400000);
  assert_int_equal(dur("1m30s"), 90000);
  assert_int_equal(dur("1s500ms"), 1500);
  assert_int_equal(dur("1d2h3m4s5ms"), 86400000 + 7200000 + 180000 + 4000 + 5);
}

static void duration_rejects_prose_and_junk(void **state) {
  const char *bad[] = {"5 minutes", "", "s", "-5s", "+5s", "1.5h", "5S", "5sec",
                       "1h 30m", " 5s", "5s ", "ms", "5m30"};
  int64_t ms = 42;
  (void)state;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (parley_duration_parse(bad[i], &ms) != PARLEY_EINVAL)
      fail_msg("'%s' should be rejected", bad[i]);
  }
  assert_int_equal(ms, 42); /* untouched on failure */
  assert_int_equal(parley_duration_parse(NULL, &ms), PARLEY_EINVAL);
}

static void duration_rejects_units_out_of_order_or_repeated(void **state) {
  int64_t ms;
  (void)state;
  assert_int_equal(parley_duration_parse("30m1h", &ms), PARLEY_EINVAL);
  assert_int_equal(parley_duration_parse("5s5s", &ms), PARLEY_EINVAL);
}

static void duration_overflow_is_rejected(void **state) {
  int64_t ms;
  (void)state;
  /* INT64_MAX ms is fine; one more is not; so are units that push past it */
  assert_int_equal(dur("9223372036854775807ms"), INT64_MAX);
  assert_int_equal(parley_duration_parse("9223372036854775808ms", &ms), PARLEY_EINVAL);
  assert_int_equal(parley_duration_parse("9223372036854775807s", &ms), PARLEY_EINVAL);
  assert_int_equal(dur("9223372036854775"), INT64_C(9223372036854775000)); /* bare seconds */
  assert_int_equal(parley_duration_parse("9223372036854776", &ms), PARLEY_EINVAL);
  assert_int_equal(parley_duration_parse("106751991168d", &ms), PARLEY_EINVAL);
  assert_int_equal(dur("106751991167d7h12m55s807ms"), INT64_MAX); /* the largest, in parts */
  assert_int_equal(parley_duration_parse("106751991167d7h12m55s808ms", &ms), PARLEY_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_type_is_written_at_its_offset),
      cmocka_unit_test(defaults_apply_to_absent_options),
      cmocka_unit_test(a_single_value_for_a_list_is_a_one_item_list),
      cmocka_unit_test(no_options_map_binds_defaults_when_nothing_is_required),
      cmocka_unit_test(missing_required_option_names_file_line_and_key),
      cmocka_unit_test(required_option_left_empty_names_its_own_line),
      cmocka_unit_test(unknown_option_is_an_error_listing_the_known_ones),
      cmocka_unit_test(bad_duration_is_named_with_an_example),
      cmocka_unit_test(bad_integer_and_boolean_are_named),
      cmocka_unit_test(map_where_a_scalar_is_expected_is_an_error),
      cmocka_unit_test(list_item_that_is_a_map_is_an_error),
      cmocka_unit_test(options_that_are_not_a_map_are_an_error),
      cmocka_unit_test(secret_value_never_appears_in_a_message),
      cmocka_unit_test(substituted_value_is_not_quoted),
      cmocka_unit_test(bad_default_in_the_table_names_the_option),
      cmocka_unit_test(offset_outside_the_struct_is_a_table_error),
      cmocka_unit_test(option_declared_twice_is_a_table_error),
      cmocka_unit_test(boolean_accepts_the_usual_spellings),
      cmocka_unit_test(type_names_are_the_documented_words),
      cmocka_unit_test(duration_units),
      cmocka_unit_test(duration_zero_is_zero),
      cmocka_unit_test(duration_bare_number_counts_seconds),
      cmocka_unit_test(duration_compounds_add_up),
      cmocka_unit_test(duration_rejects_prose_and_junk),
      cmocka_unit_test(duration_rejects_units_out_of_order_or_repeated),
      cmocka_unit_test(duration_overflow_is_rejected),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
