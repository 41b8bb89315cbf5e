/* meta — webhooks at /hooks/<instance> (facebook.md §12, instagram.md §9).
 *
 * GET  the subscription check: hub.mode=subscribe and hub.verify_token
 *      (constant time) -> 200 with hub.challenge verbatim; else 403.
 * POST X-Hub-Signature-256 over the raw body with the app secret, checked
 *      in constant time before anything is parsed; forged -> 401, counted,
 *      logged without the body. Bad characters (invalid UTF-8, NUL, lone
 *      surrogates) are repaired to U+FFFD, counted and logged by number.
 *      Then the envelope is checked whole (400
 *      when malformed, before any event is emitted, so a bad delivery has
 *      no partial effect) and walked entry by entry: one Meta app delivers
 *      every Page / IG account to one URL, so entries of ids this instance
 *      is not configured for are counted and ignored; changes[] go to the
 *      plugin's mapping, messaging[] to the shared one, anything else is
 *      emitted as kind unknown. The core answers our 200 only once the
 *      events are in the journal (503 otherwise, so Meta retries). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"
#include "parley/sdk/logtext.h"
#include "parley/sdk/json.h"
#include "parley/sdk/webhook.h"

#define META_HUB_MAX 512

static void answer(parley_webhook_reply_t *rep, int status, const char *ctype, const char *body) {
  *rep = (parley_webhook_reply_t){.status = status, .content_type = ctype, .body = body,
                                  .body_len = strlen(body)};
}

static void verify_get(parley_meta_t *m, const parley_webhook_t *wh, parley_webhook_reply_t *rep) {
  static char challenge[META_HUB_MAX]; /* copied by the core after we return */
  char mode[32] = "", token[META_HUB_MAX] = "";
  const parley_host_t *h = m->host;
  parley_error_t err = {0};
  h->webhook_query(wh, "hub.mode", mode, sizeof mode);
  h->webhook_query(wh, "hub.verify_token", token, sizeof token);
  if (h->webhook_query(wh, "hub.challenge", challenge, sizeof challenge) <= 0)
    challenge[0] = '\0';
  const char *expected = m->cfg->verify_token;
  if (!expected || !*expected ||
      parley_sdk_webhook_meta_challenge(mode, token, expected, challenge, &err) != 0) {
    parley_meta_count(m, "webhook_verify_refused_total", 1);
    h->log(m->inst, PARLEY_LOG_WARN, "subscription check refused: %s",
           expected && *expected ? err.message : "verify_token is not configured");
    answer(rep, 403, NULL, "verification refused\n");
    return;
  }
  parley_meta_count(m, "webhook_verified_total", 1);
  h->log(m->inst, PARLEY_LOG_INFO, "subscription check answered");
  answer(rep, 200, "text/plain", challenge);
}

/* The envelope must be {"object": s, "entry": [{"id", ...}, ...]} with
 * changes/messaging arrays of objects. NULL when fine, else what is wrong. */
static const char *malformed(const json_t *env, char *buf, size_t len) {
  const json_t *entries = json_object_get(env, "entry");
  size_t i, k;
  json_t *e, *c;
  if (!json_is_object(env) || !json_is_string(json_object_get(env, "object")))
    return "the envelope has no \"object\" string";
  if (!json_is_array(entries))
    return "the envelope has no \"entry\" array";
  json_array_foreach(entries, i, e) {
    const json_t *id = json_object_get(e, "id");
    if (!json_is_object(e) || !(json_is_string(id) || json_is_integer(id))) {
      snprintf(buf, len, "entry[%zu] is not an object with an id", i);
      return buf;
    }
    const char *lists[] = {"changes", "messaging"};
    for (size_t l = 0; l < 2; l++) {
      const json_t *list = json_object_get(e, lists[l]);
      if (list && !json_is_array(list)) {
        snprintf(buf, len, "entry[%zu].%s is not an array", i, lists[l]);
        return buf;
      }
      json_array_foreach(list, k, c) if (!json_is_object(c) ||
                                         (l == 0 && !json_is_string(json_object_get(c, "field")))) {
        snprintf(buf, len, "entry[%zu].%s[%zu] is not an object%s", i, lists[l], k,
                 l == 0 ? " with a field" : "");
        return buf;
      }
    }
  }
  return NULL;
}

static void emit_or_log(parley_meta_t *m, int rc, parley_event_t *ev, const parley_error_t *err) {
  if (rc == 0 && ev)
    parley_meta_emit(m, ev);
  else if (rc != 0)
    m->host->log(m->inst, PARLEY_LOG_WARN, "webhook item not mapped: %s", err->message);
}

static void walk_changes(parley_meta_t *m, const char *account, int64_t when, const json_t *list) {
  size_t i;
  json_t *c;
  json_array_foreach(list, i, c) {
    parley_meta_change_t ch = {.account = account, .entry_time_ms = when,
                               .field = json_string_value(json_object_get(c, "field")),
                               .value = json_object_get(c, "value"), .raw = c};
    parley_event_t *ev = NULL;
    parley_error_t err = {0};
    int rc = m->plat->map_change(m, &ch, &ev, &err);
    if (rc == PARLEY_ENOENT) {
      char what[96], shown[48];
      snprintf(what, sizeof what, "change field %s",
               parley_sdk_log_word(shown, sizeof shown, ch.field));
      ev = parley_meta_unknown_event(m, account, what, c, when);
      rc = ev ? 0 : PARLEY_ENOMEM;
    }
    emit_or_log(m, rc, ev, &err);
  }
}

