/* The TikTok connector's pure parts: the per-video checkpoint (time plus
 * the ids of that second) and the mapping of comment list items and
 * comment.update contents to events (tiktok.md §4.1, §4.2, §5.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tiktok.h"

#define VIDEO "7109065174526479622"
#define COMMENT "7111907185164763905"
#define USER "6faa870ee45c1f68a2d98d50e09f222a04069380c1032f1919f3ffe25be1f085"

static json_t *load(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  if (!j)
    fail_msg("bad test JSON: %s", e.text);
  return j;
}

static parley_event_t *map(const char *text, parley_tiktok_map_ctx_t ctx, int want) {
  json_t *c = load(text);
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  if (!ctx.account)
    ctx.account = "acme";
  int rc = parley_tiktok_map_comment(c, &ctx, &ev, &err);
  json_decref(c);
  assert_int_equal(rc, want);
  if (rc == 0) { /* valid once the core has filled connector and received_at */
    parley_event_t *copy = parley_event_clone(ev);
    parley_error_t verr = {0};
    parley_event_set_connector(copy, "tt");
    parley_event_set_received_at(copy, parley_event_created_at(copy) + 1);
    if (parley_event_validate(copy, &verr) != 0)
      fail_msg("invalid event: %s", verr.message);
    parley_event_free(copy);
  }
  return ev;
}

/* ---- cursor ---------------------------------------------------------------------- */

static void test_a_cursor_takes_later_items_and_unseen_ones_of_its_second(void **state) {
  (void)state;
  parley_tiktok_cursor_t c;
  parley_tiktok_cursor_init(&c);
  assert_true(parley_tiktok_cursor_is_new(&c, 1000, "1")); /* empty: everything */
  assert_int_equal(parley_tiktok_cursor_take(&c, 1655870005000, "11"), 0);
  assert_int_equal(parley_tiktok_cursor_take(&c, 1655870004000, "9"), 0); /* older: ignored */
  assert_int_equal(parley_tiktok_cursor_take(&c, 1655870005000, "12"), 0);
  assert_false(parley_tiktok_cursor_is_new(&c, 1655870005000, "11"));
  assert_false(parley_tiktok_cursor_is_new(&c, 1655870005000, "12"));
  assert_true(parley_tiktok_cursor_is_new(&c, 1655870005000, "13")); /* same second, later */
  assert_false(parley_tiktok_cursor_is_new(&c, 1655870004000, "14"));
  assert_true(parley_tiktok_cursor_is_new(&c, 1655870006000, "1"));
  char *s = parley_tiktok_cursor_format(&c);
  assert_string_equal(s, "1655870005000:11,12");
  parley_tiktok_cursor_t back;
  parley_tiktok_cursor_init(&back);
  assert_int_equal(parley_tiktok_cursor_parse(&back, s), 0);
  assert_false(parley_tiktok_cursor_is_new(&back, 1655870005000, "12"));
  assert_true(parley_tiktok_cursor_is_new(&back, 1655870005000, "1")); /* not a prefix match */
  assert_int_equal(parley_tiktok_cursor_take(&back, 1655870007000, "20"), 0);
  char *s2 = parley_tiktok_cursor_format(&back);
  assert_string_equal(s2, "1655870007000:20"); /* a newer second starts over */
  free(s);
  free(s2);
  parley_tiktok_cursor_free(&c);
  parley_tiktok_cursor_free(&back);
}

static void test_a_burst_in_one_second_keeps_every_id(void **state) {
  (void)state;
  parley_tiktok_cursor_t c, back;
  parley_tiktok_cursor_init(&c);
  parley_tiktok_cursor_init(&back);
  char id[32];
  for (int i = 0; i < 500; i++) {
    snprintf(id, sizeof id, "7111907185164%06d", i);
    assert_int_equal(parley_tiktok_cursor_take(&c, 1700000000000, id), 0);
  }
  char *s = parley_tiktok_cursor_format(&c);
  assert_int_equal(parley_tiktok_cursor_parse(&back, s), 0);
  for (int i = 0; i < 500; i++) {
    snprintf(id, sizeof id, "7111907185164%06d", i);
    assert_false(parley_tiktok_cursor_is_new(&back, 1700000000000, id));
  }
  free(s);
  parley_tiktok_cursor_free(&c);
  parley_tiktok_cursor_free(&back);
}

