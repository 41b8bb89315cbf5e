/* Specification of actions (include/parley/action.h), their JSON form
 * "parley.action.v1" and the result encoding "parley.action_result.v1". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parley/action.h"
#include "parley/error.h"

static parley_action_t *make_reply(void) {
  parley_action_t *a = parley_action_new();
  assert_non_null(a);
  assert_int_equal(parley_action_set_idempotency_key(a, "5f0c2b9e-reply-1"), 0);
  parley_action_set_type(a, PARLEY_ACTION_REPLY_PUBLIC);
  assert_int_equal(parley_action_set_platform(a, "twitter"), 0);
  assert_int_equal(parley_action_set_account(a, "acmebank"), 0);
  assert_int_equal(parley_action_set_target(a, "twitter:1460323737035677698"), 0);
  assert_int_equal(parley_action_set_text(a, "Sorry to hear that! We've sent you a DM \xF0\x9F\x99\x8F"), 0);
  return a;
}

static const char REPLY_JSON[] =
    "{\"schema\":\"parley.action.v1\",\"idempotency_key\":\"5f0c2b9e-reply-1\","
    "\"type\":\"reply_public\",\"platform\":\"twitter\",\"account\":\"acmebank\","
    "\"target\":\"twitter:1460323737035677698\","
    "\"text\":\"Sorry to hear that! We've sent you a DM \xF0\x9F\x99\x8F\"}";

static char *encode(const parley_action_t *a) {
  char *out = NULL;
  size_t len = 0;
  assert_int_equal(parley_action_to_json(a, &out, &len), 0);
  assert_int_equal(len, strlen(out));
  return out;
}

static parley_action_t *decode(const char *json) {
  parley_action_t *a = NULL;
  parley_error_t err = {0};
  if (parley_action_from_json(json, strlen(json), &a, &err) != 0)
    fail_msg("decode failed: %s", err.message);
  return a;
}

static const char *decode_error(const char *json, int code, parley_error_t *err) {
  parley_action_t *a = (parley_action_t *)&a; /* must be reset to NULL */
  memset(err, 0, sizeof *err);
  assert_int_equal(parley_action_from_json(json, strlen(json), &a, err), code);
  assert_null(a);
  return err->message;
}

static const char *validate_error(const parley_action_t *a, parley_error_t *err) {
  memset(err, 0, sizeof *err);
  assert_int_equal(parley_action_validate(a, err), PARLEY_EINVAL);
  return err->message;
}

/* ------------------------------------------------------------------ */
/* Types and the handle                                                */
/* ------------------------------------------------------------------ */

static void type_names_round_trip_for_every_type(void **state) {
  for (int t = PARLEY_ACTION_REPLY_PUBLIC; t <= PARLEY_ACTION_RESOLVE; t++) {
    parley_action_type_t back = 0;
    const char *name = parley_action_type_name((parley_action_type_t)t);
    assert_non_null(name);
    assert_int_equal(parley_action_type_parse(name, &back), 0);
    assert_int_equal(back, t);
  }
  assert_string_equal(parley_action_type_name(PARLEY_ACTION_REPLY_PRIVATE), "reply_private");
}

static void type_name_is_null_out_of_range(void **state) {
  assert_null(parley_action_type_name((parley_action_type_t)0));
  assert_null(parley_action_type_name((parley_action_type_t)(PARLEY_ACTION_RESOLVE + 1)));
  assert_null(parley_action_type_name((parley_action_type_t)-3));
}

/* ABI 1.1 appended two types: the values of the 1.0 ones must not move. */
static void abi_1_1_types_are_appended(void **state) {
  assert_int_equal(PARLEY_ACTION_UNHIDE, 5);
  assert_int_equal(PARLEY_ACTION_ASSIGN, 6);
  assert_int_equal(PARLEY_ACTION_RESOLVE, 7);
  assert_string_equal(parley_action_type_name(PARLEY_ACTION_ASSIGN), "assign");
  assert_string_equal(parley_action_type_name(PARLEY_ACTION_RESOLVE), "resolve");
}

static void type_parse_rejects_an_unknown_name(void **state) {
  parley_action_type_t t = PARLEY_ACTION_HIDE;
  assert_int_equal(parley_action_type_parse("delete", &t), PARLEY_EINVAL);
  assert_int_equal(t, PARLEY_ACTION_HIDE);
}

