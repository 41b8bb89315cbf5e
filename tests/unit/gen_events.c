/* Print varied documents from parley's encoders as NDJSON, for
 * check_schema.py to validate against docs/event.schema.json and
 * docs/action.schema.json.
 *
 *   gen_events events         events: every kind, visibility, media type,
 *                             optional field present and absent
 *   gen_events actions        actions of every type (assign, resolve, agent: v1.1)
 *   gen_events results        action results, done and failed
 *   gen_events broken-events  hand-written events that each break one rule
 *                             of the schema (the checker must reject all)
 *
 * Every encoded event and action is also decoded and encoded again; a
 * difference in bytes is an error (exit 1). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/action.h"
#include "parley/error.h"
#include "parley/event.h"

#define T0 1795425606123LL /* 2026-11-23T09:20:06.123Z */

static const char *const platforms[] = {"twitter", "instagram", "facebook", "linkedin", "tiktok"};
static const char *const media_types[] = {"image", "video", "gif", "audio", "file"};
static const char *const texts[] = {
    "@acmebank my card was declined twice today",
    "Gr\xC3\xBC\xC3\x9F" "e! Meine \xC3\x9C" "berweisung h\xC3\xA4ngt seit Montag",
    "Waarom is mijn be\xC3\xABindiging nog niet verwerkt? \xF0\x9F\x98\xA1",
    "\xF0\x9F\x99\x8F\xF0\x9F\x8F\xBD thanks, solved \xE2\x9C\x85",
    "line one\nline two \"quoted\" \\ tab\t end",
};
static const char *const raws[] = {
    "{\"id_str\":\"1460323737035677698\",\"user\":{\"followers_count\":1520}}",
    "[{\"field\":\"comments\",\"value\":{\"verb\":\"add\"}}]",
    "\"opaque\"",
    "12345678901234",
    "{\"score\":0.1,\"nested\":{\"deep\":[null,true,false]}}",
};

#define COUNT(a) (sizeof(a) / sizeof *(a))

/* Encode, decode, encode again; print the line if both agree. */
static int emit_event(const parley_event_t *ev) {
  char *a = NULL, *b = NULL;
  parley_event_t *back = NULL;
  parley_error_t err = {0};
  int rc = parley_event_to_json(ev, &a, NULL);
  if (rc == 0 && (rc = parley_event_from_json(a, strlen(a), &back, &err)) == 0)
    rc = parley_event_to_json(back, &b, NULL);
  if (rc == 0 && strcmp(a, b) != 0)
    rc = PARLEY_EINVAL;
  if (rc == 0)
    printf("%s\n", a);
  else
    fprintf(stderr, "gen_events: event %s: %s %s\n", parley_event_id(ev), parley_err_name(rc),
            err.message);
  free(a);
  free(b);
  parley_event_free(back);
  return rc;
}

static void fill_author(parley_event_t *ev, size_t i) {
  if (i % 4 == 3)
    return; /* no author at all */
  parley_event_set_author_id(ev, i % 2 ? "1234567890123456789" : "17841400000000000");
  if (i % 3 != 0)
    parley_event_set_author_handle(ev, "jan_de_vries");
  if (i % 5 != 0)
    parley_event_set_author_name(ev, "Jan de Vri\xC3\xABs");
  if (i % 2 == 0)
    parley_event_set_author_followers(ev, (int64_t)i * 1000003);
  parley_event_set_author_verified(ev, i % 3 == 1);
}

static void fill_signals(parley_event_t *ev, size_t i) {
  if (i % 6 == 5)
    return; /* no signals */
  if (i % 2 == 0)
    parley_event_set_sentiment(ev, -1.0 + (double)(i % 21) * 0.1);
  if (i % 3 != 2)
    parley_event_set_priority(ev, (int)(i % 5) + 1);
  for (size_t k = 0; k < i % 3; k++)
    parley_event_add_keyword(ev, k ? "refund" : "card declined");
  if (i % 4 == 0)
    parley_event_set_matched_query(ev, "acmebank OR \"acme bank\" -is:retweet");
  if (i % 2 == 1)
    parley_event_set_sla_due(ev, T0 + 30 * 60 * 1000 + (int64_t)i);
}

