/* Specification of the unified event (include/parley/event.h) and its JSON
 * form, schema "parley.event.v1" (docs/event-schema.md). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parley/error.h"
#include "parley/event.h"

#define T_CREATED 1795425606123LL  /* 2026-11-23T09:20:06.123Z */
#define T_RECEIVED 1795425607000LL /* 2026-11-23T09:20:07.000Z */
#define T_SLA 1795427406123LL      /* 2026-11-23T09:50:06.123Z */

/* The smallest valid event on the wire. */
#define MIN_HEAD                                                                      \
  "{\"schema\":\"parley.event.v1\",\"id\":\"twitter:1\",\"platform\":\"twitter\","   \
  "\"connector\":\"tw\",\"account\":\"acme\",\"kind\":\"mention\",\"visibility\":\"public\""
#define MIN_TIMES                                                                     \
  "\"created_at\":\"2026-11-23T09:20:06.123Z\",\"received_at\":\"2026-11-23T09:20:07.000Z\""
#define MIN_JSON MIN_HEAD "," MIN_TIMES "}"

/* Every field set; FULL_JSON is its exact encoding. */
static parley_event_t *make_full_event(void) {
  parley_event_t *ev = parley_event_new();
  assert_non_null(ev);
  assert_int_equal(parley_event_set_id(ev, "twitter:1460323737035677698"), 0);
  assert_int_equal(parley_event_set_platform(ev, "twitter"), 0);
  assert_int_equal(parley_event_set_connector(ev, "twitter-brand"), 0);
  assert_int_equal(parley_event_set_account(ev, "acmebank"), 0);
  parley_event_set_kind(ev, PARLEY_KIND_REPLY);
  parley_event_set_visibility(ev, PARLEY_VISIBILITY_PUBLIC);
  assert_int_equal(parley_event_set_conversation_id(ev, "twitter:1460323737035677000"), 0);
  assert_int_equal(parley_event_set_in_reply_to(ev, "twitter:1460323737035677001"), 0);
  assert_int_equal(parley_event_set_author_id(ev, "1234567890123456789"), 0);
  assert_int_equal(parley_event_set_author_handle(ev, "jan_de_vries"), 0);
  assert_int_equal(parley_event_set_author_name(ev, "Jan de Vries"), 0);
  parley_event_set_author_followers(ev, 1520);
  parley_event_set_author_verified(ev, 1);
  assert_int_equal(parley_event_set_text(ev, "@acmebank Mijn pas werkt niet \xF0\x9F\x98\xA1"), 0);
  assert_int_equal(parley_event_set_lang(ev, "nl"), 0);
  parley_event_set_created_at(ev, T_CREATED);
  parley_event_set_received_at(ev, T_RECEIVED);
  assert_int_equal(parley_event_set_url(ev, "https://x.com/i/status/1460323737035677698"), 0);
  assert_int_equal(parley_event_add_media(ev, "image", "https://pbs.twimg.com/media/a.jpg"), 0);
  assert_int_equal(parley_event_add_media(ev, "video", "https://video.twimg.com/b.mp4"), 0);
  parley_event_set_sentiment(ev, -0.8);
  parley_event_set_priority(ev, 4);
  assert_int_equal(parley_event_add_keyword(ev, "pas"), 0);
  assert_int_equal(parley_event_add_keyword(ev, "werkt niet"), 0);
  assert_int_equal(parley_event_set_matched_query(ev, "acmebank OR @acmebank"), 0);
  parley_event_set_sla_due(ev, T_SLA);
  const char *raw = "{ \"id_str\": \"1460323737035677698\", \"n\": 1.5, \"a\": [true, null] }";
  assert_int_equal(parley_event_set_raw(ev, raw, strlen(raw)), 0);
  return ev;
}

static const char FULL_JSON[] =
    "{\"schema\":\"parley.event.v1\",\"id\":\"twitter:1460323737035677698\","
    "\"platform\":\"twitter\",\"connector\":\"twitter-brand\",\"account\":\"acmebank\","
    "\"kind\":\"reply\",\"visibility\":\"public\","
    "\"conversation_id\":\"twitter:1460323737035677000\","
    "\"in_reply_to\":\"twitter:1460323737035677001\","
    "\"author\":{\"id\":\"1234567890123456789\",\"handle\":\"jan_de_vries\","
    "\"name\":\"Jan de Vries\",\"followers\":1520,\"verified\":true},"
    "\"text\":\"@acmebank Mijn pas werkt niet \xF0\x9F\x98\xA1\",\"lang\":\"nl\","
    "\"created_at\":\"2026-11-23T09:20:06.123Z\",\"received_at\":\"2026-11-23T09:20:07.000Z\","
    "\"url\":\"https://x.com/i/status/1460323737035677698\","
    "\"media\":[{\"type\":\"image\",\"url\":\"https://pbs.twimg.com/media/a.jpg\"},"
    "{\"type\":\"video\",\"url\":\"https://video.twimg.com/b.mp4\"}],"
    "\"signals\":{\"sentiment\":-0.8,\"priority\":4,\"keywords\":[\"pas\",\"werkt niet\"],"
    "\"matched_query\":\"acmebank OR @acmebank\",\"sla_due\":\"2026-11-23T09:50:06.123Z\"},"
    "\"raw\":{\"id_str\":\"1460323737035677698\",\"n\":1.5,\"a\":[true,null]}}";

/* The required fields only. */
static parley_event_t *make_min_event(void) {
  parley_event_t *ev = parley_event_new();
  assert_non_null(ev);
  parley_event_set_id(ev, "twitter:1");
  parley_event_set_platform(ev, "twitter");
  parley_event_set_connector(ev, "tw");
  parley_event_set_account(ev, "acme");
  parley_event_set_kind(ev, PARLEY_KIND_MENTION);
  parley_event_set_created_at(ev, T_CREATED);
  parley_event_set_received_at(ev, T_RECEIVED);
  return ev;
}