static void walk_messaging(parley_meta_t *m, const char *account, int64_t when,
                           const json_t *list) {
  size_t i;
  json_t *item;
  json_array_foreach(list, i, item) {
    parley_event_t *ev = NULL;
    parley_error_t err = {0};
    int rc = parley_meta_map_messaging(m, account, item, when, &ev, &err);
    emit_or_log(m, rc, ev, &err);
  }
}

/* Lists an entry may carry besides changes/messaging (e.g. the handover
 * protocol's "standby"): each item is emitted as unknown, never dropped. */
static void walk_other(parley_meta_t *m, const char *account, int64_t when, const json_t *entry) {
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)entry, key, v) {
    if (!json_is_array(v) || !strcmp(key, "changes") || !strcmp(key, "messaging"))
      continue;
    size_t i;
    json_t *item;
    char what[96], shown[48];
    snprintf(what, sizeof what, "entry list %s", parley_sdk_log_word(shown, sizeof shown, key));
    json_array_foreach(v, i, item) {
      parley_event_t *ev = parley_meta_unknown_event(m, account, what, item, when);
      if (ev)
        parley_meta_emit(m, ev);
    }
  }
}

static void walk(parley_meta_t *m, const json_t *env) {
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(env, "entry"), i, e) {
    char id[PARLEY_META_ID_MAX] = "";
    if (parley_sdk_json_id(e, "id", id, sizeof id) < 0 || !parley_meta_is_account(m, id)) {
      /* another Page / account of the same app: not ours */
      parley_meta_count(m, "webhook_unknown_entries_total", 1);
      char shown[PARLEY_META_ID_MAX + 4];
      m->host->log(m->inst, PARLEY_LOG_DEBUG, "webhook entry for id %s ignored: not in %s",
                   parley_sdk_log_word(shown, sizeof shown, id), m->plat->list_option);
      continue;
    }
    int64_t when = 0;
    parley_meta_time(json_object_get(e, "time"), &when);
    walk_changes(m, id, when, json_object_get(e, "changes"));
    walk_messaging(m, id, when, json_object_get(e, "messaging"));
    walk_other(m, id, when, e);
  }
}

static void post(parley_meta_t *m, const parley_webhook_t *wh, parley_webhook_reply_t *rep) {
  const parley_host_t *h = m->host;
  size_t len = 0;
  const char *body = h->webhook_body(wh, &len);
  parley_error_t err = {0};
  const char *sig = h->webhook_header(wh, "x-hub-signature-256");
  if (parley_sdk_webhook_verify_meta(m->cfg->app_secret, body ? body : "", len, sig, &err) != 0) {
    parley_meta_count(m, "webhook_forged_total", 1);
    h->log(m->inst, PARLEY_LOG_WARN, "forged webhook refused (%zu bytes, body not logged): %s",
           len, err.message);
    answer(rep, 401, NULL, "bad signature\n");
    return;
  }
  /* The delivery is signed, so it is the platform's: one bad character in
   * one message must not cost the others (Meta resends the same bytes, then
   * gives up). Repaired text carries U+FFFD where the bad character was. */
  size_t repaired = 0;
  json_t *env = parley_sdk_json_parse_repair(body, len, "webhook envelope", &repaired, &err);
  if (env && repaired) {
    parley_meta_count(m, "webhook_repaired_total", 1);
    h->log(m->inst, PARLEY_LOG_WARN,
           "webhook delivery of %zu bytes accepted with %zu invalid characters replaced by "
           "U+FFFD (invalid UTF-8, NUL or a lone surrogate)", len, repaired);
  }
  char why[128];
  const char *bad = env ? malformed(env, why, sizeof why) : err.message;
  if (bad) {
    parley_meta_count(m, "webhook_malformed_total", 1);
    h->log(m->inst, PARLEY_LOG_WARN, "malformed webhook envelope refused: %s", bad);
    json_decref(env);
    answer(rep, 400, NULL, "malformed envelope\n");
    return;
  }
  const char *object = json_string_value(json_object_get(env, "object"));
  if (strcmp(object, m->plat->object) != 0) {
    parley_meta_count(m, "webhook_other_object_total", 1);
    char shown[48]; /* the platform's value: a word, or only its size */
    h->log(m->inst, PARLEY_LOG_WARN, "webhook for object %s ignored (this connector takes '%s')",
           parley_sdk_log_word(shown, sizeof shown, object), m->plat->object);
  } else {
    m->repaired = repaired; /* every event of this delivery is marked */
    walk(m, env);
    m->repaired = 0;
  }
  json_decref(env);
  parley_meta_count(m, "webhook_deliveries_total", 1);
  answer(rep, 200, NULL, "EVENT_RECEIVED");
}

void parley_meta_webhook(void *instance, const parley_webhook_t *wh, parley_webhook_reply_t *reply) {
  parley_meta_t *m = instance;
  const char *method = m->host->webhook_method(wh);
  if (strcmp(method, "GET") == 0)
    verify_get(m, wh, reply);
  else if (strcmp(method, "POST") == 0)
    post(m, wh, reply);
  else
    answer(reply, 405, NULL, "GET (subscription check) or POST only\n");
}
