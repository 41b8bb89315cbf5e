/* twitter — Account Activity webhooks at /hooks/<instance> (§7).
 *
 * GET ?crc_token=... is the CRC: answered 200 with
 * {"response_token":"sha256=<base64(HMAC-SHA256(consumer_secret, token))>"}.
 * POST carries x-twitter-webhooks-signature over the raw body; it is checked
 * in constant time before the body is even parsed. A forged or missing one
 * gets 401, is counted (twitter_webhook_forged_total) and logged without the
 * secret. tweet_create_events and direct_message_events become events; the
 * core answers 2xx only once they are in the journal (503 otherwise, so X
 * retries). Other event kinds (likes, follows, typing) are acknowledged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/sdk/json.h"
#include "parley/sdk/webhook.h"
#include "twitter.h"

#define TW_CRC_TOKEN_MAX 600

static void answer(parley_webhook_reply_t *rep, int status, const char *ctype, const char *body) {
  *rep = (parley_webhook_reply_t){.status = status, .content_type = ctype, .body = body,
                                  .body_len = strlen(body)};
}

static void crc(parley_twitter_t *tw, const parley_webhook_t *wh, parley_webhook_reply_t *rep) {
  static char out[256]; /* copied by the core after we return */
  char token[TW_CRC_TOKEN_MAX];
  const parley_host_t *h = tw->host;
  if (h->webhook_query(wh, "crc_token", token, sizeof token) <= 0) {
    answer(rep, 400, NULL, "missing crc_token\n");
    return;
  }
  if (parley_sdk_webhook_twitter_crc(tw->cfg->consumer_secret, token, out, sizeof out) < 0) {
    answer(rep, 400, NULL, "bad crc_token\n");
    return;
  }
  h->counter_add(tw->inst, "twitter_webhook_crc_total", 1);
  answer(rep, 200, "application/json", out);
}

typedef int (*map_one_fn)(parley_twitter_t *tw, const json_t *item, const json_t *payload);

static int map_tweet(parley_twitter_t *tw, const json_t *item, const json_t *payload) {
  parley_twitter_map_ctx_t ctx;
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  (void)payload;
  parley_twitter_map_ctx(tw, NULL, &ctx);
  int rc = parley_twitter_map_v1_tweet(item, &ctx, &ev, &err);
  if (rc == 0)
    parley_twitter_emit(tw, ev);
  else if (rc != PARLEY_ENOENT) /* ENOENT: a retweet */
    tw->host->log(tw->inst, PARLEY_LOG_WARN, "webhook: tweet skipped: %s", err.message);
  return rc;
}

static int map_dm(parley_twitter_t *tw, const json_t *item, const json_t *payload) {
  parley_twitter_map_ctx_t ctx;
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  parley_twitter_map_ctx(tw, NULL, &ctx);
  int rc = parley_twitter_map_v1_dm(item, json_object_get(payload, "users"), &ctx, &ev, &err);
  if (rc == 0)
    parley_twitter_emit(tw, ev);
  else if (rc != PARLEY_ENOENT)
    tw->host->log(tw->inst, PARLEY_LOG_WARN, "webhook: DM skipped: %s", err.message);
  return rc;
}

static void each(parley_twitter_t *tw, const json_t *payload, const char *key, map_one_fn fn) {
  size_t n;
  json_t *list = parley_sdk_json_array(payload, key, &n);
  for (size_t i = 0; i < n; i++)
    fn(tw, json_array_get(list, i), payload);
}

static void post(parley_twitter_t *tw, const parley_webhook_t *wh, parley_webhook_reply_t *rep) {
  const parley_host_t *h = tw->host;
  size_t len = 0;
  const char *body = h->webhook_body(wh, &len);
  parley_error_t err = {0};
  const char *sig = h->webhook_header(wh, "x-twitter-webhooks-signature");
  if (parley_sdk_webhook_verify_twitter(tw->cfg->consumer_secret, body ? body : "", len, sig,
                                        &err) != 0) {
    h->counter_add(tw->inst, "twitter_webhook_forged_total", 1);
    h->log(tw->inst, PARLEY_LOG_WARN, "webhook refused: %s", err.message);
    answer(rep, 401, NULL, "bad signature\n");
    return;
  }
  /* Signed, so the platform's: one bad character must not cost the other
   * events of the delivery (the same bytes would come back on every retry). */
  size_t repaired = 0;
  json_t *payload = parley_sdk_json_parse_repair(body, len, "Account Activity webhook body",
                                                 &repaired, &err);
  if (payload && repaired) {
    h->counter_add(tw->inst, "twitter_webhook_repaired_total", 1);
    h->log(tw->inst, PARLEY_LOG_WARN, "webhook delivery of %zu bytes accepted with %zu invalid "
           "characters replaced by U+FFFD (invalid UTF-8, NUL or a lone surrogate)", len, repaired);
  }
  if (!payload) {
    h->log(tw->inst, PARLEY_LOG_WARN, "webhook refused: %s", err.message);
    answer(rep, 400, NULL, "malformed JSON\n");
    return;
  }
  const char *for_user = parley_sdk_json_str(payload, "for_user_id", NULL);
  if (for_user && strcmp(for_user, tw->cfg->account_id) != 0) {
    /* another subscribed account: its own instance takes it */
    json_decref(payload);
    answer(rep, 200, NULL, "not for this account\n");
    return;
  }
  tw->repaired = repaired;
  each(tw, payload, "tweet_create_events", map_tweet);
  each(tw, payload, "direct_message_events", map_dm);
  tw->repaired = 0;
  json_decref(payload);
  h->counter_add(tw->inst, "twitter_webhook_deliveries_total", 1);
  answer(rep, 200, NULL, "ok\n");
}

void parley_twitter_webhook(void *instance, const parley_webhook_t *wh,
                            parley_webhook_reply_t *reply) {
  parley_twitter_t *tw = instance;
  const char *method = tw->host->webhook_method(wh);
  if (!tw->want_webhook) {
    answer(reply, 404, NULL, "webhook source not enabled\n");
    return;
  }
  if (strcmp(method, "GET") == 0)
    crc(tw, wh, reply);
  else if (strcmp(method, "POST") == 0)
    post(tw, wh, reply);
  else
    answer(reply, 405, NULL, "GET (CRC) or POST only\n");
}
