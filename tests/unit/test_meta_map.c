/* The Facebook and Instagram connectors' pure mapping: webhook changes and
 * messaging items -> event fields, Graph objects of the back-fill, Meta's
 * time formats (ISO with +0000, epoch seconds and milliseconds), stable ids
 * for payloads without one, and the DM conversation id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "facebook.h"
#include "instagram.h"
#include "parley/sdk/json.h"

#define PAGE "104000000000001"
#define IG "17841400000000001"

static int unknown_counted;

static void fake_log(parley_instance_t *inst, parley_log_level_t level, const char *fmt, ...) {
  (void)inst;
  (void)level;
  (void)fmt;
}

static void fake_counter(parley_instance_t *inst, const char *name, uint64_t n) {
  (void)inst;
  if (strstr(name, "unknown_total"))
    unknown_counted += (int)n;
}

static const parley_host_t host = {.log = fake_log, .counter_add = fake_counter};
static const char *const fb_accounts[] = {PAGE};
static const char *const ig_accounts[] = {IG};
static parley_meta_config_t fb_cfg = {.accounts = {1, fb_accounts}, .include_raw = 1};
static parley_meta_config_t ig_cfg = {.accounts = {1, ig_accounts}};
static const parley_meta_platform_t fb_plat = {.name = "facebook", .object = "page"};
static const parley_meta_platform_t ig_plat = {.name = "instagram", .object = "instagram"};

static parley_meta_t fb_meta(void) {
  return (parley_meta_t){.host = &host, .cfg = &fb_cfg, .plat = &fb_plat};
}

static parley_meta_t ig_meta(void) {
  return (parley_meta_t){.host = &host, .cfg = &ig_cfg, .plat = &ig_plat};
}

static json_t *load(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  if (!j)
    fail_msg("bad test JSON: %s", e.text);
  return j;
}

/* Map change text with fb/ig; asserts the return code. */
static parley_event_t *change(parley_meta_t *m, const char *account, const char *text,
                              int64_t entry_ms, int expect) {
  json_t *c = load(text);
  parley_meta_change_t ch = {.account = account, .entry_time_ms = entry_ms,
                             .field = json_string_value(json_object_get(c, "field")),
                             .value = json_object_get(c, "value"), .raw = c};
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  int rc = m->plat == &fb_plat ? parley_facebook_map_change(m, &ch, &ev, &err)
                               : parley_instagram_map_change(m, &ch, &ev, &err);
  assert_int_equal(rc, expect);
  json_decref(c);
  return ev;
}

static void test_fb_comment_reply_and_own_comment(void **state) {
  (void)state;
  parley_meta_t m = fb_meta();
  parley_event_t *ev = change(&m, PAGE,
      "{\"field\":\"feed\",\"value\":{\"from\":{\"id\":\"5550001\",\"name\":\"Jane Doe\"},"
      "\"post\":{\"permalink_url\":\"https://www.facebook.com/p/1\",\"id\":\"" PAGE "_444\"},"
      "\"message\":\"Do you ship to Spain?\",\"post_id\":\"" PAGE "_444\","
      "\"comment_id\":\"444_777\",\"created_time\":1704110400,\"item\":\"comment\","
      "\"parent_id\":\"" PAGE "_444\",\"verb\":\"add\"}}", 0, 0);
  assert_string_equal(parley_event_id(ev), "facebook:444_777");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_COMMENT);
  assert_int_equal(parley_event_visibility(ev), PARLEY_VISIBILITY_PUBLIC);
  assert_string_equal(parley_event_account(ev), PAGE);
  assert_string_equal(parley_event_conversation_id(ev), PAGE "_444");
  assert_string_equal(parley_event_in_reply_to(ev), "facebook:" PAGE "_444");
  assert_string_equal(parley_event_author_id(ev), "5550001");
  assert_string_equal(parley_event_author_name(ev), "Jane Doe");
  assert_string_equal(parley_event_text(ev), "Do you ship to Spain?");
  assert_string_equal(parley_event_url(ev), "https://www.facebook.com/p/1");
  assert_int_equal(parley_event_created_at(ev), 1704110400000LL); /* epoch seconds */
  assert_non_null(parley_event_raw(ev));
  parley_event_free(ev);

  ev = change(&m, PAGE,
      "{\"field\":\"feed\",\"value\":{\"from\":{\"id\":\"5550002\"},\"message\":\"me too\","
      "\"post_id\":\"" PAGE "_444\",\"comment_id\":\"444_778\",\"created_time\":1704110401,"
      "\"item\":\"comment\",\"parent_id\":\"444_777\",\"verb\":\"add\"}}", 0, 0);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_REPLY);
  assert_string_equal(parley_event_in_reply_to(ev), "facebook:444_777");
  assert_string_equal(parley_event_conversation_id(ev), PAGE "_444");
  parley_event_free(ev);

  ev = change(&m, PAGE,
      "{\"field\":\"feed\",\"value\":{\"from\":{\"id\":\"" PAGE "\"},\"message\":\"Yes!\","
      "\"post_id\":\"" PAGE "_444\",\"comment_id\":\"444_779\",\"created_time\":1704110402,"
      "\"item\":\"comment\",\"parent_id\":\"444_777\",\"verb\":\"add\"}}", 0, 0);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_OUTBOUND);
  parley_event_free(ev);
}

