/* libparley-sdk safe JSON access: the specification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parley/sdk/json.h"

static const char doc_text[] =
    "{\"data\":[{\"id\":\"1790000000000000042\",\"author_id\":\"99887766\","
    "\"public_metrics\":{\"like_count\":1}},{\"id\":\"1790000000000000041\"}],"
    "\"meta\":{\"result_count\":2,\"next_token\":\"7140dib\"},"
    "\"v1\":{\"id\":1790000000000000042,\"id_str\":\"1790000000000000042\"},"
    "\"flags\":{\"t\":true,\"f\":false,\"one\":1,\"s\":\"true\",\"x\":\"maybe\"},"
    "\"nums\":{\"real\":12.0,\"frac\":1.5,\"huge_real\":1e300,\"neg\":\"-42\","
    "\"over\":\"9223372036854775808\",\"max\":\"9223372036854775807\",\"junk\":\"12a\"},"
    "\"content\":\"{\\\"comment_id\\\":\\\"7109065174526479622\\\"}\","
    "\"null\":null}";

static json_t *doc;

static int setup(void **state) {
  (void)state;
  doc = json_loads(doc_text, 0, NULL);
  return doc ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  json_decref(doc);
  return 0;
}

static void dotted_paths_reach_object_keys_and_array_items(void **state) {
  (void)state;
  assert_string_equal(parley_sdk_json_str(doc, "data.0.id", NULL), "1790000000000000042");
  assert_string_equal(parley_sdk_json_str(doc, "data.1.id", NULL), "1790000000000000041");
  assert_int_equal(parley_sdk_json_int(doc, "data.0.public_metrics.like_count", -1), 1);
  assert_ptr_equal(parley_sdk_json_get(doc, ""), doc);
}

static void missing_or_mistyped_steps_give_the_default(void **state) {
  (void)state;
  assert_string_equal(parley_sdk_json_str(doc, "data.2.id", "none"), "none");
  assert_string_equal(parley_sdk_json_str(doc, "data.x.id", "none"), "none");
  assert_string_equal(parley_sdk_json_str(doc, "meta.result_count", "none"), "none");
  assert_string_equal(parley_sdk_json_str(doc, "meta.next_token.deeper", "none"), "none");
  assert_string_equal(parley_sdk_json_str(doc, "data..id", "none"), "none");
  assert_string_equal(parley_sdk_json_str(doc, "data.00.id", "none"), "none");
  assert_string_equal(parley_sdk_json_str(doc, "null", "none"), "none");
  assert_string_equal(parley_sdk_json_str(NULL, "a", "none"), "none");
  assert_int_equal(parley_sdk_json_int(doc, "meta.next_token", -7), -7);
}

static void int64_reads_numeric_strings_exactly(void **state) {
  (void)state;
  assert_int_equal(parley_sdk_json_int(doc, "data.0.id", -1), 1790000000000000042LL);
  assert_int_equal(parley_sdk_json_int(doc, "v1.id", -1), 1790000000000000042LL);
  assert_int_equal(parley_sdk_json_int(doc, "nums.neg", 0), -42);
  assert_int_equal(parley_sdk_json_int(doc, "nums.max", 0), INT64_MAX);
}

static void int64_refuses_overflow_fractions_and_junk(void **state) {
  (void)state;
  assert_int_equal(parley_sdk_json_int(doc, "nums.over", -1), -1);
  assert_int_equal(parley_sdk_json_int(doc, "nums.frac", -1), -1);
  assert_int_equal(parley_sdk_json_int(doc, "nums.huge_real", -1), -1);
  assert_int_equal(parley_sdk_json_int(doc, "nums.junk", -1), -1);
  assert_int_equal(parley_sdk_json_int(doc, "nums.real", -1), 12);
}

static void bool_accepts_booleans_integers_and_their_strings(void **state) {
  (void)state;
  assert_int_equal(parley_sdk_json_bool(doc, "flags.t", 0), 1);
  assert_int_equal(parley_sdk_json_bool(doc, "flags.f", 1), 0);
  assert_int_equal(parley_sdk_json_bool(doc, "flags.one", 0), 1);
  assert_int_equal(parley_sdk_json_bool(doc, "flags.s", 0), 1);
  assert_int_equal(parley_sdk_json_bool(doc, "flags.x", -1), -1);
  assert_int_equal(parley_sdk_json_bool(doc, "flags.missing", -1), -1);
}

static void id_reads_strings_and_integers_as_text(void **state) {
  (void)state;
  char buf[32];
  assert_int_equal(parley_sdk_json_id(doc, "v1.id", buf, sizeof buf), 19);
  assert_string_equal(buf, "1790000000000000042");
  assert_int_equal(parley_sdk_json_id(doc, "v1.id_str", buf, sizeof buf), 19);
  assert_int_equal(parley_sdk_json_id(doc, "flags.t", buf, sizeof buf), PARLEY_ENOENT);
  assert_int_equal(parley_sdk_json_id(doc, "v1.id", buf, 10), PARLEY_ENOBUFS);
}

static void array_returns_items_and_count(void **state) {
  (void)state;
  size_t n = 99;
  json_t *a = parley_sdk_json_array(doc, "data", &n);
  assert_non_null(a);
  assert_int_equal(n, 2);
  assert_null(parley_sdk_json_array(doc, "meta", &n));
  assert_int_equal(n, 0);
  assert_null(parley_sdk_json_array(doc, "absent", &n));
}

static void parse_reports_line_and_column_of_malformed_json(void **state) {
  (void)state;
  parley_error_t err = {0};
  assert_null(parley_sdk_json_parse("{\"a\":\n  [1,2", 12, "response of GET /x", &err));
  assert_int_equal(err.code, PARLEY_EPARSE);
  assert_non_null(strstr(err.message, "response of GET /x: malformed JSON at line 2"));
  assert_null(parley_sdk_json_parse("", 0, "body", &err));
  assert_null(parley_sdk_json_parse("{\"id\":123456789012345678901234}", 31, "body", &err));
  json_t *ok = parley_sdk_json_parse("[1]", 3, "body", &err);
  assert_non_null(ok);
  json_decref(ok);
}

static void embedded_json_strings_are_parsed(void **state) {
  (void)state;
  json_t *content = parley_sdk_json_embedded(doc, "content", NULL);
  assert_non_null(content);
  assert_string_equal(parley_sdk_json_str(content, "comment_id", ""), "7109065174526479622");
  json_decref(content);
  parley_error_t err = {0};
  assert_null(parley_sdk_json_embedded(doc, "meta.next_token", &err));
  assert_int_equal(err.code, PARLEY_EPARSE);
}

static void embedded_json_is_repaired_like_a_delivery(void **state) {
  (void)state;
  /* "\\u0000" in the outer string is "\u0000" in the inner dument */
  json_t *d = json_pack("{s:s}", "content", "{\"text\":\"a \\u0000 b\"}");
  parley_error_t err = {0};
  size_t n = 9;
  assert_null(parley_sdk_json_embedded(d, "content", &err));
  json_t *c = parley_sdk_json_embedded_repair(d, "content", &n, &err);
  assert_non_null(c);
  assert_int_equal(n, 1);
  assert_string_equal(parley_sdk_json_str(c, "text", ""), "a \xEF\xBF\xBD b");
  json_decref(c);
  assert_null(parley_sdk_json_embedded_repair(d, "missing", &n, &err));
  assert_int_equal(n, 0);
  json_decref(d);
}

