/* linkedin — organization social-action webhooks at /hooks/<instance>
 * (linkedin.md §7).
 *
 * GET ?challengeCode=<uuid> is the endpoint validation (§7.1): answered 200,
 * application/json, {"challengeCode","challengeResponse": hex(HMAC-SHA256(
 * client_secret, challengeCode))}. LinkedIn re-validates every 2 hours.
 *
 * POST carries X-LI-Signature = hex(HMAC-SHA256(client_secret,
 * "hmacsha256=" + raw body)) (§7.3), checked in constant time by the SDK
 * before the body is parsed; a forged or missing one gets 401, is counted
 * (linkedin_webhook_forged_total) and logged without the body or secret.
 * Each notification of {"type":"ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS",
 * "notifications":[...]} for this organization becomes an event (others are
 * counted and ignored: one app may deliver for several pages). The core
 * answers 2xx only once the events are in the journal, 503 otherwise so
 * LinkedIn retries; redeliveries map to the same ids and are deduplicated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkedin.h"
#include "parley/sdk/json.h"
#include "parley/sdk/webhook.h"

#define CHALLENGE_MAX 300

static void answer(parley_webhook_reply_t *rep, int status, const char *ctype, const char *body) {
  *rep = (parley_webhook_reply_t){.status = status, .content_type = ctype, .body = body,
                                  .body_len = strlen(body)};
}

static void challenge(parley_linkedin_t *li, const parley_webhook_t *wh,
                      parley_webhook_reply_t *rep) {
  static char out[512]; /* copied by the core after we return */
  char code[CHALLENGE_MAX];
  if (li->host->webhook_query(wh, "challengeCode", code, sizeof code) <= 0) {
    answer(rep, 400, NULL, "missing challengeCode\n");
    return;
  }
  if (parley_sdk_webhook_linkedin_challenge(li->cfg->client_secret, code, out, sizeof out) < 0) {
    answer(rep, 400, NULL, "malformed challengeCode\n");
    return;
  }
  parley_linkedin_count(li, "webhook_challenges_total", 1);
  answer(rep, 200, "application/json", out);
}

static void take(parley_linkedin_t *li, const json_t *note) {
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  const char *org = parley_sdk_json_str(note, "organizationalEntity", NULL);
  if (org && strcmp(org, li->org) != 0) {
    parley_linkedin_count(li, "webhook_other_organization_total", 1);
    return;
  }
  if (parley_linkedin_map_notification(li, note, &ev, &err) == 0) {
    parley_linkedin_emit(li, ev);
    return;
  }
  parley_linkedin_count(li, "unmapped_total", 1);
  li->host->log(li->inst, PARLEY_LOG_WARN, "webhook: notification skipped: %s", err.message);
}

static void deliver(parley_linkedin_t *li, const char *body, size_t len,
                    parley_webhook_reply_t *rep) {
  parley_error_t err = {0};
  size_t i, n;
  json_t *note;
  size_t repaired = 0; /* signed: a bad character must not cost the whole delivery */
  json_t *doc = parley_sdk_json_parse_repair(body, len, "webhook body", &repaired, &err);
  json_t *notes = parley_sdk_json_array(doc, "notifications", &n);
  if (!notes) {
    parley_linkedin_count(li, "webhook_malformed_total", 1);
    li->host->log(li->inst, PARLEY_LOG_WARN, "webhook refused: %s",
                  doc ? "no notifications array" : err.message);
    json_decref(doc);
    answer(rep, 400, NULL, "malformed notification envelope\n");
    return;
  }
  if (repaired) {
    parley_linkedin_count(li, "webhook_repaired_total", 1);
    li->host->log(li->inst, PARLEY_LOG_WARN, "webhook delivery of %zu bytes accepted with %zu "
                  "invalid characters replaced by U+FFFD (invalid UTF-8, NUL or a lone surrogate)",
                  len, repaired);
  }
  li->repaired = repaired;
  json_array_foreach(notes, i, note) take(li, note);
  li->repaired = 0;
  json_decref(doc);
  parley_linkedin_count(li, "webhook_deliveries_total", 1);
  answer(rep, 200, NULL, "ok\n");
}

void parley_linkedin_webhook(void *instance, const parley_webhook_t *wh,
                             parley_webhook_reply_t *rep) {
  parley_linkedin_t *li = instance;
  const parley_host_t *h = li->host;
  const char *method = h->webhook_method(wh);
  if (!li->want_webhook) {
    answer(rep, 404, NULL, "the webhook source is not enabled\n");
    return;
  }
  if (strcmp(method, "GET") == 0) {
    challenge(li, wh, rep);
    return;
  }
  if (strcmp(method, "POST") != 0) {
    answer(rep, 405, NULL, "GET or POST only\n");
    return;
  }
  size_t len = 0;
  const char *body = h->webhook_body(wh, &len);
  parley_error_t err = {0};
  if (parley_sdk_webhook_verify_linkedin(li->cfg->client_secret, body, len,
                                         h->webhook_header(wh, "X-LI-Signature"), &err) != 0) {
    parley_linkedin_count(li, "webhook_forged_total", 1);
    h->log(li->inst, PARLEY_LOG_WARN, "forged webhook refused: %s", err.message);
    answer(rep, 401, NULL, "bad signature\n");
    return;
  }
  deliver(li, body, len, rep);
}