static void test_fb_edits_and_removals_get_ids_of_their_own(void **state) {
  (void)state;
  parley_meta_t m = fb_meta();
  const char *edit1 = "{\"field\":\"feed\",\"value\":{\"item\":\"comment\",\"verb\":\"edited\","
                      "\"post_id\":\"1_2\",\"comment_id\":\"2_3\",\"message\":\"v2\","
                      "\"created_time\":1704110400}}";
  const char *edit2 = "{\"field\":\"feed\",\"value\":{\"item\":\"comment\",\"verb\":\"edited\","
                      "\"post_id\":\"1_2\",\"comment_id\":\"2_3\",\"message\":\"v3\","
                      "\"created_time\":1704110400}}";
  parley_event_t *a = change(&m, PAGE, edit1, 0, 0), *a2 = change(&m, PAGE, edit1, 0, 0);
  parley_event_t *b = change(&m, PAGE, edit2, 0, 0);
  assert_int_equal(parley_event_kind(a), PARLEY_KIND_EDITED);
  assert_true(strncmp(parley_event_id(a), "facebook:2_3~edited~", 20) == 0);
  assert_string_equal(parley_event_id(a), parley_event_id(a2)); /* redelivery: same id */
  assert_string_not_equal(parley_event_id(a), parley_event_id(b)); /* another edit */
  assert_string_equal(parley_event_in_reply_to(a), "facebook:2_3");
  assert_string_equal(parley_event_text(b), "v3");
  parley_event_t *d = change(&m, PAGE, "{\"field\":\"feed\",\"value\":{\"item\":\"comment\","
                                       "\"verb\":\"remove\",\"post_id\":\"1_2\","
                                       "\"comment_id\":\"2_3\",\"created_time\":1704110400}}",
                             0, 0);
  assert_int_equal(parley_event_kind(d), PARLEY_KIND_DELETED);
  assert_string_equal(parley_event_id(d), "facebook:2_3~deleted");
  parley_event_free(a);
  parley_event_free(a2);
  parley_event_free(b);
  parley_event_free(d);
}

static void test_fb_posts_mentions_reactions_and_unknowns(void **state) {
  (void)state;
  parley_meta_t m = fb_meta();
  parley_event_t *ev = change(&m, PAGE,
      "{\"field\":\"feed\",\"value\":{\"item\":\"status\",\"verb\":\"add\",\"post_id\":\"1_9\","
      "\"from\":{\"id\":\"5550001\",\"name\":\"Jane\"},\"message\":\"Great service!\","
      "\"created_time\":1704110500,\"published\":1}}", 0, 0);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_MENTION); /* a visitor post */
  assert_string_equal(parley_event_conversation_id(ev), "1_9");
  parley_event_free(ev);
  ev = change(&m, PAGE,
      "{\"field\":\"mention\",\"value\":{\"post_id\":\"999_123\",\"sender_name\":\"Jane Doe\","
      "\"sender_id\":\"5550001\",\"item\":\"comment\",\"comment_id\":\"123_5\",\"verb\":\"add\","
      "\"created_time\":1704110400,\"message\":\"Loved @Acme\"}}", 0, 0);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_MENTION);
  assert_string_equal(parley_event_id(ev), "facebook:123_5");
  assert_string_equal(parley_event_conversation_id(ev), "999_123");
  assert_string_equal(parley_event_author_name(ev), "Jane Doe");
  parley_event_free(ev);
  ev = change(&m, PAGE,
      "{\"field\":\"feed\",\"value\":{\"item\":\"reaction\",\"verb\":\"add\","
      "\"reaction_type\":\"love\",\"post_id\":\"1_2\",\"parent_id\":\"2_3\","
      "\"from\":{\"id\":\"5550001\"},\"created_time\":1704110400}}", 0, 0);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_REACTION);
  assert_string_equal(parley_event_in_reply_to(ev), "facebook:2_3");
  assert_string_equal(parley_event_text(ev), "love");
  parley_event_free(ev);
  /* no mapping: the walker emits these as kind unknown */
  assert_null(change(&m, PAGE, "{\"field\":\"ratings\",\"value\":{\"x\":1}}", 0, PARLEY_ENOENT));
  assert_null(change(&m, PAGE, "{\"field\":\"feed\",\"value\":{\"item\":\"comment\","
                               "\"verb\":\"hide\",\"comment_id\":\"2_3\",\"post_id\":\"1_2\"}}",
                     0, PARLEY_ENOENT));
}

