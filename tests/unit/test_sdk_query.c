/* libparley-sdk URL and form building: the specification. Expected
 * encodings were computed with Python's urllib.parse.quote(s, safe=''). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parley/error.h"
#include "parley/sdk/query.h"

static void utf8_text_is_percent_encoded_bytewise(void **state) {
  (void)state;
  char out[128];
  const char *s = "Gr\xc3\xbc\xc3\x9f" "e from caf\xc3\xa9";
  assert_int_equal(parley_sdk_percent_encode(s, strlen(s), out, sizeof out), 34);
  assert_string_equal(out, "Gr%C3%BC%C3%9Fe%20from%20caf%C3%A9");
  const char *emoji = "\xf0\x9f\x98\x80";
  parley_sdk_percent_encode(emoji, strlen(emoji), out, sizeof out);
  assert_string_equal(out, "%F0%9F%98%80");
}

static void unreserved_characters_stay_and_delimiters_are_escaped(void **state) {
  (void)state;
  char out[64];
  parley_sdk_percent_encode("-._~AZaz09", 10, out, sizeof out);
  assert_string_equal(out, "-._~AZaz09");
  parley_sdk_percent_encode("a+b&c=d#e/f?", 12, out, sizeof out);
  assert_string_equal(out, "a%2Bb%26c%3Dd%23e%2Ff%3F");
}

static void encoding_into_a_small_buffer_fails_cleanly(void **state) {
  (void)state;
  char out[4];
  assert_int_equal(parley_sdk_percent_encode("abc", 3, out, 3), PARLEY_ENOBUFS);
  assert_int_equal(parley_sdk_percent_encode(" ", 1, out, 3), PARLEY_ENOBUFS);
}

static void url_builder_appends_query_parameters(void **state) {
  (void)state;
  parley_sdk_query_t q;
  assert_int_equal(parley_sdk_query_init_url(&q, "https://api.x.com/2/tweets/search/recent"), 0);
  parley_sdk_query_add(&q, "query", "@acme -is:retweet lang:de");
  parley_sdk_query_add_int(&q, "max_results", 100);
  parley_sdk_query_add(&q, "since_id", NULL); /* optional, absent */
  parley_sdk_query_add(&q, "tweet.fields", "created_at,author_id");
  assert_string_equal(parley_sdk_query_str(&q),
                      "https://api.x.com/2/tweets/search/recent?query=%40acme%20-is%3Aretweet"
                      "%20lang%3Ade&max_results=100&tweet.fields=created_at%2Cauthor_id");
  parley_sdk_query_free(&q);
}

static void url_builder_continues_an_existing_query(void **state) {
  (void)state;
  parley_sdk_query_t q;
  parley_sdk_query_init_url(&q, "https://graph.facebook.com/v19.0/1/feed?limit=25");
  parley_sdk_query_add(&q, "after", "QVFI=");
  assert_string_equal(parley_sdk_query_str(&q),
                      "https://graph.facebook.com/v19.0/1/feed?limit=25&after=QVFI%3D");
  parley_sdk_query_free(&q);
}

static void tiktok_json_array_parameter_is_encoded(void **state) {
  (void)state;
  parley_sdk_query_t q;
  parley_sdk_query_init_url(&q, "/open_api/v1.3/business/video/list/");
  parley_sdk_query_add(&q, "fields", "[\"item_id\",\"create_time\"]");
  assert_string_equal(parley_sdk_query_str(&q), "/open_api/v1.3/business/video/list/?fields="
                                                "%5B%22item_id%22%2C%22create_time%22%5D");
  parley_sdk_query_free(&q);
}

static void form_body_has_no_question_mark(void **state) {
  (void)state;
  parley_sdk_query_t q;
  parley_sdk_query_init_form(&q);
  assert_string_equal(parley_sdk_query_str(&q), "");
  parley_sdk_query_add(&q, "grant_type", "refresh_token");
  parley_sdk_query_add(&q, "refresh_token", "a b+c");
  char *body = parley_sdk_query_steal(&q);
  assert_string_equal(body, "grant_type=refresh_token&refresh_token=a%20b%2Bc");
  free(body);
  parley_sdk_query_free(&q);
}

static void empty_parameter_name_is_refused(void **state) {
  (void)state;
  parley_sdk_query_t q;
  parley_sdk_query_init_form(&q);
  assert_int_equal(parley_sdk_query_add(&q, "", "x"), PARLEY_EINVAL);
  assert_int_equal(parley_sdk_query_add(&q, NULL, "x"), PARLEY_EINVAL);
  parley_sdk_query_free(&q);
}

static void decoding_reverses_encoding_and_rejects_bad_escapes(void **state) {
  (void)state;
  char out[64];
  assert_int_equal(parley_sdk_percent_decode("Gr%C3%BC%c3%9Fe+x", 17, 1, out, sizeof out), 9);
  assert_string_equal(out, "Gr\xc3\xbc\xc3\x9f" "e x");
  assert_int_equal(parley_sdk_percent_decode("a+b", 3, 0, out, sizeof out), 3);
  assert_string_equal(out, "a+b");
  assert_int_equal(parley_sdk_percent_decode("%4", 2, 0, out, sizeof out), PARLEY_EPARSE);
  assert_int_equal(parley_sdk_percent_decode("%", 1, 0, out, sizeof out), PARLEY_EPARSE);
  assert_int_equal(parley_sdk_percent_decode("%zz", 3, 0, out, sizeof out), PARLEY_EPARSE);
  assert_int_equal(parley_sdk_percent_decode("abcdef", 6, 0, out, 4), PARLEY_ENOBUFS);
}

static void a_parameter_is_read_back_from_a_paging_url(void **state) {
  (void)state;
  const char *next = "https://graph.facebook.com/v19.0/123/comments?access_token=EAAB&limit=25"
                     "&after=QVFIUk%3D%3D#frag";
  char out[64];
  assert_int_equal(parley_sdk_query_param(next, "after", out, sizeof out), 8);
  assert_string_equal(out, "QVFIUk==");
  assert_int_equal(parley_sdk_query_param(next, "limit", out, sizeof out), 2);
  assert_int_equal(parley_sdk_query_param(next, "before", out, sizeof out), PARLEY_ENOENT);
  assert_int_equal(parley_sdk_query_param(next, "lim", out, sizeof out), PARLEY_ENOENT);
  assert_int_equal(parley_sdk_query_param("https://x/y", "a", out, sizeof out), PARLEY_ENOENT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(utf8_text_is_percent_encoded_bytewise),
      cmocka_unit_test(unreserved_characters_stay_and_delimiters_are_escaped),
      cmocka_unit_test(encoding_into_a_small_buffer_fails_cleanly),
      cmocka_unit_test(url_builder_appends_query_parameters),
      cmocka_unit_test(url_builder_continues_an_existing_query),
      cmocka_unit_test(tiktok_json_array_parameter_is_encoded),
      cmocka_unit_test(form_body_has_no_question_mark),
      cmocka_unit_test(empty_parameter_name_is_refused),
      cmocka_unit_test(decoding_reverses_encoding_and_rejects_bad_escapes),
      cmocka_unit_test(a_parameter_is_read_back_from_a_paging_url),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