static void setters_copy_and_null_clears(void **state) {
  parley_action_t *a = parley_action_new();
  char buf[] = "conv-1";
  parley_action_set_conversation_id(a, buf);
  buf[0] = 'X';
  assert_string_equal(parley_action_conversation_id(a), "conv-1");
  parley_action_set_conversation_id(a, NULL);
  assert_null(parley_action_conversation_id(a));
  parley_action_free(a);
}

static void setters_reject_invalid_utf8(void **state) {
  parley_action_t *a = parley_action_new();
  assert_int_equal(parley_action_set_text(a, "Gr\xFC\xDF" "e"), PARLEY_EINVAL);
  assert_null(parley_action_text(a));
  parley_action_free(a);
}

static void agent_fields_are_copied_and_cloned(void **state) {
  parley_action_t *a = parley_action_new();
  char agent[] = "mia";
  assert_int_equal(parley_action_set_agent(a, agent), 0);
  assert_int_equal(parley_action_set_assign_to(a, "jonas"), 0);
  agent[0] = 'X';
  parley_action_t *c = parley_action_clone(a);
  parley_action_free(a);
  assert_string_equal(parley_action_agent(c), "mia");
  assert_string_equal(parley_action_assign_to(c), "jonas");
  assert_int_equal(parley_action_set_agent(c, "M\xFCller"), PARLEY_EINVAL);
  assert_string_equal(parley_action_agent(c), "mia");
  parley_action_set_agent(c, NULL);
  assert_null(parley_action_agent(c));
  assert_null(parley_action_agent(NULL));
  assert_null(parley_action_assign_to(NULL));
  parley_action_free(c);
}

static void clone_is_a_deep_copy(void **state) {
  parley_action_t *a = make_reply();
  parley_action_t *c = parley_action_clone(a);
  parley_action_free(a);
  char *json = encode(c);
  assert_string_equal(json, REPLY_JSON);
  free(json);
  parley_action_free(c);
}

static void null_handles_are_harmless(void **state) {
  parley_action_free(NULL);
  assert_null(parley_action_clone(NULL));
  assert_null(parley_action_text(NULL));
  assert_int_equal(parley_action_type(NULL), 0);
}

/* ------------------------------------------------------------------ */
/* Validation                                                          */
/* ------------------------------------------------------------------ */

static void validate_accepts_a_public_reply(void **state) {
  parley_action_t *a = make_reply();
  assert_int_equal(parley_action_validate(a, NULL), 0);
  parley_action_free(a);
}

static void validate_requires_an_idempotency_key(void **state) {
  parley_error_t err;
  parley_action_t *a = make_reply();
  parley_action_set_idempotency_key(a, NULL);
  assert_string_equal(validate_error(a, &err), "action.idempotency_key: missing required field");
  parley_action_free(a);
}

static void validate_rejects_a_key_with_spaces(void **state) {
  parley_error_t err;
  parley_action_t *a = make_reply();
  parley_action_set_idempotency_key(a, "reply 1");
  assert_non_null(strstr(validate_error(a, &err), "action.idempotency_key: must be"));
  parley_action_free(a);
}

static void validate_requires_a_type(void **state) {
  parley_error_t err;
  parley_action_t *a = make_reply();
  parley_action_set_type(a, 0);
  assert_string_equal(validate_error(a, &err), "action.type: missing required field");
  parley_action_free(a);
}

static void validate_requires_connector_or_platform_and_account(void **state) {
  parley_error_t err;
  parley_action_t *a = make_reply();
  parley_action_set_account(a, NULL);
  assert_string_equal(validate_error(a, &err),
                      "action.connector: missing; give connector, or platform and account");
  parley_action_set_connector(a, "twitter-brand");
  assert_int_equal(parley_action_validate(a, NULL), 0);
  parley_action_free(a);
}