static void test_ig_comments_replies_mentions(void **state) {
  (void)state;
  parley_meta_t m = ig_meta();
  const int64_t entry = 1704110400000LL;
  parley_event_t *ev = change(&m, IG,
      "{\"field\":\"comments\",\"value\":{\"id\":\"17865799348089039\",\"text\":\"Spain?\","
      "\"from\":{\"id\":\"6789012345678901\",\"username\":\"jane_doe\"},"
      "\"media\":{\"id\":\"17918195224117851\",\"media_product_type\":\"FEED\"}}}", entry, 0);
  assert_string_equal(parley_event_id(ev), "instagram:17865799348089039");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_COMMENT);
  assert_string_equal(parley_event_conversation_id(ev), "17918195224117851");
  assert_string_equal(parley_event_author_handle(ev), "jane_doe");
  assert_int_equal(parley_event_created_at(ev), entry); /* no time in the value */
  assert_null(parley_event_raw(ev));                    /* include_raw off */
  parley_event_free(ev);
  ev = change(&m, IG,
      "{\"field\":\"comments\",\"value\":{\"id\":\"2\",\"text\":\"yes\",\"from\":{\"id\":\"" IG
      "\"},\"media\":{\"id\":\"5\"},\"parent_id\":\"1\"}}", entry, 0);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_OUTBOUND);
  assert_string_equal(parley_event_in_reply_to(ev), "instagram:1");
  parley_event_free(ev);
  ev = change(&m, IG, "{\"field\":\"comments\",\"value\":{\"id\":\"3\",\"text\":\"hm\","
                      "\"from\":{\"id\":\"77\"},\"media\":{\"id\":\"5\"},\"parent_id\":\"1\"}}",
              entry, 0);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_REPLY);
  parley_event_free(ev);
  ev = change(&m, IG, "{\"field\":\"mentions\",\"value\":{\"comment_id\":\"179\","
                      "\"media_id\":\"180\"}}", entry, 0);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_MENTION);
  assert_string_equal(parley_event_id(ev), "instagram:179");
  assert_string_equal(parley_event_conversation_id(ev), "180");
  assert_non_null(parley_event_raw(ev)); /* the ids are all there is */
  parley_event_free(ev);
  ev = change(&m, IG, "{\"field\":\"mentions\",\"value\":{\"media_id\":\"181\"}}", entry, 0);
  assert_string_equal(parley_event_id(ev), "instagram:181");
  parley_event_free(ev);
  assert_null(change(&m, IG, "{\"field\":\"story_insights\",\"value\":{}}", entry, PARLEY_ENOENT));
}

static parley_event_t *messaging(parley_meta_t *m, const char *account, const char *text) {
  json_t *item = load(text);
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  assert_int_equal(parley_meta_map_messaging(m, account, item, 1704110400123LL, &ev, &err), 0);
  json_decref(item);
  assert_non_null(ev);
  return ev;
}

