/* parley-sim — Twitter/X Account Activity webhooks (twitter.md §7): the
 * CRC handshake when a target is configured, and tweet_create_events /
 * direct_message_events deliveries (v1.1-shaped objects) signed with
 * x-twitter-webhooks-signature: sha256=base64(HMAC-SHA256(consumer secret,
 * body)). Deliveries stop while the CRC failed, as on X. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_twitter.h"

static const char *parley_tw_a(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static json_int_t parley_tw_num(const char *id) {
  return id ? (json_int_t)strtoll(id, NULL, 10) : 0;
}

/* v1.1 user object (§7c). */
static json_t *parley_tw_v1_user(parley_sim_t *sim, const char *id) {
  json_t *u = parley_sim_user_find(sim, PARLEY_TW, id);
  const char *h = parley_tw_a(u, "handle");
  if (h && h[0] == '@') h++;
  return json_pack("{s:I,s:s,s:s,s:s,s:I,s:b}", "id", parley_tw_num(id), "id_str", id ? id : "",
                   "name", parley_tw_a(u, "name") ? parley_tw_a(u, "name") : (h ? h : ""),
                   "screen_name", h ? h : "", "followers_count",
                   json_integer_value(json_object_get(u, "followers")), "verified",
                   json_is_true(json_object_get(u, "verified")));
}

static json_t *parley_tw_v1_entities(parley_sim_t *sim, json_t *item) {
  json_t *e = parley_tw_entities(sim, parley_tw_a(item, "text"));
  json_t *mentions = json_array(), *tags = json_array(), *m;
  size_t i;
  json_array_foreach(json_object_get(e, "mentions"), i, m) {
    const char *id = parley_tw_a(m, "id");
    json_t *u = parley_sim_user_find(sim, PARLEY_TW, id);
    json_array_append_new(mentions, json_pack("{s:O,s:s,s:I,s:s,s:[O,O]}", "screen_name",
                                              json_object_get(m, "username"), "name",
                                              parley_tw_a(u, "name") ? parley_tw_a(u, "name") : "",
                                              "id", parley_tw_num(id), "id_str", id ? id : "",
                                              "indices", json_object_get(m, "start"),
                                              json_object_get(m, "end")));
  }
  json_array_foreach(json_object_get(e, "hashtags"), i, m)
    json_array_append_new(tags, json_pack("{s:O,s:[O,O]}", "text", json_object_get(m, "tag"),
                                          "indices", json_object_get(m, "start"),
                                          json_object_get(m, "end")));
  json_decref(e);
  return json_pack("{s:o,s:[],s:o,s:[]}", "hashtags", tags, "urls", "user_mentions", mentions,
                   "symbols");
}

static json_t *parley_tw_v1_tweet(parley_sim_t *sim, json_t *item) {
  char when[48], ms[24];
  uint64_t created = (uint64_t)json_integer_value(json_object_get(item, "created_ms"));
  const char *id = parley_tw_a(item, "id"), *parent = parley_tw_a(item, "parent_id");
  const char *to = parley_tw_reply_to_user(sim, item);
  json_t *to_user = to ? parley_sim_user_find(sim, PARLEY_TW, to) : NULL;
  const char *to_handle = parley_tw_a(to_user, "handle");
  parley_tw_time_v1(created, when, sizeof when);
  snprintf(ms, sizeof ms, "%llu", (unsigned long long)created);
  json_t *t = json_pack("{s:s,s:I,s:s,s:s,s:b,s:b,s:s,s:s}", "created_at", when, "id",
                        parley_tw_num(id), "id_str", id, "text",
                        parley_tw_a(item, "text") ? parley_tw_a(item, "text") : "", "truncated", 0,
                        "is_quote_status", 0, "lang",
                        parley_tw_a(item, "lang") ? parley_tw_a(item, "lang") : "und",
                        "timestamp_ms", ms);
  json_object_set_new(t, "in_reply_to_status_id", parent ? json_integer(parley_tw_num(parent)) : json_null());
  json_object_set_new(t, "in_reply_to_status_id_str", parent ? json_string(parent) : json_null());
  json_object_set_new(t, "in_reply_to_user_id", to ? json_integer(parley_tw_num(to)) : json_null());
  json_object_set_new(t, "in_reply_to_user_id_str", to ? json_string(to) : json_null());
  json_object_set_new(t, "in_reply_to_screen_name",
                      to_handle ? json_string(to_handle[0] == '@' ? to_handle + 1 : to_handle) : json_null());
  json_object_set_new(t, "user", parley_tw_v1_user(sim, parley_tw_a(item, "author_id")));
  json_object_set_new(t, "entities", parley_tw_v1_entities(sim, item));
  return t;
}

static json_t *parley_tw_v1_dm(parley_sim_t *sim, json_t *item, const char *brand) {
  char ms[24];
  const char *to = parley_tw_a(item, "recipient_id");
  snprintf(ms, sizeof ms, "%lld", (long long)json_integer_value(json_object_get(item, "created_ms")));
  json_t *ev = json_pack("{s:s,s:O,s:s,s:{s:{s:s},s:O,s:{s:s,s:{s:[],s:[],s:[],s:[]}}}}", "type",
                         "message_create", "id", json_object_get(item, "id"), "created_timestamp", ms,
                         "message_create", "target", "recipient_id", to ? to : brand, "sender_id",
                         json_object_get(item, "author_id"), "message_data", "text",
                         parley_tw_a(item, "text") ? parley_tw_a(item, "text") : "", "entities",
                         "hashtags", "symbols", "urls", "user_mentions");
  return ev;
}