static void validate_requires_a_target_for_replies_and_hiding(void **state) {
  static const parley_action_type_t types[] = {PARLEY_ACTION_REPLY_PUBLIC,
                                               PARLEY_ACTION_REPLY_PRIVATE, PARLEY_ACTION_HIDE,
                                               PARLEY_ACTION_UNHIDE};
  for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
    parley_error_t err;
    char expected[80];
    parley_action_t *a = make_reply();
    parley_action_set_type(a, types[i]);
    parley_action_set_target(a, NULL);
    snprintf(expected, sizeof expected, "action.target: required for type %s",
             parley_action_type_name(types[i]));
    assert_string_equal(validate_error(a, &err), expected);
    parley_action_free(a);
  }
}

static void validate_requires_text_for_replies(void **state) {
  parley_error_t err;
  parley_action_t *a = make_reply();
  parley_action_set_text(a, NULL);
  assert_string_equal(validate_error(a, &err), "action.text: required for type reply_public");
  parley_action_free(a);
}

static void validate_accepts_hide_without_text(void **state) {
  parley_action_t *a = make_reply();
  parley_action_set_type(a, PARLEY_ACTION_HIDE);
  parley_action_set_text(a, NULL);
  assert_int_equal(parley_action_validate(a, NULL), 0);
  parley_action_free(a);
}

static void validate_requires_a_conversation_or_recipient_for_a_dm(void **state) {
  parley_error_t err;
  parley_action_t *a = make_reply();
  parley_action_set_type(a, PARLEY_ACTION_DIRECT_MESSAGE);
  parley_action_set_target(a, NULL);
  assert_string_equal(validate_error(a, &err),
                      "action.recipient: direct_message needs conversation_id or recipient");
  parley_action_set_recipient(a, "1234567890123456789");
  assert_int_equal(parley_action_validate(a, NULL), 0);
  parley_action_free(a);
}

static void validate_requires_the_target_to_be_an_event_id(void **state) {
  parley_error_t err;
  parley_action_t *a = make_reply();
  parley_action_set_target(a, "1460323737035677698");
  assert_string_equal(validate_error(a, &err),
                      "action.target: must be an event id \"<platform>:<native id>\"");
  parley_action_free(a);
}

static void validate_rejects_a_target_on_another_platform(void **state) {
  parley_error_t err;
  parley_action_t *a = make_reply();
  parley_action_set_target(a, "instagram:17912345678901234");
  assert_string_equal(validate_error(a, &err),
                      "action.target: platform prefix does not match action.platform \"twitter\"");
  parley_action_free(a);
}

static parley_action_t *make_store_action(parley_action_type_t t) {
  parley_action_t *a = parley_action_new();
  assert_non_null(a);
  parley_action_set_idempotency_key(a, "assign-7");
  parley_action_set_type(a, t);
  parley_action_set_conversation_id(a, "twitter:1460323737035677698");
  if (t == PARLEY_ACTION_ASSIGN)
    parley_action_set_assign_to(a, "jonas");
  parley_action_set_agent(a, "mia");
  return a;
}

static void validate_accepts_assign_and_resolve_without_a_connector(void **state) {
  parley_action_t *a = make_store_action(PARLEY_ACTION_ASSIGN);
  assert_int_equal(parley_action_validate(a, NULL), 0);
  parley_action_free(a);
  a = make_store_action(PARLEY_ACTION_RESOLVE);
  parley_action_set_agent(a, NULL); /* agent is optional */
  assert_int_equal(parley_action_validate(a, NULL), 0);
  parley_action_free(a);
}

static void validate_requires_a_conversation_for_assign_and_resolve(void **state) {
  parley_error_t err;
  parley_action_t *a = make_store_action(PARLEY_ACTION_RESOLVE);
  parley_action_set_conversation_id(a, NULL);
  assert_string_equal(validate_error(a, &err), "action.conversation_id: required for type resolve");
  parley_action_free(a);
  a = make_store_action(PARLEY_ACTION_ASSIGN);
  parley_action_set_conversation_id(a, "");
  assert_string_equal(validate_error(a, &err), "action.conversation_id: required for type assign");
  parley_action_free(a);
}

static void validate_requires_assign_to_for_assign_only(void **state) {
  parley_error_t err;
  parley_action_t *a = make_store_action(PARLEY_ACTION_ASSIGN);
  parley_action_set_assign_to(a, NULL);
  assert_string_equal(validate_error(a, &err), "action.assign_to: required for type assign");
  parley_action_free(a);
  a = make_store_action(PARLEY_ACTION_RESOLVE);
  parley_action_set_assign_to(a, "jonas");
  assert_string_equal(validate_error(a, &err),
                      "action.assign_to: only for type assign, not resolve");
  parley_action_free(a);
}