static char *encode(const parley_event_t *ev) {
  char *out = NULL;
  size_t len = 0;
  assert_int_equal(parley_event_to_json(ev, &out, &len), 0);
  assert_int_equal(len, strlen(out));
  return out;
}

static parley_event_t *decode(const char *json) {
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  if (parley_event_from_json(json, strlen(json), &ev, &err) != 0)
    fail_msg("decode failed: %s", err.message);
  return ev;
}

/* Decode json, expect code, and return the message. */
static const char *decode_error(const char *json, int code, parley_error_t *err) {
  parley_event_t *ev = (parley_event_t *)&ev; /* must be reset to NULL */
  memset(err, 0, sizeof *err);
  assert_int_equal(parley_event_from_json(json, strlen(json), &ev, err), code);
  assert_null(ev);
  assert_int_equal(err->code, code);
  return err->message;
}

/* encode(decode(json)) must give json back, byte for byte. */
static void assert_reencodes_to(const char *json) {
  parley_event_t *ev = decode(json);
  char *again = encode(ev);
  assert_string_equal(again, json);
  free(again);
  parley_event_free(ev);
}

/* ------------------------------------------------------------------ */
/* The handle                                                          */
/* ------------------------------------------------------------------ */

static void new_event_has_documented_defaults(void **state) {
  parley_event_t *ev = parley_event_new();
  assert_null(parley_event_id(ev));
  assert_null(parley_event_text(ev));
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_UNKNOWN);
  assert_int_equal(parley_event_visibility(ev), PARLEY_VISIBILITY_PUBLIC);
  assert_int_equal(parley_event_author_followers(ev), -1);
  assert_int_equal(parley_event_author_verified(ev), 0);
  assert_true(isnan(parley_event_sentiment(ev)));
  assert_int_equal(parley_event_priority(ev), -1);
  assert_true(isnan(parley_event_lang_confidence(ev)));
  assert_int_equal(parley_event_created_at(ev), 0);
  assert_int_equal(parley_event_sla_due(ev), 0);
  assert_int_equal(parley_event_media_count(ev), 0);
  assert_int_equal(parley_event_keyword_count(ev), 0);
  assert_null(parley_event_raw(ev));
  parley_event_free(ev);
}

static void setters_copy_their_strings(void **state) {
  parley_event_t *ev = parley_event_new();
  char buf[] = "hello";
  assert_int_equal(parley_event_set_text(ev, buf), 0);
  buf[0] = 'j';
  assert_string_equal(parley_event_text(ev), "hello");
  assert_ptr_not_equal(parley_event_text(ev), buf);
  parley_event_free(ev);
}

static void setting_null_clears_an_optional_field(void **state) {
  parley_event_t *ev = parley_event_new();
  parley_event_set_lang(ev, "de");
  assert_int_equal(parley_event_set_lang(ev, NULL), 0);
  assert_null(parley_event_lang(ev));
  parley_event_free(ev);
}

static void setting_an_empty_string_clears_the_field(void **state) {
  parley_event_t *ev = parley_event_new();
  parley_event_set_text(ev, "hi");
  assert_int_equal(parley_event_set_text(ev, ""), 0);
  assert_null(parley_event_text(ev));
  parley_event_free(ev);
}

static void setters_reject_invalid_utf8(void **state) {
  static const char *const bad[] = {
      "caf\xE9",             /* Latin-1, not UTF-8 */
      "\xC0\xAF",            /* overlong '/' */
      "\xED\xA0\x80",        /* UTF-16 surrogate */
      "\xF4\x90\x80\x80",    /* past U+10FFFF */
      "\xF0\x9F\x98",        /* truncated emoji */
      "\x80",                /* lone continuation byte */
  };
  parley_event_t *ev = parley_event_new();
  parley_event_set_text(ev, "kept");
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(parley_event_set_text(ev, bad[i]), PARLEY_EINVAL);
    assert_int_equal(parley_event_add_keyword(ev, bad[i]), PARLEY_EINVAL);
  }
  assert_string_equal(parley_event_text(ev), "kept");
  assert_int_equal(parley_event_keyword_count(ev), 0);
  parley_event_free(ev);
}

static void kind_names_round_trip_for_every_kind(void **state) {
  for (int k = 0; k < PARLEY_KIND_COUNT_; k++) {
    parley_kind_t back = PARLEY_KIND_COUNT_;
    const char *name = parley_kind_name((parley_kind_t)k);
    assert_non_null(name);
    assert_int_equal(parley_kind_parse(name, &back), 0);
    assert_int_equal(back, k);
  }
  assert_string_equal(parley_kind_name(PARLEY_KIND_DIRECT_MESSAGE), "direct_message");
  assert_null(parley_kind_name(PARLEY_KIND_COUNT_));
  assert_null(parley_kind_name((parley_kind_t)-1));
}

static void kind_parse_rejects_an_unknown_name(void **state) {
  parley_kind_t k = PARLEY_KIND_MENTION;
  assert_int_equal(parley_kind_parse("Mention", &k), PARLEY_EINVAL);
  assert_int_equal(parley_kind_parse("", &k), PARLEY_EINVAL);
  assert_int_equal(k, PARLEY_KIND_MENTION);
}

static void visibility_names_round_trip(void **state) {
  parley_visibility_t v;
  assert_string_equal(parley_visibility_name(PARLEY_VISIBILITY_PRIVATE), "private");
  assert_int_equal(parley_visibility_parse("public", &v), 0);
  assert_int_equal(v, PARLEY_VISIBILITY_PUBLIC);
  assert_int_equal(parley_visibility_parse("secret", &v), PARLEY_EINVAL);
  assert_null(parley_visibility_name((parley_visibility_t)2));
}