static void repaired(const char *in, size_t len, const char *want, size_t count) {
  char *out = NULL;
  size_t n = 0, c = 99;
  assert_int_equal(parley_sdk_json_repair(in, len, &out, &n, &c), 0);
  assert_string_equal(out, want);
  assert_int_equal(n, strlen(want));
  assert_int_equal(c, count);
  free(out);
}

#define REPAIRED(lit, want, count) repaired(lit, sizeof lit - 1, want, count)

static void repair_replaces_bad_characters_and_nothing_else(void **state) {
  (void)state;
  REPAIRED("{\"t\":\"ok \xC3\xA9 \xF0\x9F\x98\x80\"}", "{\"t\":\"ok \xC3\xA9 \xF0\x9F\x98\x80\"}", 0);
  REPAIRED("{\"t\":\"a\xFF" "b\"}", "{\"t\":\"a\xEF\xBF\xBD" "b\"}", 1);       /* invalid byte */
  REPAIRED("{\"t\":\"\xC0\xAF\"}", "{\"t\":\"\xEF\xBF\xBD\xEF\xBF\xBD\"}", 2); /* overlong */
  REPAIRED("{\"t\":\"\xED\xA0\x80\"}", "{\"t\":\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"}", 3);
  REPAIRED("{\"t\":\"a\0b\"}", "{\"t\":\"a\\uFFFDb\"}", 1);                /* raw NUL */
  REPAIRED("{\"t\":\"a\tb\"}", "{\"t\":\"a\\u0009b\"}", 1);                /* raw tab */
  REPAIRED("{\"t\":\"\\u0000\"}", "{\"t\":\"\\uFFFD\"}", 1);
  REPAIRED("{\"t\":\"\\ud800x\"}", "{\"t\":\"\\uFFFDx\"}", 1);              /* lone high */
  REPAIRED("{\"t\":\"\\udc00\"}", "{\"t\":\"\\uFFFD\"}", 1);                /* lone low */
  REPAIRED("{\"t\":\"\\ud83d\\ude00 \\\" \\n\"}",
           "{\"t\":\"\\ud83d\\ude00 \\\" \\n\"}", 0);                           /* a pair, escapes */
}