static parley_event_t *make_event(size_t i) {
  char id[64];
  const char *platform = platforms[i % COUNT(platforms)];
  parley_event_t *ev = parley_event_new();
  if (ev == NULL)
    return NULL;
  snprintf(id, sizeof id, "%s:%llu", platform, 1460323737035677698ULL + i);
  parley_event_set_id(ev, id);
  parley_event_set_platform(ev, platform);
  parley_event_set_connector(ev, i % 2 ? "brand-main" : "brand-support");
  parley_event_set_account(ev, "acmebank");
  parley_event_set_kind(ev, (parley_kind_t)(i % PARLEY_KIND_COUNT_));
  parley_event_set_visibility(ev, (parley_visibility_t)(i % 2));
  /* Times from 1969 to 2999, so formatting is exercised across eras. */
  parley_event_set_created_at(ev, i % 7 == 6 ? -86400000LL + (int64_t)i : T0 + (int64_t)i * 997);
  parley_event_set_received_at(ev, i % 11 == 10 ? 32503680000000LL : T0 + (int64_t)i * 1000 + 500);
  if (i % 2 == 0)
    parley_event_set_conversation_id(ev, id);
  if (i % 3 == 0)
    parley_event_set_in_reply_to(ev, id);
  fill_author(ev, i);
  if (i % 5 != 4)
    parley_event_set_text(ev, texts[i % COUNT(texts)]);
  if (i % 3 != 1)
    parley_event_set_lang(ev, i % 2 ? "de" : "nl-BE");
  if (i % 2 == 1)
    parley_event_set_url(ev, "https://example.com/status/1460323737035677698");
  for (size_t m = 0; m < i % 4; m++)
    parley_event_add_media(ev, media_types[(i + m) % COUNT(media_types)], "https://cdn.example/m.jpg");
  fill_signals(ev, i);
  if (i % 4 == 3)
    parley_event_set_repaired(ev, (uint32_t)(i % 9 + 1));
  if (i % 3 != 2)
    parley_event_set_raw(ev, raws[i % COUNT(raws)], strlen(raws[i % COUNT(raws)]));
  return ev;
}

static int gen_events(void) {
  int failed = 0;
  for (size_t i = 0; i < 60; i++) {
    parley_event_t *ev = make_event(i);
    failed |= ev == NULL || emit_event(ev) != 0;
    parley_event_free(ev);
  }
  return failed;
}

static int emit_action(const parley_action_t *a) {
  char *x = NULL, *y = NULL;
  parley_action_t *back = NULL;
  parley_error_t err = {0};
  int rc = parley_action_to_json(a, &x, NULL);
  if (rc == 0 && (rc = parley_action_from_json(x, strlen(x), &back, &err)) == 0)
    rc = parley_action_to_json(back, &y, NULL);
  if (rc == 0 && strcmp(x, y) != 0)
    rc = PARLEY_EINVAL;
  if (rc == 0)
    printf("%s\n", x);
  else
    fprintf(stderr, "gen_events: action %s: %s %s\n", parley_action_idempotency_key(a),
            parley_err_name(rc), err.message);
  free(x);
  free(y);
  parley_action_free(back);
  return rc;
}

static parley_action_t *make_action(size_t i) {
  char key[32];
  parley_action_type_t type = (parley_action_type_t)(PARLEY_ACTION_REPLY_PUBLIC + i % 7);
  parley_action_t *a = parley_action_new();
  if (a == NULL)
    return NULL;
  snprintf(key, sizeof key, "agent-7:%zu", i);
  parley_action_set_idempotency_key(a, key);
  parley_action_set_type(a, type);
  if (i % 2) {
    parley_action_set_connector(a, "brand-main");
  } else {
    parley_action_set_platform(a, "facebook");
    parley_action_set_account(a, "acmebank");
  }
  if (i % 4 == 0) /* v1.1: any action may name its agent */
    parley_action_set_agent(a, "mia@acmebank");
  if (type == PARLEY_ACTION_ASSIGN || type == PARLEY_ACTION_RESOLVE) {
    parley_action_set_conversation_id(a, "facebook:t_10160");
    if (type == PARLEY_ACTION_ASSIGN)
      parley_action_set_assign_to(a, "jonas");
    return a;
  }
  if (type != PARLEY_ACTION_DIRECT_MESSAGE)
    parley_action_set_target(a, "facebook:102938475610_5647382910");
  else if (i % 3 == 0)
    parley_action_set_recipient(a, "1234567890123456789");
  else
    parley_action_set_conversation_id(a, "facebook:t_10160");
  if (type != PARLEY_ACTION_HIDE && type != PARLEY_ACTION_UNHIDE)
    parley_action_set_text(a, texts[i % COUNT(texts)]);
  return a;
}

static int gen_actions(void) {
  int failed = 0;
  for (size_t i = 0; i < 20; i++) {
    parley_action_t *a = make_action(i);
    failed |= a == NULL || emit_action(a) != 0;
    parley_action_free(a);
  }
  return failed;
}