static void test_messaging_items(void **state) {
  (void)state;
  parley_meta_t m = fb_meta();
  parley_event_t *ev = messaging(&m, PAGE,
      "{\"sender\":{\"id\":\"5550002\"},\"recipient\":{\"id\":\"" PAGE "\"},"
      "\"timestamp\":1704110400000,\"message\":{\"mid\":\"m_AbC\",\"text\":\"In stock?\","
      "\"attachments\":[{\"type\":\"image\",\"payload\":{\"url\":\"https://x/a.jpg\"}}]}}");
  assert_string_equal(parley_event_id(ev), "facebook:m_AbC");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_DIRECT_MESSAGE);
  assert_int_equal(parley_event_visibility(ev), PARLEY_VISIBILITY_PRIVATE);
  assert_string_equal(parley_event_conversation_id(ev), PAGE ":5550002");
  assert_int_equal(parley_event_created_at(ev), 1704110400000LL); /* epoch ms */
  assert_int_equal(parley_event_media_count(ev), 1);
  parley_event_free(ev);
  ev = messaging(&m, PAGE, "{\"sender\":{\"id\":\"" PAGE "\"},\"recipient\":{\"id\":\"5550002\"},"
                           "\"timestamp\":1704110400001,\"message\":{\"mid\":\"m_E\","
                           "\"is_echo\":true,\"text\":\"Yes\"}}");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_OUTBOUND);
  assert_string_equal(parley_event_conversation_id(ev), PAGE ":5550002");
  assert_string_equal(parley_event_author_id(ev), PAGE);
  parley_event_free(ev);
  ev = messaging(&m, PAGE, "{\"sender\":{\"id\":\"5550002\"},\"recipient\":{\"id\":\"" PAGE "\"},"
                           "\"timestamp\":1704110400002,\"message\":{\"mid\":\"m_Q\","
                           "\"text\":\"Red\",\"quick_reply\":{\"payload\":\"COLOR_RED\"}}}");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_POSTBACK);
  assert_non_null(strstr(parley_event_raw(ev), "COLOR_RED"));
  parley_event_free(ev);
  ev = messaging(&m, PAGE, "{\"sender\":{\"id\":\"5550002\"},\"recipient\":{\"id\":\"" PAGE "\"},"
                           "\"timestamp\":1704110400003,\"postback\":{\"mid\":\"m_P\","
                           "\"title\":\"Talk to us\",\"payload\":\"AGENT\"}}");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_POSTBACK);
  assert_string_equal(parley_event_text(ev), "Talk to us");
  parley_event_free(ev);
  ev = messaging(&m, PAGE, "{\"sender\":{\"id\":\"5550002\"},\"recipient\":{\"id\":\"" PAGE "\"},"
                           "\"timestamp\":1704110400004,\"message\":{\"mid\":\"m_AbC\","
                           "\"is_deleted\":true}}");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_DELETED);
  assert_string_equal(parley_event_id(ev), "facebook:m_AbC~deleted");
  assert_string_equal(parley_event_in_reply_to(ev), "facebook:m_AbC");
  parley_event_free(ev);
  ev = messaging(&m, PAGE, "{\"sender\":{\"id\":\"5550002\"},\"recipient\":{\"id\":\"" PAGE "\"},"
                           "\"timestamp\":1704110400005,\"reaction\":{\"mid\":\"m_E\","
                           "\"action\":\"react\",\"emoji\":\"\\u2764\",\"reaction\":\"love\"}}");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_REACTION);
  assert_string_equal(parley_event_in_reply_to(ev), "facebook:m_E");
  parley_event_free(ev);
  int before = unknown_counted;
  ev = messaging(&m, PAGE, "{\"sender\":{\"id\":\"5550002\"},\"recipient\":{\"id\":\"" PAGE "\"},"
                           "\"timestamp\":1704110400006,\"read\":{\"watermark\":1704110400000}}");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_UNKNOWN);
  assert_non_null(strstr(parley_event_raw(ev), "watermark"));
  assert_int_equal(unknown_counted, before + 1);
  parley_event_free(ev);
}

static void test_time_formats(void **state) {
  (void)state;
  int64_t ms = 0;
  json_t *iso = json_string("2024-01-01T12:00:00+0000");
  json_t *sec = json_integer(1704110400), *msec = json_integer(1704110400123LL);
  json_t *digits = json_string("1704110400");
  assert_int_equal(parley_meta_time(iso, &ms), 0);
  assert_int_equal(ms, 1704110400000LL);
  assert_int_equal(parley_meta_time(sec, &ms), 0);
  assert_int_equal(ms, 1704110400000LL);
  assert_int_equal(parley_meta_time(msec, &ms), 0);
  assert_int_equal(ms, 1704110400123LL);
  assert_int_equal(parley_meta_time(digits, &ms), 0);
  assert_int_equal(ms, 1704110400000LL);
  assert_int_equal(parley_meta_time(NULL, &ms), PARLEY_ENOENT);
  json_t *bad = json_string("yesterday");
  assert_int_equal(parley_meta_time(bad, &ms), PARLEY_EPARSE);
  /* found by fuzzing: past year 9999 the core refuses the event (lost),
   * so it is no time and created_at takes the fallback */
  json_t *far = json_integer(1796000000000000LL), *far_digits = json_string("1796000000000000");
  assert_int_equal(parley_meta_time(far, &ms), PARLEY_EPARSE);
  assert_int_equal(parley_meta_time(far_digits, &ms), PARLEY_EPARSE);
  json_decref(far);
  json_decref(far_digits);
  json_decref(iso);
  json_decref(sec);
  json_decref(msec);
  json_decref(digits);
  json_decref(bad);
}