static void parse_repair_keeps_every_message_of_a_delivery(void **state) {
  (void)state;
  const char delivery[] = "[{\"m\":\"bad \xFF byte\"},{\"m\":\"nul \0 here\"},"
                     "{\"m\":\"\\ud800 lone\"},{\"m\":\"fine\"}]";
  parley_error_t err = {0};
  size_t n = 0;
  json_t *j = parley_sdk_json_parse_repair(delivery, sizeof delivery - 1, "delivery", &n, &err);
  assert_non_null(j);
  assert_int_equal(n, 3);
  assert_int_equal(json_array_size(j), 4);
  assert_string_equal(parley_sdk_json_str(j, "0.m", ""), "bad \xEF\xBF\xBD byte");
  assert_string_equal(parley_sdk_json_str(j, "1.m", ""), "nul \xEF\xBF\xBD here");
  assert_string_equal(parley_sdk_json_str(j, "2.m", ""), "\xEF\xBF\xBD lone");
  assert_string_equal(parley_sdk_json_str(j, "3.m", ""), "fine");
  json_decref(j);
  /* valid text parses as it is; broken structure stays refused */
  j = parley_sdk_json_parse_repair("[1]", 3, "delivery", &n, &err);
  assert_non_null(j);
  assert_int_equal(n, 0);
  json_decref(j);
  assert_null(parley_sdk_json_parse_repair("[\"\xFF\"", 4, "delivery", &n, &err));
  assert_int_equal(err.code, PARLEY_EPARSE);
  assert_int_equal(n, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(dotted_paths_reach_object_keys_and_array_items),
      cmocka_unit_test(missing_or_mistyped_steps_give_the_default),
      cmocka_unit_test(int64_reads_numeric_strings_exactly),
      cmocka_unit_test(int64_refuses_overflow_fractions_and_junk),
      cmocka_unit_test(bool_accepts_booleans_integers_and_their_strings),
      cmocka_unit_test(id_reads_strings_and_integers_as_text),
      cmocka_unit_test(array_returns_items_and_count),
      cmocka_unit_test(parse_reports_line_and_column_of_malformed_json),
      cmocka_unit_test(repair_replaces_bad_characters_and_nothing_else),
      cmocka_unit_test(parse_repair_keeps_every_message_of_a_delivery),
      cmocka_unit_test(embedded_json_strings_are_parsed),
      cmocka_unit_test(embedded_json_is_repaired_like_a_delivery),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