static void test_a_malformed_checkpoint_reads_as_empty(void **state) {
  (void)state;
  parley_tiktok_cursor_t c;
  parley_tiktok_cursor_init(&c);
  const char *bad[] = {"", "abc", "-5:1", "12x:1", NULL};
  for (int i = 0; bad[i]; i++) {
    assert_int_equal(parley_tiktok_cursor_parse(&c, bad[i]), 0);
    assert_int_equal(c.ms, 0);
    assert_true(parley_tiktok_cursor_is_new(&c, 1, "1"));
  }
  assert_int_equal(parley_tiktok_cursor_parse(&c, NULL), 0);
  parley_tiktok_cursor_free(&c);
}

/* ---- mapping --------------------------------------------------------------------- */

static void test_a_listed_comment_is_a_comment_in_the_video_thread(void **state) {
  (void)state;
  parley_tiktok_map_ctx_t ctx = {.account_handle = "acme", .video_id = VIDEO,
                                 .video_url = "https://www.tiktok.com/@acme/video/" VIDEO,
                                 .level = PARLEY_TIKTOK_LEVEL_TOP, .include_raw = 1};
  parley_event_t *ev = map("{\"comment_id\":\"" COMMENT "\",\"video_id\":\"" VIDEO "\","
                           "\"user_id\":\"" USER "\",\"username\":\"klein_kunkun\","
                           "\"display_name\":\"Klein\",\"text\":\"is this waterproof?\","
                           "\"create_time\":\"1655870005\",\"replies\":2,\"owner\":false,"
                           "\"status\":\"PUBLIC\",\"parent_comment_id\":\"" VIDEO "\"}",
                           ctx, 0);
  assert_string_equal(parley_event_id(ev), "tiktok:" COMMENT);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_COMMENT);
  assert_int_equal(parley_event_visibility(ev), PARLEY_VISIBILITY_PUBLIC);
  assert_string_equal(parley_event_conversation_id(ev), "tiktok:" VIDEO);
  assert_string_equal(parley_event_in_reply_to(ev), "tiktok:" VIDEO);
  assert_string_equal(parley_event_author_id(ev), USER);
  assert_string_equal(parley_event_author_handle(ev), "klein_kunkun");
  assert_string_equal(parley_event_author_name(ev), "Klein");
  assert_int_equal(parley_event_created_at(ev), 1655870005000LL);
  assert_string_equal(parley_event_url(ev), "https://www.tiktok.com/@acme/video/" VIDEO);
  assert_non_null(strstr(parley_event_raw(ev), "\"replies\":2"));
  parley_event_free(ev);
}

static void test_a_listed_reply_answers_its_parent(void **state) {
  (void)state;
  parley_tiktok_map_ctx_t ctx = {.account_handle = "acme", .video_id = VIDEO,
                                 .parent_id = COMMENT, .level = PARLEY_TIKTOK_LEVEL_REPLY};
  /* no parent_comment_id on the item: the list it came from says whose */
  parley_event_t *ev = map("{\"comment_id\":\"7115302925501563650\",\"text\":\"me too\","
                           "\"create_time\":1656660622}", ctx, 0);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_REPLY);
  assert_string_equal(parley_event_in_reply_to(ev), "tiktok:" COMMENT);
  assert_string_equal(parley_event_conversation_id(ev), "tiktok:" VIDEO);
  assert_string_equal(parley_event_url(ev), "https://www.tiktok.com/@acme/video/" VIDEO);
  assert_int_equal(parley_event_created_at(ev), 1656660622000LL);
  parley_event_free(ev);
}