static json_t *parley_tw_v1_users_map(parley_sim_t *sim, const char *a, const char *b) {
  json_t *map = json_object();
  const char *ids[2] = {a, b};
  for (int i = 0; i < 2; i++) {
    json_t *u = ids[i] ? parley_sim_user_find(sim, PARLEY_TW, ids[i]) : NULL;
    if (!u) continue;
    const char *h = parley_tw_a(u, "handle");
    json_int_t f = json_integer_value(json_object_get(u, "followers"));
    json_object_set_new(map, ids[i], json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:I,s:I,s:I}", "id", ids[i],
                                               "created_timestamp", "1300000000000", "name",
                                               parley_tw_a(u, "name") ? parley_tw_a(u, "name") : "",
                                               "screen_name", h ? (h[0] == '@' ? h + 1 : h) : "",
                                               "protected", 0, "verified",
                                               json_is_true(json_object_get(u, "verified")),
                                               "followers_count", f, "friends_count", f / 3 + 12,
                                               "statuses_count", f / 2 + 40));
  }
  return map;
}

static void parley_tw_aaa_send(parley_sim_t *sim, parley_tw_t *tw, json_t *payload) {
  char sig[64], header[128];
  char *body = json_dumps(payload, JSON_COMPACT);
  json_decref(payload);
  if (!body) return;
  size_t len = strlen(body);
  if (parley_sim_hmac_sha256_b64(tw->consumer_secret, body, len, sig, sizeof sig) == 0) {
    snprintf(header, sizeof header, "x-twitter-webhooks-signature: sha256=%s", sig);
    const char *headers[] = {"Content-Type: application/json", header, NULL};
    parley_sim_webhook_post(sim, PARLEY_TW, body, len, headers);
  }
  free(body);
}

void parley_tw_aaa_item(parley_sim_t *sim, json_t *item) {
  parley_tw_t *tw = parley_tw_state(sim);
  if (!tw || !tw->consumer_secret || !tw->brand_id[0] || tw->crc == PARLEY_TW_CRC_INVALID ||
      !parley_sim_webhook_target(sim, PARLEY_TW))
    return;
  const char *type = parley_tw_a(item, "type"), *author = parley_tw_a(item, "author_id");
  int by_brand = author && !strcmp(author, tw->brand_id);
  if (type && !strcmp(type, "tweet")) {
    if (!by_brand && !parley_tw_mentions_user(sim, item, tw->brand_id)) return;
    json_t *p = json_pack("{s:s,s:[o]}", "for_user_id", tw->brand_id, "tweet_create_events",
                          parley_tw_v1_tweet(sim, item));
    if (!by_brand) json_object_set_new(p, "user_has_blocked", json_false()); /* mentions only */
    parley_tw_aaa_send(sim, tw, p);
  } else if (type && !strcmp(type, "dm")) {
    const char *to = parley_tw_a(item, "recipient_id");
    if (!by_brand && to && strcmp(to, tw->brand_id)) return;
    json_t *p = json_pack("{s:s,s:[o],s:o}", "for_user_id", tw->brand_id, "direct_message_events",
                          parley_tw_v1_dm(sim, item, tw->brand_id), "users",
                          parley_tw_v1_users_map(sim, author, to ? to : tw->brand_id));
    parley_tw_aaa_send(sim, tw, p);
  }
}

/* ---- CRC (§7a) ------------------------------------------------------------ */

static void parley_tw_crc_done(parley_sim_t *sim, long status, const char *body, size_t len,
                               void *data) {
  parley_tw_t *tw = parley_tw_state(sim);
  char sig[64], want[80];
  if (!tw) return;
  json_t *j = status == 200 ? json_loadb(body, len, 0, NULL) : NULL;
  const char *got = parley_tw_a(j, "response_token");
  int valid = 0;
  if (got && parley_sim_hmac_sha256_b64(tw->consumer_secret, tw->crc_token, strlen(tw->crc_token),
                                        sig, sizeof sig) == 0) {
    snprintf(want, sizeof want, "sha256=%s", sig);
    valid = !strcmp(got, want);
  }
  json_decref(j);
  tw->crc = valid ? PARLEY_TW_CRC_VALID : PARLEY_TW_CRC_INVALID;
  parley_sim_webhook_log(sim, PARLEY_TW, json_pack("{s:s,s:I,s:b,s:s}", "kind", "crc", "status",
                                                   (json_int_t)status, "valid", valid, "detail",
                                                   valid ? "response_token matches"
                                                         : "response_token missing or wrong: webhook marked invalid, deliveries stop"));
}

void parley_tw_aaa_crc(parley_sim_t *sim, const char *url) {
  parley_tw_t *tw = parley_tw_state(sim);
  char full[2048];
  if (!tw) return;
  if (!tw->consumer_secret) {
    parley_sim_webhook_log(sim, PARLEY_TW, json_pack("{s:s,s:s}", "kind", "crc", "detail",
                                                     "no platforms.twitter.consumer_secret in the scenario: no CRC, no deliveries"));
    return;
  }
  uint64_t a = parley_sim_random(sim), b = parley_sim_random(sim);
  snprintf(tw->crc_token, sizeof tw->crc_token, "%08llx-%04llx-4%03llx-%04llx-%012llx",
           (unsigned long long)(a >> 32), (unsigned long long)(a >> 16 & 0xffff),
           (unsigned long long)(a & 0xfff), (unsigned long long)(b >> 48),
           (unsigned long long)(b & 0xffffffffffffULL));
  snprintf(full, sizeof full, "%s%ccrc_token=%s", url, strchr(url, '?') ? '&' : '?', tw->crc_token);
  tw->crc = PARLEY_TW_CRC_PENDING;
  parley_sim_webhook_get(sim, PARLEY_TW, full, parley_tw_crc_done, NULL);
}