static void add_media_rejects_an_unknown_type_or_empty_url(void **state) {
  parley_event_t *ev = parley_event_new();
  assert_int_equal(parley_event_add_media(ev, "sticker", "https://a/b.png"), PARLEY_EINVAL);
  assert_int_equal(parley_event_add_media(ev, "image", ""), PARLEY_EINVAL);
  assert_int_equal(parley_event_add_media(ev, NULL, "https://a/b.png"), PARLEY_EINVAL);
  assert_int_equal(parley_event_media_count(ev), 0);
  parley_event_free(ev);
}

static void media_are_kept_in_order_and_end_with_enoent(void **state) {
  parley_event_t *ev = parley_event_new();
  const char *type, *url;
  for (int i = 0; i < 10; i++)
    assert_int_equal(parley_event_add_media(ev, i % 2 ? "gif" : "audio", "https://m/x"), 0);
  assert_int_equal(parley_event_media_count(ev), 10);
  assert_int_equal(parley_event_media(ev, 9, &type, &url), 0);
  assert_string_equal(type, "gif");
  assert_int_equal(parley_event_media(ev, 10, &type, &url), PARLEY_ENOENT);
  parley_event_free(ev);
}

static void keyword_past_the_end_is_null(void **state) {
  parley_event_t *ev = parley_event_new();
  parley_event_add_keyword(ev, "refund");
  assert_string_equal(parley_event_keyword(ev, 0), "refund");
  assert_null(parley_event_keyword(ev, 1));
  parley_event_free(ev);
}

static void set_raw_rejects_invalid_json(void **state) {
  parley_event_t *ev = parley_event_new();
  assert_int_equal(parley_event_set_raw(ev, "{\"a\":", 5), PARLEY_EPARSE);
  assert_null(parley_event_raw(ev));
  parley_event_free(ev);
}

static void set_raw_keeps_the_text_as_given(void **state) {
  parley_event_t *ev = parley_event_new();
  /* Only the first len bytes count; the text need not be NUL-terminated. */
  assert_int_equal(parley_event_set_raw(ev, "[1, 2]xyz", 6), 0);
  assert_string_equal(parley_event_raw(ev), "[1, 2]");
  parley_event_free(ev);
}

static void clone_is_a_deep_copy(void **state) {
  parley_event_t *ev = make_full_event();
  parley_event_t *c = parley_event_clone(ev);
  char *a = encode(ev);
  parley_event_free(ev); /* the clone must not share anything with it */
  char *b = encode(c);
  assert_string_equal(a, b);
  free(a);
  free(b);
  parley_event_free(c);
}

