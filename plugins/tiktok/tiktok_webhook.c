/* tiktok — webhooks at /hooks/<instance> (§5).
 *
 * Every POST carries TikTok-Signature: t=<unix s>,s=<hex HMAC-SHA256(
 * client_secret, t + "." + raw body)> (§5.3). It is checked in constant time
 * on the raw body before anything is parsed, and refused when t is further
 * than webhook_tolerance from now (replays). Forged, stale or unsigned
 * deliveries get 401, are counted (tiktok_webhook_forged_total) and logged
 * without the body. The envelope {client_key, event, create_time,
 * user_openid, content} carries content as a JSON string (§5.1):
 *   comment.update         -> the comment's event (same id as the poller's);
 *                             a deletion -> kind deleted; and an early
 *                             back-fill pass for authoritative data (§5.2)
 *   authorization.removed  -> the instance reports unhealthy (§5.1)
 *   tiktok.ping            -> acknowledged
 *   anything else          -> kind unknown with the envelope in raw, counted
 * Deliveries for another business account are acknowledged and ignored.
 * The core answers 2xx only once the events are in the journal, 503
 * otherwise, so TikTok retries (for up to 72 h) rather than losing them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/sdk/encode.h"
#include "parley/sdk/json.h"
#include "parley/sdk/time.h"
#include "parley/sdk/webhook.h"
#include "tiktok.h"

static void answer(parley_webhook_reply_t *rep, int status, const char *body) {
  *rep = (parley_webhook_reply_t){.status = status, .body = body, .body_len = strlen(body)};
}

/* A stable id for a delivery without an item id of its own: a hash of the
 * signed timestamp and body (a retried delivery hashes the same). */
static void delivery_id(const char *body, size_t len, char *buf, size_t buflen) {
  uint8_t mac[PARLEY_SDK_SHA256_LEN];
  char hex[PARLEY_SDK_HEX_LEN(16)];
  parley_sdk_hmac_sha256("parley-tiktok-delivery", 22, body, len, mac);
  parley_sdk_hex_encode(mac, 16, hex, sizeof hex);
  snprintf(buf, buflen, PARLEY_TIKTOK_PLATFORM ":webhook~%s", hex);
}

static void emit_unknown(parley_tiktok_t *t, const json_t *env, const char *body, size_t len) {
  char id[96];
  int64_t ms;
  char *raw = json_dumps(env, JSON_COMPACT);
  parley_event_t *ev = parley_event_new();
  if (ev && raw) {
    delivery_id(body, len, id, sizeof id);
    parley_event_set_id(ev, id);
    parley_event_set_platform(ev, PARLEY_TIKTOK_PLATFORM);
    parley_event_set_account(ev, t->account);
    parley_event_set_kind(ev, PARLEY_KIND_UNKNOWN);
    parley_event_set_visibility(ev, PARLEY_VISIBILITY_PRIVATE);
    if (parley_sdk_time_from_json(env, "create_time", &ms) != 0)
      ms = t->host->wall_ms(t->inst);
    parley_event_set_created_at(ev, ms);
    parley_event_set_raw(ev, raw, strlen(raw));
    parley_tiktok_count(t, "webhook_unknown_total", 1);
    parley_tiktok_emit(t, ev);
    ev = NULL;
  }
  parley_event_free(ev);
  free(raw);
}

/* comment.update with a delete action: a deleted event for the comment. */
static int emit_deleted(parley_tiktok_t *t, const json_t *c, int64_t fallback_ms) {
  char id[PARLEY_TIKTOK_ID_MAX + 32], ref[PARLEY_TIKTOK_ID_MAX + 16];
  const char *cid = parley_sdk_json_str(c, "comment_id", NULL);
  const char *video = parley_sdk_json_str(c, "video_id", NULL);
  int64_t ms = parley_tiktok_comment_ms(c);
  if (parley_tiktok_event_id(cid, ref, sizeof ref) != 0)
    return PARLEY_EINVAL;
  parley_event_t *ev = parley_event_new();
  if (!ev)
    return PARLEY_ENOMEM;
  snprintf(id, sizeof id, "%s~deleted", ref);
  parley_event_set_id(ev, id);
  parley_event_set_platform(ev, PARLEY_TIKTOK_PLATFORM);
  parley_event_set_account(ev, t->account);
  parley_event_set_kind(ev, PARLEY_KIND_DELETED);
  parley_event_set_visibility(ev, PARLEY_VISIBILITY_PUBLIC);
  parley_event_set_in_reply_to(ev, ref);
  if (parley_tiktok_event_id(video, ref, sizeof ref) == 0)
    parley_event_set_conversation_id(ev, ref);
  parley_event_set_created_at(ev, ms > 0 ? ms : fallback_ms);
  parley_tiktok_emit(t, ev);
  return 0;
}

static int is_delete(const json_t *c) {
  const char *a = parley_sdk_json_str(c, "comment_action", NULL);
  return a && (strcmp(a, "delete") == 0 || strcmp(a, "deleted") == 0 || strcmp(a, "DELETE") == 0);
}