static void validate_bounds_agent_names(void **state) {
  parley_error_t err;
  char name[300];
  parley_action_t *a = make_reply();
  parley_action_set_agent(a, ""); /* like every setter: "" unsets */
  assert_null(parley_action_agent(a));
  memset(name, 'x', 257);
  name[257] = '\0';
  parley_action_set_agent(a, name);
  assert_string_equal(validate_error(a, &err), "action.agent: must be 1 to 256 characters");
  /* characters, not bytes: 128 two-byte characters fit */
  for (int i = 0; i < 128; i++)
    memcpy(name + 2 * i, "\xC3\xA9", 2);
  name[256] = '\0';
  parley_action_set_agent(a, name);
  assert_int_equal(parley_action_validate(a, NULL), 0);
  parley_action_free(a);
  a = make_store_action(PARLEY_ACTION_ASSIGN);
  parley_action_set_assign_to(a, name);
  parley_action_set_assign_to(a, "x\xC3\xA9"); /* replaced, fine */
  assert_int_equal(parley_action_validate(a, NULL), 0);
  memset(name, 'y', 257);
  name[257] = '\0';
  parley_action_set_assign_to(a, name);
  assert_string_equal(validate_error(a, &err), "action.assign_to: must be 1 to 256 characters");
  parley_action_free(a);
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

static const char ASSIGN_JSON[] =
    "{\"schema\":\"parley.action.v1\",\"idempotency_key\":\"assign-7\",\"type\":\"assign\","
    "\"conversation_id\":\"twitter:1460323737035677698\",\"assign_to\":\"jonas\","
    "\"agent\":\"mia\"}";

static void assign_encodes_v1_1_fields_last_and_round_trips(void **state) {
  parley_action_t *a = make_store_action(PARLEY_ACTION_ASSIGN);
  char *json = encode(a);
  assert_string_equal(json, ASSIGN_JSON);
  parley_action_t *b = decode(json);
  assert_int_equal(parley_action_type(b), PARLEY_ACTION_ASSIGN);
  assert_string_equal(parley_action_assign_to(b), "jonas");
  assert_string_equal(parley_action_agent(b), "mia");
  char *again = encode(b);
  assert_string_equal(again, ASSIGN_JSON);
  free(json);
  free(again);
  parley_action_free(a);
  parley_action_free(b);
}

static void resolve_decodes_with_only_a_conversation(void **state) {
  parley_action_t *a = decode("{\"schema\":\"parley.action.v1\",\"idempotency_key\":\"r-1\","
                              "\"type\":\"resolve\",\"conversation_id\":\"conv-1\"}");
  assert_int_equal(parley_action_type(a), PARLEY_ACTION_RESOLVE);
  assert_string_equal(parley_action_conversation_id(a), "conv-1");
  assert_null(parley_action_agent(a));
  parley_action_free(a);
}

static void a_reply_carries_its_agent(void **state) {
  parley_action_t *a = make_reply();
  parley_action_set_agent(a, "mia");
  char *json = encode(a);
  assert_non_null(strstr(json, "\"text\":"));
  assert_non_null(strstr(json, "\"agent\":\"mia\"}"));
  parley_action_t *b = decode(json);
  assert_string_equal(parley_action_agent(b), "mia");
  free(json);
  parley_action_free(a);
  parley_action_free(b);
}

static void from_json_names_the_field_assign_and_resolve_miss(void **state) {
  parley_error_t err;
  const char *msg = decode_error("{\"schema\":\"parley.action.v1\",\"idempotency_key\":\"k\","
                                 "\"type\":\"assign\",\"conversation_id\":\"c\"}",
                                 PARLEY_EINVAL, &err);
  assert_string_equal(msg, "action.assign_to: required for type assign");
  msg = decode_error("{\"schema\":\"parley.action.v1\",\"idempotency_key\":\"k\","
                     "\"type\":\"resolve\",\"connector\":\"tw\"}",
                     PARLEY_EINVAL, &err);
  assert_string_equal(msg, "action.conversation_id: required for type resolve");
  msg = decode_error("{\"schema\":\"parley.action.v1\",\"idempotency_key\":\"k\","
                     "\"type\":\"resolve\",\"conversation_id\":\"c\",\"agent\":7}",
                     PARLEY_EINVAL, &err);
  assert_string_equal(msg, "action.agent: expected string");
}

static void to_json_writes_keys_in_schema_order_and_omits_unset(void **state) {
  parley_action_t *a = make_reply();
  char *json = encode(a);
  assert_string_equal(json, REPLY_JSON);
  free(json);
  parley_action_free(a);
}

static void to_json_refuses_an_invalid_action(void **state) {
  parley_action_t *a = make_reply();
  char *out = NULL;
  parley_action_set_text(a, NULL);
  assert_int_equal(parley_action_to_json(a, &out, NULL), PARLEY_EINVAL);
  assert_null(out);
  parley_action_free(a);
}

static void round_trip_gives_identical_bytes(void **state) {
  parley_action_t *a = decode(REPLY_JSON);
  char *json = encode(a);
  assert_string_equal(json, REPLY_JSON);
  free(json);
  parley_action_free(a);
}

static void round_trip_keeps_every_field(void **state) {
  parley_action_t *a = parley_action_new();
  parley_action_set_idempotency_key(a, "dm-42");
  parley_action_set_type(a, PARLEY_ACTION_DIRECT_MESSAGE);
  parley_action_set_connector(a, "instagram-main");
  parley_action_set_conversation_id(a, "instagram:t_10160");
  parley_action_set_recipient(a, "17841400000000000");
  parley_action_set_text(a, "Hoi! Kun je je klantnummer sturen? \xF0\x9F\x98\x8A");
  char *json = encode(a);
  parley_action_t *b = decode(json);
  assert_string_equal(parley_action_idempotency_key(b), "dm-42");
  assert_int_equal(parley_action_type(b), PARLEY_ACTION_DIRECT_MESSAGE);
  assert_string_equal(parley_action_connector(b), "instagram-main");
  assert_string_equal(parley_action_conversation_id(b), "instagram:t_10160");
  assert_string_equal(parley_action_recipient(b), "17841400000000000");
  assert_string_equal(parley_action_text(b), parley_action_text(a));
  free(json);
  parley_action_free(a);
  parley_action_free(b);
}

static void from_json_reports_malformed_json_with_line_and_column(void **state) {
  parley_error_t err;
  const char *msg = decode_error("{\"schema\":\n\"parley.action.v1\",}", PARLEY_EPARSE, &err);
  assert_non_null(strstr(msg, "action: malformed JSON at line 2, column"));
}

static void from_json_rejects_invalid_utf8(void **state) {
  parley_error_t err;
  decode_error("{\"schema\":\"parley.action.v1\",\"idempotency_key\":\"k\",\"type\":\"hide\","
               "\"connector\":\"c\",\"target\":\"twitter:1\",\"text\":\"\xFF\"}",
               PARLEY_EPARSE, &err);
}

static void from_json_rejects_a_wrong_schema(void **state) {
  parley_error_t err;
  const char *msg = decode_error("{\"schema\":\"parley.event.v1\"}", PARLEY_EINVAL, &err);
  assert_string_equal(msg, "action.schema: expected \"parley.action.v1\", got \"parley.event.v1\"");
}

static void from_json_rejects_an_unknown_type(void **state) {
  parley_error_t err;
  const char *msg = decode_error(
      "{\"schema\":\"parley.action.v1\",\"idempotency_key\":\"k\",\"type\":\"like\"}",
      PARLEY_EINVAL, &err);
  assert_non_null(strstr(msg, "action.type: \"like\" is not one of reply_public"));
  assert_non_null(strstr(msg, "assign, resolve"));
}

static void from_json_names_a_missing_key(void **state) {
  parley_error_t err;
  const char *msg =
      decode_error("{\"schema\":\"parley.action.v1\",\"type\":\"hide\"}", PARLEY_EINVAL, &err);
  assert_string_equal(msg, "action.idempotency_key: missing required field");
}

static void from_json_names_a_mistyped_field(void **state) {
  parley_error_t err;
  const char *msg = decode_error(
      "{\"schema\":\"parley.action.v1\",\"idempotency_key\":\"k\",\"type\":\"dm\","
      "\"recipient\":1234567890123456789}",
      PARLEY_EINVAL, &err);
  /* type is checked first; fix it and the id's type is named. */
  assert_non_null(strstr(msg, "action.type:"));
  msg = decode_error("{\"schema\":\"parley.action.v1\",\"idempotency_key\":\"k\","
                     "\"type\":\"direct_message\",\"connector\":\"c\","
                     "\"recipient\":1234567890123456789}",
                     PARLEY_EINVAL, &err);
  assert_string_equal(msg, "action.recipient: expected string");
}

static void from_json_applies_the_per_type_rules(void **state) {
  parley_error_t err;
  const char *msg = decode_error("{\"schema\":\"parley.action.v1\",\"idempotency_key\":\"k\","
                                 "\"type\":\"reply_private\",\"connector\":\"fb\","
                                 "\"target\":\"facebook:1_2\"}",
                                 PARLEY_EINVAL, &err);
  assert_string_equal(msg, "action.text: required for type reply_private");
}

static void from_json_ignores_unknown_keys(void **state) {
  parley_action_t *a = decode("{\"schema\":\"parley.action.v1\",\"idempotency_key\":\"k\","
                              "\"type\":\"unhide\",\"connector\":\"fb\","
                              "\"target\":\"facebook:1_2\",\"note\":{\"name\":\"Mia\"}}");
  assert_int_equal(parley_action_type(a), PARLEY_ACTION_UNHIDE);
  parley_action_free(a);
}

static void from_json_rejects_oversized_input(void **state) {
  size_t len = (size_t)1024 * 1024 + 1;
  char *big = malloc(len);
  parley_action_t *a = NULL;
  parley_error_t err = {0};
  assert_non_null(big);
  memset(big, ' ', len);
  assert_int_equal(parley_action_from_json(big, len, &a, &err), PARLEY_ETOOBIG);
  assert_null(a);
  free(big);
}

static void from_json_fails_cleanly_on_every_truncation(void **state) {
  for (size_t len = 0; len < sizeof REPLY_JSON - 1; len++) {
    parley_action_t *a = NULL;
    parley_error_t err = {0};
    assert_int_not_equal(parley_action_from_json(REPLY_JSON, len, &a, &err), 0);
    assert_null(a);
    assert_true(err.message[0] != '\0');
  }
}

/* ------------------------------------------------------------------ */
/* Results                                                             */
/* ------------------------------------------------------------------ */

static void result_to_json_encodes_success(void **state) {
  parley_action_result_t r = {0, "1460400000000000000", 201, NULL, NULL};
  char *out = NULL;
  size_t len = 0;
  assert_int_equal(parley_action_result_to_json("k-1", &r, &out, &len), 0);
  assert_string_equal(out, "{\"schema\":\"parley.action_result.v1\",\"idempotency_key\":\"k-1\","
                           "\"status\":\"done\",\"platform_id\":\"1460400000000000000\","
                           "\"http_status\":201}");
  assert_int_equal(len, strlen(out));
  free(out);
}

static void result_to_json_encodes_failure_with_the_error_name(void **state) {
  parley_action_result_t r = {PARLEY_EAUTH, NULL, 401, "89", "Invalid or expired token."};
  char *out = NULL;
  assert_int_equal(parley_action_result_to_json("k-2", &r, &out, NULL), 0);
  assert_string_equal(out, "{\"schema\":\"parley.action_result.v1\",\"idempotency_key\":\"k-2\","
                           "\"status\":\"failed\",\"error\":\"PARLEY_EAUTH\",\"http_status\":401,"
                           "\"error_code\":\"89\",\"message\":\"Invalid or expired token.\"}");
  free(out);
}

static void result_to_json_keeps_a_message_with_invalid_utf8(void **state) {
  /* A broken platform reply must not lose the result. */
  parley_action_result_t r = {PARLEY_EPLATFORM, NULL, 500, NULL, "bad \xFF byte"};
  char *out = NULL;
  assert_int_equal(parley_action_result_to_json("k-3", &r, &out, NULL), 0);
  assert_non_null(strstr(out, "\"message\":\"bad ? byte\""));
  free(out);
}

static void result_to_json_rejects_bad_arguments(void **state) {
  parley_action_result_t ok = {0, NULL, 0, NULL, NULL};
  parley_action_result_t bad_http = {0, NULL, 42, NULL, NULL};
  parley_action_result_t positive = {3, NULL, 0, NULL, NULL};
  char *out = NULL;
  assert_int_equal(parley_action_result_to_json(NULL, &ok, &out, NULL), PARLEY_EINVAL);
  assert_int_equal(parley_action_result_to_json("", &ok, &out, NULL), PARLEY_EINVAL);
  assert_int_equal(parley_action_result_to_json("k", NULL, &out, NULL), PARLEY_EINVAL);
  assert_int_equal(parley_action_result_to_json("k", &bad_http, &out, NULL), PARLEY_EINVAL);
  assert_int_equal(parley_action_result_to_json("k", &positive, &out, NULL), PARLEY_EINVAL);
  assert_null(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(type_names_round_trip_for_every_type),
      cmocka_unit_test(type_name_is_null_out_of_range),
      cmocka_unit_test(abi_1_1_types_are_appended),
      cmocka_unit_test(type_parse_rejects_an_unknown_name),
      cmocka_unit_test(setters_copy_and_null_clears),
      cmocka_unit_test(setters_reject_invalid_utf8),
      cmocka_unit_test(agent_fields_are_copied_and_cloned),
      cmocka_unit_test(clone_is_a_deep_copy),
      cmocka_unit_test(null_handles_are_harmless),
      cmocka_unit_test(validate_accepts_a_public_reply),
      cmocka_unit_test(validate_requires_an_idempotency_key),
      cmocka_unit_test(validate_rejects_a_key_with_spaces),
      cmocka_unit_test(validate_requires_a_type),
      cmocka_unit_test(validate_requires_connector_or_platform_and_account),
      cmocka_unit_test(validate_requires_a_target_for_replies_and_hiding),
      cmocka_unit_test(validate_requires_text_for_replies),
      cmocka_unit_test(validate_accepts_hide_without_text),
      cmocka_unit_test(validate_requires_a_conversation_or_recipient_for_a_dm),
      cmocka_unit_test(validate_requires_the_target_to_be_an_event_id),
      cmocka_unit_test(validate_rejects_a_target_on_another_platform),
      cmocka_unit_test(validate_accepts_assign_and_resolve_without_a_connector),
      cmocka_unit_test(validate_requires_a_conversation_for_assign_and_resolve),
      cmocka_unit_test(validate_requires_assign_to_for_assign_only),
      cmocka_unit_test(validate_bounds_agent_names),
      cmocka_unit_test(assign_encodes_v1_1_fields_last_and_round_trips),
      cmocka_unit_test(resolve_decodes_with_only_a_conversation),
      cmocka_unit_test(a_reply_carries_its_agent),
      cmocka_unit_test(from_json_names_the_field_assign_and_resolve_miss),
      cmocka_unit_test(to_json_writes_keys_in_schema_order_and_omits_unset),
      cmocka_unit_test(to_json_refuses_an_invalid_action),
      cmocka_unit_test(round_trip_gives_identical_bytes),
      cmocka_unit_test(round_trip_keeps_every_field),
      cmocka_unit_test(from_json_reports_malformed_json_with_line_and_column),
      cmocka_unit_test(from_json_rejects_invalid_utf8),
      cmocka_unit_test(from_json_rejects_a_wrong_schema),
      cmocka_unit_test(from_json_rejects_an_unknown_type),
      cmocka_unit_test(from_json_names_a_missing_key),
      cmocka_unit_test(from_json_names_a_mistyped_field),
      cmocka_unit_test(from_json_applies_the_per_type_rules),
      cmocka_unit_test(from_json_ignores_unknown_keys),
      cmocka_unit_test(from_json_rejects_oversized_input),
      cmocka_unit_test(from_json_fails_cleanly_on_every_truncation),
      cmocka_unit_test(result_to_json_encodes_success),
      cmocka_unit_test(result_to_json_encodes_failure_with_the_error_name),
      cmocka_unit_test(result_to_json_keeps_a_message_with_invalid_utf8),
      cmocka_unit_test(result_to_json_rejects_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