static int gen_results(void) {
  static const parley_action_result_t results[] = {
      {0, "1460400000000000000", 201, NULL, NULL},
      {0, NULL, 0, NULL, NULL},
      {PARLEY_EAUTH, NULL, 401, "89", "Invalid or expired token."},
      {PARLEY_ERATELIMIT, NULL, 429, NULL, "retry after 900 s"},
      {PARLEY_ENETWORK, NULL, 0, NULL, NULL},
      {PARLEY_EPLATFORM, NULL, 400, "(#10) Permission", "Nachricht au\xC3\x9F" "erhalb 24 h"},
      {-999, NULL, 500, NULL, "bad \xFF byte from platform"},
  };
  int failed = 0;
  for (size_t i = 0; i < COUNT(results); i++) {
    char *out = NULL;
    int rc = parley_action_result_to_json("agent-7:1", &results[i], &out, NULL);
    if (rc == 0)
      printf("%s\n", out);
    else
      fprintf(stderr, "gen_events: result %zu: %s\n", i, parley_err_name(rc));
    failed |= rc != 0;
    free(out);
  }
  return failed;
}

/* Each line breaks exactly one rule of docs/event.schema.json. */
static int gen_broken_events(void) {
#define HEAD "{\"schema\":\"parley.event.v1\",\"id\":\"twitter:1\",\"platform\":\"twitter\"," \
             "\"connector\":\"tw\",\"account\":\"acme\""
#define KV "\"kind\":\"mention\",\"visibility\":\"public\""
#define TIMES "\"created_at\":\"2026-11-23T09:20:06.123Z\",\"received_at\":\"2026-11-23T09:20:07.000Z\""
  static const char *const lines[] = {
      "{\"schema\":\"parley.event.v2\",\"id\":\"twitter:1\",\"platform\":\"twitter\","
      "\"connector\":\"tw\",\"account\":\"acme\"," KV "," TIMES "}",
      HEAD "," KV ",\"created_at\":\"2026-11-23T09:20:06.123Z\"}",
      HEAD ",\"kind\":\"retweet\",\"visibility\":\"public\"," TIMES "}",
      HEAD ",\"kind\":\"mention\",\"visibility\":\"friends\"," TIMES "}",
      HEAD "," KV ",\"author\":{\"id\":1460323737035677698}," TIMES "}",
      HEAD "," KV ",\"author\":{\"followers\":-1}," TIMES "}",
      HEAD "," KV ",\"author\":{\"verified\":false}," TIMES "}",
      HEAD "," KV ",\"author\":{}," TIMES "}",
      HEAD "," KV ",\"created_at\":\"2026-11-23T10:20:06+01:00\","
           "\"received_at\":\"2026-11-23T09:20:07.000Z\"}",
      HEAD "," KV ",\"created_at\":1795425606123,\"received_at\":\"2026-11-23T09:20:07.000Z\"}",
      HEAD "," KV "," TIMES ",\"media\":[{\"type\":\"sticker\",\"url\":\"https://a\"}]}",
      HEAD "," KV "," TIMES ",\"media\":[]}",
      HEAD "," KV "," TIMES ",\"signals\":{\"priority\":101}}",
      HEAD "," KV "," TIMES ",\"signals\":{\"sentiment\":1.5}}",
      HEAD "," KV "," TIMES ",\"text\":\"\"}",
      HEAD "," KV "," TIMES ",\"lang\":\"en_US\"}",
      HEAD "," KV "," TIMES ",\"extra\":1}",
      HEAD "," KV "," TIMES ",\"repaired\":0}",
      "{\"schema\":\"parley.event.v1\",\"id\":\"1\",\"platform\":\"twitter\","
      "\"connector\":\"tw\",\"account\":\"acme\"," KV "," TIMES "}",
      "{\"schema\":\"parley.event.v1\",\"id\":\"x.y:1\",\"platform\":\"x.y\","
      "\"connector\":\"tw\",\"account\":\"acme\"," KV "," TIMES "}",
  };
  for (size_t i = 0; i < COUNT(lines); i++)
    printf("%s\n", lines[i]);
  return 0;
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  int failed;
  if (strcmp(what, "events") == 0)
    failed = gen_events();
  else if (strcmp(what, "actions") == 0)
    failed = gen_actions();
  else if (strcmp(what, "results") == 0)
    failed = gen_results();
  else if (strcmp(what, "broken-events") == 0)
    failed = gen_broken_events();
  else {
    fprintf(stderr, "usage: gen_events events|actions|results|broken-events\n");
    return 2;
  }
  return failed ? 1 : 0;
}