/* Returns 0 when the comment became an event. */
static int comment_update(parley_tiktok_t *t, const json_t *env, const json_t *content) {
  /* a deletion's time when its content has none: the delivery's, else now
   * (an event without a time is refused by the core: the deletion lost) */
  int64_t ms;
  if (parley_sdk_time_from_json(env, "create_time", &ms) != 0)
    ms = t->host->wall_ms(t->inst);
  if (is_delete(content))
    return emit_deleted(t, content, ms);
  parley_tiktok_map_ctx_t ctx = {.account = t->account, .account_handle = t->cfg->account_handle,
                                 .level = PARLEY_TIKTOK_LEVEL_AUTO,
                                 .include_raw = t->cfg->include_raw};
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  int rc = parley_tiktok_map_comment(content, &ctx, &ev, &err);
  if (rc) {
    t->host->log(t->inst, PARLEY_LOG_WARN, "webhook: comment.update not mapped: %s",
                 err.message);
    return rc;
  }
  parley_tiktok_emit(t, ev);
  /* the content is unverified (§5.2): an early pass fetches the comment
   * and any reply thread as the API lists them; dedup keeps one */
  parley_sdk_poll_now(t->poll);
  return 0;
}

static void dispatch(parley_tiktok_t *t, const json_t *env, const char *body, size_t len) {
  const char *event = parley_sdk_json_str(env, "event", "");
  parley_error_t err = {0};
  size_t inner = 0;
  json_t *content = json_is_string(json_object_get(env, "content"))
                        ? parley_sdk_json_embedded_repair(env, "content", &inner, &err)
                        : json_incref(json_object_get(env, "content"));
  t->repaired += inner;
  if (strcmp(event, "tiktok.ping") == 0) {
    parley_tiktok_count(t, "webhook_pings_total", 1);
  } else if (strcmp(event, "authorization.removed") == 0) {
    parley_tiktok_auth_revoked(t, parley_sdk_json_int(content, "reason", 0));
  } else if (strcmp(event, "comment.update") != 0 || comment_update(t, env, content) != 0) {
    emit_unknown(t, env, body, len); /* never dropped silently */
  }
  json_decref(content);
}

static void post(parley_tiktok_t *t, const parley_webhook_t *wh, parley_webhook_reply_t *rep) {
  const parley_host_t *h = t->host;
  size_t len = 0;
  const char *body = h->webhook_body(wh, &len);
  parley_error_t err = {0};
  int64_t now_s = h->wall_ms(t->inst) / 1000;
  if (parley_sdk_webhook_verify_tiktok(t->cfg->client_secret, body ? body : "", len,
                                       h->webhook_header(wh, "TikTok-Signature"), now_s,
                                       t->cfg->webhook_tolerance_ms / 1000, &err) != 0) {
    parley_tiktok_count(t, "webhook_forged_total", 1);
    h->log(t->inst, PARLEY_LOG_WARN, "forged webhook refused: %s", err.message);
    answer(rep, 401, "bad signature\n");
    return;
  }
  size_t repaired = 0; /* signed: a bad character must not cost the delivery */
  json_t *env = parley_sdk_json_parse_repair(body, len, "TikTok webhook body", &repaired, &err);
  if (!json_is_object(env) || !parley_sdk_json_str(env, "event", NULL)) {
    parley_tiktok_count(t, "webhook_malformed_total", 1);
    h->log(t->inst, PARLEY_LOG_WARN, "webhook refused: %s",
           env ? "no \"event\" in the envelope" : err.message);
    json_decref(env);
    answer(rep, 400, "malformed envelope\n");
    return;
  }
  const char *owner = parley_sdk_json_str(env, "user_openid", NULL);
  if (owner && *owner && strcmp(owner, t->cfg->business_id) != 0) {
    parley_tiktok_count(t, "webhook_other_account_total", 1);
    answer(rep, 200, "not for this account\n"); /* its own instance takes it */
  } else {
    t->repaired = repaired;
    dispatch(t, env, body, len);
    if (t->repaired) {
      parley_tiktok_count(t, "webhook_repaired_total", 1);
      h->log(t->inst, PARLEY_LOG_WARN, "webhook delivery of %zu bytes accepted with %zu invalid "
             "characters replaced by U+FFFD (invalid UTF-8, NUL or a lone surrogate)", len,
             t->repaired);
    }
    t->repaired = 0;
    parley_tiktok_count(t, "webhook_deliveries_total", 1);
    answer(rep, 200, "ok\n");
  }
  json_decref(env);
}

void parley_tiktok_webhook(void *instance, const parley_webhook_t *wh,
                           parley_webhook_reply_t *reply) {
  parley_tiktok_t *t = instance;
  if (!t->cfg->client_secret || !*t->cfg->client_secret) {
    answer(reply, 404, "webhooks need the client_secret option (TikTok-Signature)\n");
    return;
  }
  if (strcmp(t->host->webhook_method(wh), "POST") != 0) {
    answer(reply, 405, "POST only\n");
    return;
  }
  post(t, wh, reply);
}