static void test_conversation_ids_and_payload_ids(void **state) {
  (void)state;
  char conv[64], a[32], c[32], id1[96], id2[96], id3[96];
  parley_meta_dm_conversation(PAGE, "5550002", conv, sizeof conv);
  assert_string_equal(conv, PAGE ":5550002");
  assert_int_equal(parley_meta_dm_parse(conv, a, sizeof a, c, sizeof c), 0);
  assert_string_equal(a, PAGE);
  assert_string_equal(c, "5550002");
  assert_int_equal(parley_meta_dm_parse("nothing", a, sizeof a, c, sizeof c), PARLEY_EINVAL);
  json_t *p1 = load("{\"a\":1,\"b\":2}"), *p2 = load("{\"b\":2,\"a\":1}"), *p3 = load("{\"a\":2}");
  parley_meta_payload_id("unknown", PAGE, p1, id1, sizeof id1);
  parley_meta_payload_id("unknown", PAGE, p2, id2, sizeof id2);
  parley_meta_payload_id("unknown", PAGE, p3, id3, sizeof id3);
  assert_string_equal(id1, id2); /* key order does not matter */
  assert_string_not_equal(id1, id3);
  assert_int_equal(strlen(id1), strlen("unknown_") + 32);
  json_decref(p1);
  json_decref(p2);
  json_decref(p3);
}

static void test_backfill_objects(void **state) {
  (void)state;
  parley_meta_t m = fb_meta();
  parley_error_t err = {0};
  parley_event_t *ev = NULL;
  json_t *c = load("{\"id\":\"444_7\",\"message\":\"Yes we do!\",\"from\":{\"id\":\"" PAGE
                   "\",\"name\":\"Acme\"},\"created_time\":\"2024-01-01T12:03:00+0000\","
                   "\"parent\":{\"id\":\"444_6\"}}");
  assert_int_equal(parley_facebook_map_comment(&m, PAGE, "1_444", c, &ev, &err), 0);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_OUTBOUND);
  assert_int_equal(parley_event_created_at(ev), 1704110580000LL);
  assert_string_equal(parley_event_in_reply_to(ev), "facebook:444_6");
  parley_event_free(ev);
  json_decref(c);
  json_t *msg = load("{\"id\":\"m_1\",\"message\":\"Is it in stock?\",\"created_time\":"
                     "\"2024-01-01T12:00:00+0000\",\"from\":{\"name\":\"Jane\",\"id\":\"5550002\"},"
                     "\"to\":{\"data\":[{\"name\":\"Acme\",\"id\":\"" PAGE "\"}]}}");
  assert_int_equal(parley_meta_map_thread_message(&m, PAGE, msg, &ev, &err), 0);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_DIRECT_MESSAGE);
  assert_string_equal(parley_event_conversation_id(ev), PAGE ":5550002"); /* as by webhook */
  parley_event_free(ev);
  json_decref(msg);
  parley_meta_t im = ig_meta();
  json_t *ic = load("{\"id\":\"178\",\"text\":\"@jane yes!\",\"username\":\"acme.store\","
                    "\"timestamp\":\"2024-01-01T12:03:00+0000\",\"parent_id\":\"177\"}");
  assert_int_equal(parley_instagram_map_comment(&im, IG, "179", ic, &ev, &err), 0);
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_REPLY);
  assert_string_equal(parley_event_author_handle(ev), "acme.store");
  parley_event_free(ev);
  json_decref(ic);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fb_comment_reply_and_own_comment),
      cmocka_unit_test(test_fb_edits_and_removals_get_ids_of_their_own),
      cmocka_unit_test(test_fb_posts_mentions_reactions_and_unknowns),
      cmocka_unit_test(test_ig_comments_replies_mentions),
      cmocka_unit_test(test_messaging_items),
      cmocka_unit_test(test_time_formats),
      cmocka_unit_test(test_conversation_ids_and_payload_ids),
      cmocka_unit_test(test_backfill_objects),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