static void null_handles_are_harmless(void **state) {
  parley_event_free(NULL);
  assert_null(parley_event_clone(NULL));
  assert_null(parley_event_id(NULL));
  assert_int_equal(parley_event_set_id(NULL, "x:1"), PARLEY_EINVAL);
  assert_int_equal(parley_event_media_count(NULL), 0);
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */
/* ------------------------------------------------------------------ */

static void validate_accepts_a_complete_event(void **state) {
  parley_error_t err = {0};
  parley_event_t *ev = make_full_event();
  assert_int_equal(parley_event_validate(ev, &err), 0);
  assert_int_equal(err.code, 0);
  parley_event_free(ev);
}

static void validate_names_each_missing_required_field(void **state) {
  static const struct {
    int (*clear)(parley_event_t *, const char *);
    const char *message;
  } cases[] = {
      {parley_event_set_id, "event.id: missing required field"},
      {parley_event_set_platform, "event.platform: missing required field"},
      {parley_event_set_connector, "event.connector: missing required field"},
      {parley_event_set_account, "event.account: missing required field"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    parley_error_t err = {0};
    parley_event_t *ev = make_min_event();
    cases[i].clear(ev, NULL);
    assert_int_equal(parley_event_validate(ev, &err), PARLEY_EINVAL);
    assert_string_equal(err.message, cases[i].message);
    parley_event_free(ev);
  }
}

static void validate_requires_both_times(void **state) {
  parley_error_t err = {0};
  parley_event_t *ev = make_min_event();
  parley_event_set_received_at(ev, 0);
  assert_int_equal(parley_event_validate(ev, &err), PARLEY_EINVAL);
  assert_string_equal(err.message, "event.received_at: missing required field");
  parley_event_set_received_at(ev, T_RECEIVED);
  parley_event_set_created_at(ev, 0);
  assert_int_equal(parley_event_validate(ev, &err), PARLEY_EINVAL);
  assert_string_equal(err.message, "event.created_at: missing required field");
  parley_event_free(ev);
}

static void validate_requires_the_id_to_start_with_the_platform(void **state) {
  static const char *const bad[] = {"1460323737035677698", "instagram:1", "twitter:",
                                    "twitterx:1"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    parley_error_t err = {0};
    parley_event_t *ev = make_min_event();
    parley_event_set_id(ev, bad[i]);
    assert_int_equal(parley_event_validate(ev, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.message, "event.id: must be \"twitter:<native id>\""));
    parley_event_free(ev);
  }
}

static void validate_rejects_a_platform_unfit_for_subjects(void **state) {
  parley_error_t err = {0};
  parley_event_t *ev = make_min_event();
  parley_event_set_platform(ev, "Twit.ter");
  parley_event_set_id(ev, "Twit.ter:1");
  assert_int_equal(parley_event_validate(ev, &err), PARLEY_EINVAL);
  assert_non_null(strstr(err.message, "event.platform:"));
  parley_event_free(ev);
}

static void validate_rejects_sentiment_out_of_range(void **state) {
  parley_error_t err = {0};
  parley_event_t *ev = make_min_event();
  parley_event_set_sentiment(ev, 1.5);
  assert_int_equal(parley_event_validate(ev, &err), PARLEY_EINVAL);
  assert_string_equal(err.message, "event.signals.sentiment: must be in [-1, 1]");
  parley_event_set_sentiment(ev, INFINITY);
  assert_int_equal(parley_event_validate(ev, &err), PARLEY_EINVAL);
  parley_event_set_sentiment(ev, NAN); /* unset again */
  assert_int_equal(parley_event_validate(ev, &err), 0);
  parley_event_free(ev);
}

static void validate_rejects_priority_out_of_range(void **state) {
  parley_error_t err = {0};
  parley_event_t *ev = make_min_event();
  parley_event_set_priority(ev, 101);
  assert_int_equal(parley_event_validate(ev, &err), PARLEY_EINVAL);
  assert_non_null(strstr(err.message, "event.signals.priority:"));
  parley_event_free(ev);
}

static void validate_rejects_a_malformed_language_tag(void **state) {
  static const char *const bad[] = {"e", "english language", "de_CH", "nl-", "toolongtag"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    parley_error_t err = {0};
    parley_event_t *ev = make_min_event();
    parley_event_set_lang(ev, bad[i]);
    assert_int_equal(parley_event_validate(ev, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.message, "event.lang:"));
    parley_event_free(ev);
  }
}

static void validate_accepts_language_tags_with_subtags(void **state) {
  parley_event_t *ev = make_min_event();
  parley_event_set_lang(ev, "zh-Hant-TW");
  assert_int_equal(parley_event_validate(ev, NULL), 0);
  parley_event_free(ev);
}

/* ------------------------------------------------------------------ */
/* Encoding                                                            */
/* ------------------------------------------------------------------ */

static void to_json_writes_keys_in_schema_order(void **state) {
  parley_event_t *ev = make_full_event();
  char *json = encode(ev);
  assert_string_equal(json, FULL_JSON);
  free(json);
  parley_event_free(ev);
}

static void to_json_omits_unset_optional_fields(void **state) {
  parley_event_t *ev = make_min_event();
  char *json = encode(ev);
  assert_string_equal(json, MIN_JSON);
  free(json);
  parley_event_free(ev);
}

static void to_json_omits_verified_when_false(void **state) {
  parley_event_t *ev = make_min_event();
  parley_event_set_author_handle(ev, "anna");
  parley_event_set_author_verified(ev, 0);
  parley_event_set_author_followers(ev, 0);
  char *json = encode(ev);
  assert_non_null(strstr(json, ",\"author\":{\"handle\":\"anna\",\"followers\":0},"));
  free(json);
  parley_event_free(ev);
}

static void to_json_writes_private_visibility(void **state) {
  parley_event_t *ev = make_min_event();
  parley_event_set_kind(ev, PARLEY_KIND_DIRECT_MESSAGE);
  parley_event_set_visibility(ev, PARLEY_VISIBILITY_PRIVATE);
  char *json = encode(ev);
  assert_non_null(strstr(json, "\"kind\":\"direct_message\",\"visibility\":\"private\""));
  free(json);
  parley_event_free(ev);
}

static void to_json_embeds_raw_as_a_json_value(void **state) {
  parley_event_t *ev = make_min_event();
  const char *raw = "{\"text\":\"a \\\"quote\\\"\"}";
  parley_event_set_raw(ev, raw, strlen(raw));
  char *json = encode(ev);
  assert_non_null(strstr(json, ",\"raw\":{\"text\":\"a \\\"quote\\\"\"}}"));
  free(json);
  parley_event_free(ev);
}

static void to_json_writes_sentiment_in_short_form(void **state) {
  parley_event_t *ev = make_min_event();
  parley_event_set_sentiment(ev, 0.35);
  char *json = encode(ev);
  assert_non_null(strstr(json, "\"signals\":{\"sentiment\":0.35}"));
  free(json);
  parley_event_free(ev);
}

static void to_json_writes_priority_zero_and_lang_confidence(void **state) {
  parley_event_t *ev = make_min_event();
  parley_event_set_priority(ev, 0);
  parley_event_set_lang_confidence(ev, 0.5);
  char *json = encode(ev);
  assert_non_null(strstr(json, "\"signals\":{\"priority\":0,\"lang_confidence\":0.5}"));
  parley_event_t *back = decode(json);
  assert_int_equal(parley_event_priority(back), 0);
  assert_true(parley_event_lang_confidence(back) == 0.5);
  free(json);
  parley_event_free(back);
  parley_event_free(ev);
}

/* Repaired input is marked on the wire, before raw, and survives a round
 * trip; unset (0) it is left out. */
static void to_json_marks_repaired_input(void **state) {
  parley_event_t *ev = make_min_event();
  char *json = encode(ev);
  assert_null(strstr(json, "repaired"));
  free(json);
  parley_event_set_repaired(ev, 3);
  const char *raw = "{\"t\":1}";
  parley_event_set_raw(ev, raw, strlen(raw));
  json = encode(ev);
  assert_non_null(strstr(json, ",\"repaired\":3,\"raw\":{\"t\":1}}"));
  parley_event_t *back = decode(json);
  assert_int_equal(parley_event_repaired(back), 3);
  parley_event_t *copy = parley_event_clone(back);
  assert_int_equal(parley_event_repaired(copy), 3);
  free(json);
  parley_event_free(copy);
  parley_event_free(back);
  parley_event_free(ev);
}

static void from_json_refuses_a_bad_repaired_count(void **state) {
  (void)state;
  const char *in = "{\"schema\":\"parley.event.v1\",\"id\":\"twitter:1\",\"platform\":\"twitter\","
                   "\"connector\":\"tw\",\"account\":\"acme\",\"kind\":\"mention\","
                   "\"visibility\":\"public\",\"created_at\":\"2026-11-23T09:20:06.123Z\","
                   "\"received_at\":\"2026-11-23T09:20:07.000Z\",\"repaired\":\"yes\"}";
  parley_event_t *ev = NULL;
  parley_error_t err;
  assert_int_equal(parley_event_from_json(in, strlen(in), &ev, &err), PARLEY_EINVAL);
  assert_string_equal(err.message, "event.repaired: expected integer");
}

static void validate_rejects_lang_confidence_out_of_range(void **state) {
  parley_event_t *ev = make_min_event();
  parley_error_t err;
  parley_event_set_lang_confidence(ev, 1.5);
  assert_int_equal(parley_event_validate(ev, &err), PARLEY_EINVAL);
  assert_string_equal(err.message, "event.signals.lang_confidence: must be in [0, 1]");
  parley_event_free(ev);
}

static void to_json_refuses_an_invalid_event(void **state) {
  parley_event_t *ev = make_min_event();
  char *out = NULL;
  parley_event_set_account(ev, NULL);
  assert_int_equal(parley_event_to_json(ev, &out, NULL), PARLEY_EINVAL);
  assert_null(out);
  parley_event_free(ev);
}

/* ------------------------------------------------------------------ */
/* Round trips                                                         */
/* ------------------------------------------------------------------ */

static void round_trip_gives_identical_bytes(void **state) {
  assert_reencodes_to(FULL_JSON);
  assert_reencodes_to(MIN_JSON);
}

static void round_trip_keeps_every_field(void **state) {
  parley_event_t *ev = decode(FULL_JSON);
  const char *type, *url;
  assert_string_equal(parley_event_connector(ev), "twitter-brand");
  assert_int_equal(parley_event_kind(ev), PARLEY_KIND_REPLY);
  assert_string_equal(parley_event_author_name(ev), "Jan de Vries");
  assert_int_equal(parley_event_author_followers(ev), 1520);
  assert_int_equal(parley_event_author_verified(ev), 1);
  assert_int_equal(parley_event_created_at(ev), T_CREATED);
  assert_int_equal(parley_event_received_at(ev), T_RECEIVED);
  assert_int_equal(parley_event_sla_due(ev), T_SLA);
  assert_int_equal(parley_event_media(ev, 1, &type, &url), 0);
  assert_string_equal(type, "video");
  assert_true(parley_event_sentiment(ev) == -0.8);
  assert_int_equal(parley_event_priority(ev), 4);
  assert_string_equal(parley_event_keyword(ev, 1), "werkt niet");
  assert_string_equal(parley_event_matched_query(ev), "acmebank OR @acmebank");
  assert_string_equal(parley_event_raw(ev),
                      "{\"id_str\":\"1460323737035677698\",\"n\":1.5,\"a\":[true,null]}");
  parley_event_free(ev);
}

static void round_trip_keeps_64_bit_ids(void **state) {
  parley_event_t *ev = decode(FULL_JSON);
  assert_string_equal(parley_event_id(ev), "twitter:1460323737035677698");
  assert_string_equal(parley_event_author_id(ev), "1234567890123456789");
  char *json = encode(ev);
  assert_non_null(strstr(json, "\"id\":\"twitter:1460323737035677698\""));
  assert_non_null(strstr(json, "\"id\":\"1234567890123456789\""));
  free(json);
  parley_event_free(ev);
}

static void round_trip_keeps_utf8_text(void **state) {
  static const char *const texts[] = {
      "Gr\xC3\xBC\xC3\x9F" "e aus M\xC3\xBCnchen, die \xC3\x9C" "berweisung h\xC3\xA4ngt",
      "Co\xC3\xB6rdinatie van de be\xC3\xAB" "indiging, ge\xC3\xAF" "nteresseerd?",
      "Thanks \xF0\x9F\x99\x8F\xF0\x9F\x8F\xBD \xE2\x9D\xA4\xEF\xB8\x8F \xF0\x9F\x87\xB3\xF0\x9F\x87\xB1",
      "tab\there \"quoted\" back\\slash \x01 control",
  };
  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
    parley_event_t *ev = make_min_event();
    assert_int_equal(parley_event_set_text(ev, texts[i]), 0);
    char *json = encode(ev);
    parley_event_t *back = decode(json);
    assert_string_equal(parley_event_text(back), texts[i]);
    char *again = encode(back);
    assert_string_equal(again, json);
    free(json);
    free(again);
    parley_event_free(ev);
    parley_event_free(back);
  }
}

static void round_trip_keeps_every_kind(void **state) {
  for (int k = 0; k < PARLEY_KIND_COUNT_; k++) {
    parley_event_t *ev = make_min_event();
    parley_event_set_kind(ev, (parley_kind_t)k);
    char *json = encode(ev);
    parley_event_t *back = decode(json);
    assert_int_equal(parley_event_kind(back), k);
    free(json);
    parley_event_free(ev);
    parley_event_free(back);
  }
}

/* ------------------------------------------------------------------ */
/* Decoding bad input                                                  */
/* ------------------------------------------------------------------ */

static void from_json_reports_malformed_json_with_line_and_column(void **state) {
  parley_error_t err;
  const char *msg = decode_error("{\n  \"schema\": \"parley.event.v1\",\n  \"id\": }",
                                 PARLEY_EPARSE, &err);
  assert_non_null(strstr(msg, "event: malformed JSON at line 3, column 9"));
}

/* Bodies carry customer text and errors end up in logs: the message says
 * where, never what. */
static void a_malformed_json_error_never_quotes_the_document(void **state) {
  parley_error_t err;
  const char *msg = decode_error("{\"text\": \"mijn pakket is kapot\" oops}", PARLEY_EPARSE, &err);
  assert_non_null(strstr(msg, "event: malformed JSON at line 1, column"));
  assert_non_null(strstr(msg, "of 37)"));
  assert_null(strstr(msg, "kapot"));
  assert_null(strstr(msg, "oops"));
}

static void from_json_rejects_truncated_json(void **state) {
  parley_error_t err;
  decode_error("{\"schema\":\"parley.event.v1\",\"id\":\"twitter:1", PARLEY_EPARSE, &err);
}

static void from_json_rejects_trailing_garbage(void **state) {
  parley_error_t err;
  decode_error(MIN_JSON "x", PARLEY_EPARSE, &err);
}

static void from_json_rejects_invalid_utf8(void **state) {
  parley_error_t err;
  const char *msg =
      decode_error(MIN_HEAD ",\"text\":\"caf\xE9\"," MIN_TIMES "}", PARLEY_EPARSE, &err);
  assert_non_null(strstr(msg, "malformed JSON"));
}

static void from_json_rejects_a_nul_escape(void **state) {
  parley_error_t err;
  decode_error(MIN_HEAD ",\"text\":\"a\\u0000b\"," MIN_TIMES "}", PARLEY_EPARSE, &err);
}

static void from_json_rejects_a_non_object(void **state) {
  parley_error_t err;
  const char *msg = decode_error("[" MIN_JSON "]", PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event: expected a JSON object");
}

static void from_json_rejects_a_missing_schema(void **state) {
  parley_error_t err;
  const char *msg = decode_error("{\"id\":\"twitter:1\"}", PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.schema: missing required field");
}

static void from_json_rejects_a_wrong_schema(void **state) {
  parley_error_t err;
  const char *msg = decode_error("{\"schema\":\"parley.event.v2\"}", PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.schema: expected \"parley.event.v1\", got \"parley.event.v2\"");
}

static void from_json_names_a_missing_required_field(void **state) {
  parley_error_t err;
  const char *msg = decode_error(
      "{\"schema\":\"parley.event.v1\",\"id\":\"twitter:1\",\"platform\":\"twitter\","
      "\"account\":\"acme\",\"kind\":\"mention\",\"visibility\":\"public\"," MIN_TIMES "}",
      PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.connector: missing required field");
}

static void from_json_names_a_missing_time(void **state) {
  parley_error_t err;
  const char *msg = decode_error(
      MIN_HEAD ",\"created_at\":\"2026-11-23T09:20:06.123Z\"}", PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.received_at: missing required field");
}

static void from_json_names_a_mistyped_nested_field(void **state) {
  parley_error_t err;
  const char *msg = decode_error(
      MIN_HEAD ",\"author\":{\"handle\":\"anna\",\"followers\":\"1520\"}," MIN_TIMES "}",
      PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.author.followers: expected integer");
}

static void from_json_rejects_numeric_ids(void **state) {
  /* 64-bit ids as JSON numbers lose digits in JavaScript consumers. */
  parley_error_t err;
  const char *msg = decode_error(
      MIN_HEAD ",\"author\":{\"id\":1460323737035677698}," MIN_TIMES "}", PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.author.id: expected string");
}

static void from_json_rejects_a_mistyped_top_level_field(void **state) {
  parley_error_t err;
  const char *msg = decode_error(MIN_HEAD ",\"text\":[\"hi\"]," MIN_TIMES "}", PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.text: expected string");
}

static void from_json_rejects_a_non_boolean_verified(void **state) {
  parley_error_t err;
  const char *msg = decode_error(MIN_HEAD ",\"author\":{\"verified\":1}," MIN_TIMES "}",
                                 PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.author.verified: expected boolean");
}

static void from_json_rejects_negative_followers(void **state) {
  parley_error_t err;
  const char *msg = decode_error(MIN_HEAD ",\"author\":{\"followers\":-5}," MIN_TIMES "}",
                                 PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.author.followers: must be >= 0");
}

static void from_json_rejects_an_unknown_kind(void **state) {
  parley_error_t err;
  const char *msg = decode_error(
      "{\"schema\":\"parley.event.v1\",\"id\":\"twitter:1\",\"platform\":\"twitter\","
      "\"connector\":\"tw\",\"account\":\"acme\",\"kind\":\"retweet\",\"visibility\":\"public\","
      MIN_TIMES "}",
      PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.kind: \"retweet\" is not a known kind");
}

static void from_json_rejects_a_time_that_is_not_rfc3339(void **state) {
  parley_error_t err;
  const char *msg = decode_error(
      MIN_HEAD ",\"created_at\":\"23/11/2026 09:20\",\"received_at\":\"2026-11-23T09:20:07Z\"}",
      PARLEY_EINVAL, &err);
  assert_string_equal(msg,
                      "event.created_at: expected an RFC 3339 date-time, got \"23/11/2026 09:20\"");
}

static void from_json_rejects_a_numeric_time(void **state) {
  parley_error_t err;
  const char *msg = decode_error(
      MIN_HEAD ",\"created_at\":1795425606123,\"received_at\":\"2026-11-23T09:20:07Z\"}",
      PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.created_at: expected string");
}

static void from_json_rejects_an_unknown_media_type(void **state) {
  parley_error_t err;
  const char *msg = decode_error(
      MIN_HEAD "," MIN_TIMES ",\"media\":[{\"type\":\"image\",\"url\":\"https://a\"},"
               "{\"type\":\"sticker\",\"url\":\"https://b\"}]}",
      PARLEY_EINVAL, &err);
  assert_string_equal(msg,
                      "event.media[1].type: \"sticker\" is not one of image, video, gif, audio, file");
}

static void from_json_rejects_a_media_item_without_url(void **state) {
  parley_error_t err;
  const char *msg =
      decode_error(MIN_HEAD "," MIN_TIMES ",\"media\":[{\"type\":\"image\"}]}", PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.media[0].url: missing required field");
}

static void from_json_rejects_a_media_item_with_an_empty_url(void **state) {
  parley_error_t err;
  const char *msg = decode_error(MIN_HEAD "," MIN_TIMES ",\"media\":[{\"type\":\"gif\",\"url\":\"\"}]}",
                                 PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.media[0].url: must not be empty");
}

static void from_json_rejects_an_empty_required_string(void **state) {
  parley_error_t err;
  const char *msg = decode_error(
      "{\"schema\":\"parley.event.v1\",\"id\":\"twitter:1\",\"platform\":\"twitter\","
      "\"connector\":\"\",\"account\":\"acme\",\"kind\":\"mention\",\"visibility\":\"public\","
      MIN_TIMES "}",
      PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.connector: must not be empty");
}

static void from_json_rejects_media_that_is_not_an_array(void **state) {
  parley_error_t err;
  const char *msg = decode_error(
      MIN_HEAD "," MIN_TIMES ",\"media\":{\"type\":\"image\",\"url\":\"https://a\"}}",
      PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.media: expected array");
}

static void from_json_rejects_a_priority_out_of_range(void **state) {
  parley_error_t err;
  const char *msg = decode_error(MIN_HEAD "," MIN_TIMES ",\"signals\":{\"priority\":101}}",
                                 PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.signals.priority: must be 0 (lowest) to 100 (most urgent)");
}

static void from_json_rejects_a_sentiment_out_of_range(void **state) {
  parley_error_t err;
  const char *msg = decode_error(MIN_HEAD "," MIN_TIMES ",\"signals\":{\"sentiment\":-1.01}}",
                                 PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.signals.sentiment: must be in [-1, 1]");
}

static void from_json_names_a_mistyped_keyword(void **state) {
  parley_error_t err;
  const char *msg = decode_error(
      MIN_HEAD "," MIN_TIMES ",\"signals\":{\"keywords\":[\"refund\",7]}}", PARLEY_EINVAL, &err);
  assert_string_equal(msg, "event.signals.keywords[1]: expected string");
}

static void from_json_rejects_an_id_without_the_platform_prefix(void **state) {
  parley_error_t err;
  const char *msg = decode_error(
      "{\"schema\":\"parley.event.v1\",\"id\":\"1460323737035677698\",\"platform\":\"twitter\","
      "\"connector\":\"tw\",\"account\":\"acme\",\"kind\":\"mention\",\"visibility\":\"public\","
      MIN_TIMES "}",
      PARLEY_EINVAL, &err);
  assert_non_null(strstr(msg, "event.id: must be \"twitter:<native id>\""));
}

static void from_json_rejects_duplicate_keys(void **state) {
  parley_error_t err;
  decode_error(MIN_HEAD ",\"text\":\"a\",\"text\":\"b\"," MIN_TIMES "}", PARLEY_EPARSE, &err);
}

static void from_json_rejects_oversized_input_before_parsing(void **state) {
  size_t len = (size_t)16 * 1024 * 1024 + 1;
  char *big = malloc(len);
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  assert_non_null(big);
  memset(big, ' ', len);
  assert_int_equal(parley_event_from_json(big, len, &ev, &err), PARLEY_ETOOBIG);
  assert_non_null(strstr(err.message, "more than the limit"));
  assert_null(ev);
  free(big);
}

static void from_json_reports_errors_without_an_error_struct(void **state) {
  parley_event_t *ev = NULL;
  assert_int_equal(parley_event_from_json("{", 1, &ev, NULL), PARLEY_EPARSE);
  assert_int_equal(parley_event_from_json("{}", 2, &ev, NULL), PARLEY_EINVAL);
  assert_null(ev);
}

static void from_json_fails_cleanly_on_every_truncation(void **state) {
  /* Every proper prefix of a valid event is refused with a message, never a
   * crash or a leak (the sanitizer build checks the latter). */
  for (size_t len = 0; len < sizeof FULL_JSON - 1; len++) {
    parley_event_t *ev = NULL;
    parley_error_t err = {0};
    assert_int_not_equal(parley_event_from_json(FULL_JSON, len, &ev, &err), 0);
    assert_null(ev);
    assert_true(err.message[0] != '\0');
  }
}

static void from_json_never_crashes_on_corrupted_bytes(void **state) {
  /* Each byte replaced in turn by characters that break JSON structure or
   * UTF-8; whatever the outcome, a success yields an event that encodes. */
  static const char subst[] = {'"', '\\', '{', ']', ',', ':', '\x80', '\xff', '0', ' '};
  char buf[sizeof FULL_JSON];
  for (size_t i = 0; i < sizeof FULL_JSON - 1; i++) {
    for (size_t k = 0; k < sizeof subst; k++) {
      parley_event_t *ev = NULL;
      parley_error_t err = {0};
      memcpy(buf, FULL_JSON, sizeof FULL_JSON);
      buf[i] = subst[k];
      if (parley_event_from_json(buf, sizeof FULL_JSON - 1, &ev, &err) == 0) {
        char *json = NULL;
        assert_int_equal(parley_event_to_json(ev, &json, NULL), 0);
        free(json);
        parley_event_free(ev);
      } else {
        assert_null(ev);
        assert_true(err.message[0] != '\0');
      }
    }
  }
}

/* ------------------------------------------------------------------ */
/* Decoding good input                                                 */
/* ------------------------------------------------------------------ */

static void from_json_ignores_unknown_keys(void **state) {
  parley_event_t *ev = decode(MIN_HEAD ",\"added_in_v1_1\":{\"x\":[1,2]},"
                                       "\"author\":{\"handle\":\"anna\",\"pronouns\":\"she\"},"
                                       MIN_TIMES "}");
  assert_string_equal(parley_event_author_handle(ev), "anna");
  char *json = encode(ev);
  assert_null(strstr(json, "added_in_v1_1"));
  assert_null(strstr(json, "pronouns"));
  free(json);
  parley_event_free(ev);
}

static void from_json_normalises_times_to_utc_milliseconds(void **state) {
  parley_event_t *ev = decode(MIN_HEAD ",\"created_at\":\"2026-11-23T10:20:06.123+01:00\","
                                       "\"received_at\":\"2026-11-23T09:20:07+0000\"}");
  assert_int_equal(parley_event_created_at(ev), T_CREATED);
  char *json = encode(ev);
  assert_string_equal(json, MIN_JSON);
  free(json);
  parley_event_free(ev);
}

static void from_json_accepts_an_integer_sentiment(void **state) {
  parley_event_t *ev = decode(MIN_HEAD "," MIN_TIMES ",\"signals\":{\"sentiment\":-1}}");
  assert_true(parley_event_sentiment(ev) == -1.0);
  parley_event_free(ev);
}

static void from_json_accepts_any_json_value_as_raw(void **state) {
  parley_event_t *ev = decode(MIN_HEAD "," MIN_TIMES ",\"raw\":\"<xml/>\"}");
  assert_string_equal(parley_event_raw(ev), "\"<xml/>\"");
  parley_event_free(ev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(new_event_has_documented_defaults),
      cmocka_unit_test(setters_copy_their_strings),
      cmocka_unit_test(setting_null_clears_an_optional_field),
      cmocka_unit_test(setting_an_empty_string_clears_the_field),
      cmocka_unit_test(setters_reject_invalid_utf8),
      cmocka_unit_test(kind_names_round_trip_for_every_kind),
      cmocka_unit_test(kind_parse_rejects_an_unknown_name),
      cmocka_unit_test(visibility_names_round_trip),
      cmocka_unit_test(add_media_rejects_an_unknown_type_or_empty_url),
      cmocka_unit_test(media_are_kept_in_order_and_end_with_enoent),
      cmocka_unit_test(keyword_past_the_end_is_null),
      cmocka_unit_test(set_raw_rejects_invalid_json),
      cmocka_unit_test(set_raw_keeps_the_text_as_given),
      cmocka_unit_test(clone_is_a_deep_copy),
      cmocka_unit_test(null_handles_are_harmless),
      cmocka_unit_test(validate_accepts_a_complete_event),
      cmocka_unit_test(validate_names_each_missing_required_field),
      cmocka_unit_test(validate_requires_both_times),
      cmocka_unit_test(validate_requires_the_id_to_start_with_the_platform),
      cmocka_unit_test(validate_rejects_a_platform_unfit_for_subjects),
      cmocka_unit_test(validate_rejects_sentiment_out_of_range),
      cmocka_unit_test(validate_rejects_priority_out_of_range),
      cmocka_unit_test(validate_rejects_lang_confidence_out_of_range),
      cmocka_unit_test(to_json_writes_priority_zero_and_lang_confidence),
      cmocka_unit_test(to_json_marks_repaired_input),
      cmocka_unit_test(from_json_refuses_a_bad_repaired_count),
      cmocka_unit_test(validate_rejects_a_malformed_language_tag),
      cmocka_unit_test(validate_accepts_language_tags_with_subtags),
      cmocka_unit_test(to_json_writes_keys_in_schema_order),
      cmocka_unit_test(to_json_omits_unset_optional_fields),
      cmocka_unit_test(to_json_omits_verified_when_false),
      cmocka_unit_test(to_json_writes_private_visibility),
      cmocka_unit_test(to_json_embeds_raw_as_a_json_value),
      cmocka_unit_test(to_json_writes_sentiment_in_short_form),
      cmocka_unit_test(to_json_refuses_an_invalid_event),
      cmocka_unit_test(round_trip_gives_identical_bytes),
      cmocka_unit_test(round_trip_keeps_every_field),
      cmocka_unit_test(round_trip_keeps_64_bit_ids),
      cmocka_unit_test(round_trip_keeps_utf8_text),
      cmocka_unit_test(round_trip_keeps_every_kind),
      cmocka_unit_test(from_json_reports_malformed_json_with_line_and_column),
      cmocka_unit_test(a_malformed_json_error_never_quotes_the_document),
      cmocka_unit_test(from_json_rejects_truncated_json),
      cmocka_unit_test(from_json_rejects_trailing_garbage),
      cmocka_unit_test(from_json_rejects_invalid_utf8),
      cmocka_unit_test(from_json_rejects_a_nul_escape),
      cmocka_unit_test(from_json_rejects_a_non_object),
      cmocka_unit_test(from_json_rejects_a_missing_schema),
      cmocka_unit_test(from_json_rejects_a_wrong_schema),
      cmocka_unit_test(from_json_names_a_missing_required_field),
      cmocka_unit_test(from_json_names_a_missing_time),
      cmocka_unit_test(from_json_names_a_mistyped_nested_field),
      cmocka_unit_test(from_json_rejects_numeric_ids),
      cmocka_unit_test(from_json_rejects_a_mistyped_top_level_field),
      cmocka_unit_test(from_json_rejects_a_non_boolean_verified),
      cmocka_unit_test(from_json_rejects_negative_followers),
      cmocka_unit_test(from_json_rejects_an_unknown_kind),
      cmocka_unit_test(from_json_rejects_a_time_that_is_not_rfc3339),
      cmocka_unit_test(from_json_rejects_a_numeric_time),
      cmocka_unit_test(from_json_rejects_an_unknown_media_type),
      cmocka_unit_test(from_json_rejects_a_media_item_without_url),
      cmocka_unit_test(from_json_rejects_a_media_item_with_an_empty_url),
      cmocka_unit_test(from_json_rejects_an_empty_required_string),
      cmocka_unit_test(from_json_rejects_media_that_is_not_an_array),
      cmocka_unit_test(from_json_rejects_a_priority_out_of_range),
      cmocka_unit_test(from_json_rejects_a_sentiment_out_of_range),
      cmocka_unit_test(from_json_names_a_mistyped_keyword),
      cmocka_unit_test(from_json_rejects_an_id_without_the_platform_prefix),
      cmocka_unit_test(from_json_rejects_duplicate_keys),
      cmocka_unit_test(from_json_rejects_oversized_input_before_parsing),
      cmocka_unit_test(from_json_reports_errors_without_an_error_struct),
      cmocka_unit_test(from_json_fails_cleanly_on_every_truncation),
      cmocka_unit_test(from_json_never_crashes_on_corrupted_bytes),
      cmocka_unit_test(from_json_ignores_unknown_keys),
      cmocka_unit_test(from_json_normalises_times_to_utc_milliseconds),
      cmocka_unit_test(from_json_accepts_an_integer_sentiment),
      cmocka_unit_test(from_json_accepts_any_json_value_as_raw),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