static void test_webhook_content_tells_comment_from_reply_by_its_parent(void **state) {
  (void)state;
  parley_tiktok_map_ctx_t ctx = {.level = PARLEY_TIKTOK_LEVEL_AUTO};
  parley_event_t *top = map("{\"comment_id\":\"1\",\"video_id\":\"" VIDEO "\","
                            "\"parent_comment_id\":\"" VIDEO "\",\"timestamp\":1656660622,"
                            "\"unique_identifier\":\"lotte\"}", ctx, 0);
  assert_int_equal(parley_event_kind(top), PARLEY_KIND_COMMENT);
  assert_string_equal(parley_event_author_handle(top), "lotte");
  assert_null(parley_event_url(top)); /* no handle, no share_url */
  parley_event_t *reply = map("{\"comment_id\":\"2\",\"video_id\":\"" VIDEO "\","
                              "\"parent_comment_id\":\"1\",\"create_time\":1656660623}", ctx, 0);
  assert_int_equal(parley_event_kind(reply), PARLEY_KIND_REPLY);
  assert_string_equal(parley_event_in_reply_to(reply), "tiktok:1");
  parley_event_t *typed = map("{\"comment_id\":\"3\",\"video_id\":\"" VIDEO "\","
                              "\"comment_type\":\"reply\",\"create_time\":1656660624}", ctx,
                              PARLEY_EINVAL); /* a reply without its parent cannot thread */
  assert_null(typed);
  parley_event_free(top);
  parley_event_free(reply);
}

static void test_the_business_own_comment_is_outbound(void **state) {
  (void)state;
  parley_tiktok_map_ctx_t ctx = {.level = PARLEY_TIKTOK_LEVEL_REPLY, .parent_id = COMMENT,
                                 .video_id = VIDEO};
  parley_event_t *ev = map("{\"comment_id\":\"5\",\"owner\":true,\"text\":\"IPX7\","
                           "\"create_time\":\"1656660622\"}", ctx, 0);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_OUTBOUND);
  assert_string_equal(parley_event_in_reply_to(ev), "tiktok:" COMMENT);
  parley_event_free(ev);
}

static void test_items_without_ids_or_time_are_refused_naming_the_field(void **state) {
  (void)state;
  parley_tiktok_map_ctx_t ctx = {.account = "acme", .video_id = VIDEO,
                                 .level = PARLEY_TIKTOK_LEVEL_TOP};
  struct {
    const char *json, *names;
  } cases[] = {
      {"{\"video_id\":\"" VIDEO "\",\"create_time\":1}", "comment_id"},
      {"{\"comment_id\":\"12ab\",\"create_time\":1}", "comment_id"},
      {"{\"comment_id\":\"12\"}", "create_time"},
      {"{\"comment_id\":\"12\",\"video_id\":\"v-1\",\"create_time\":1656660622}", "video_id"},
      {"[1,2]", "JSON object"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *c = load(cases[i].json);
    parley_event_t *ev = NULL;
    parley_error_t err = {0};
    assert_int_equal(parley_tiktok_map_comment(c, &ctx, &ev, &err), PARLEY_EINVAL);
    assert_null(ev);
    if (!strstr(err.message, cases[i].names))
      fail_msg("case %zu: '%s' does not name %s", i, err.message, cases[i].names);
    json_decref(c);
  }
}

static void test_ids_and_text_length_helpers(void **state) {
  (void)state;
  char buf[PARLEY_TIKTOK_ID_MAX];
  assert_int_equal(parley_tiktok_native_id("tiktok:" COMMENT, buf, sizeof buf), 0);
  assert_string_equal(buf, COMMENT);
  assert_int_equal(parley_tiktok_native_id(VIDEO, buf, sizeof buf), 0);
  assert_int_equal(parley_tiktok_native_id("twitter:1", buf, sizeof buf), PARLEY_EINVAL);
  assert_int_equal(parley_tiktok_native_id("tiktok:1/../x", buf, sizeof buf), PARLEY_EINVAL);
  assert_int_equal(parley_tiktok_native_id(NULL, buf, sizeof buf), PARLEY_EINVAL);
  assert_int_equal(parley_tiktok_chars("Yes, IPX7 💧"), 11);
  assert_int_equal(parley_tiktok_chars("Größe"), 5);
  assert_int_equal(parley_tiktok_chars(NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_cursor_takes_later_items_and_unseen_ones_of_its_second),
      cmocka_unit_test(test_a_burst_in_one_second_keeps_every_id),
      cmocka_unit_test(test_a_malformed_checkpoint_reads_as_empty),
      cmocka_unit_test(test_a_listed_comment_is_a_comment_in_the_video_thread),
      cmocka_unit_test(test_a_listed_reply_answers_its_parent),
      cmocka_unit_test(test_webhook_content_tells_comment_from_reply_by_its_parent),
      cmocka_unit_test(test_the_business_own_comment_is_outbound),
      cmocka_unit_test(test_items_without_ids_or_time_are_refused_naming_the_field),
      cmocka_unit_test(test_ids_and_text_length_helpers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
