/* parley-sim — Twitter/X direct messages v2 (twitter.md §5): the event
 * lists (all, by participant, by conversation; newest first, no since_id)
 * and sending into a one-to-one conversation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_twitter.h"

typedef struct parley_tw_dm_ctx {
  parley_sim_t *sim;
  const char *user;          /* the token's user */
  const char *with;          /* other participant, or NULL */
  const char *conversation;  /* conversation id, or NULL */
  int message_create;        /* event_types allows MessageCreate */
} parley_tw_dm_ctx_t;

static const char *parley_tw_dm_s(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

/* The other participant of a DM from the point of view of user, or NULL
 * when user is not part of it. */
static const char *parley_tw_dm_other(parley_sim_t *sim, json_t *item, const char *user) {
  const char *a = parley_tw_dm_s(item, "author_id"), *b = parley_tw_dm_s(item, "recipient_id");
  if (!b) b = parley_tw_dm_s(parley_sim_account(sim, PARLEY_TW), "id");
  if (a && !strcmp(a, user)) return b;
  if (b && !strcmp(b, user)) return a;
  return NULL;
}

static int parley_tw_dm_match(json_t *item, void *data) {
  parley_tw_dm_ctx_t *d = data;
  char cid[80];
  const char *other = parley_tw_dm_other(d->sim, item, d->user);
  if (!other || !d->message_create) return 0;
  if (d->with && strcmp(other, d->with)) return 0;
  if (d->conversation) {
    parley_tw_dm_conversation_id(d->sim, item, cid, sizeof cid);
    if (strcmp(cid, d->conversation)) return 0;
  }
  return 1;
}

void parley_tw_dm_list(parley_tw_call_t *c, const char *with, const char *conversation) {
  char types[128];
  if (parley_tw_gate(c, PARLEY_TW_AUTH_USER, "dm.read", "dm_events", 15, 15) != 0) return;
  const char *t = parley_tw_param(c, "event_types", types, sizeof types);
  parley_tw_dm_ctx_t d = {c->sim, c->user_id, with, conversation,
                          !t || parley_tw_has(t, "MessageCreate")};
  parley_sim_filter_t f = {.platform = PARLEY_TW, .type = "dm", .include_hidden = 1,
                           .match = parley_tw_dm_match, .match_data = &d};
  parley_tw_page_opts_t o = {1, 100, 100, 1, 0, 1, "pagination_token"};
  parley_tw_page(c, &f, &o);
}

/* The participant a message to conversation "a-b" goes to, or NULL. */
static const char *parley_tw_dm_peer(const char *conversation, const char *user, char *buf,
                                     size_t len) {
  const char *dash = strchr(conversation, '-');
  if (!dash) return NULL;
  size_t n = (size_t)(dash - conversation);
  if (strlen(user) == n && !strncmp(conversation, user, n)) {
    snprintf(buf, len, "%s", dash + 1);
    return buf;
  }
  if (!strcmp(dash + 1, user)) {
    snprintf(buf, len, "%.*s", (int)n, conversation);
    return buf;
  }
  return NULL;
}

void parley_tw_dm_send(parley_tw_call_t *c, const char *with, const char *conversation) {
  parley_error_t err = {0};
  char peer_buf[32], cid[80];
  if (parley_tw_gate(c, PARLEY_TW_AUTH_USER, "dm.write", "dm_conversations/messages", 15, 15) != 0)
    return;
  json_t *b = parley_sim_req_json(c->req, &err);
  const char *text = parley_tw_dm_s(b, "text");
  if (!text || !*text) {
    parley_tw_invalid_param(c, "text", "", b ? "The `text` field is required when no attachments are given"
                                              : err.message);
    json_decref(b);
    return;
  }
  const char *peer = with ? with : parley_tw_dm_peer(conversation, c->user_id, peer_buf, sizeof peer_buf);
  json_t *user = peer ? parley_sim_user_find(c->sim, PARLEY_TW, peer) : NULL;
  if (!user || json_is_false(json_object_get(user, "accepts_dm"))) {
    json_decref(b);
    parley_tw_problem(c, 403, "Forbidden", "about:blank",
                      "You are not permitted to send Direct Messages to this user.");
    return;
  }
  json_t *item = json_pack("{s:s,s:s,s:s,s:s,s:s}", "platform", PARLEY_TW, "type", "dm", "author_id",
                           c->user_id, "recipient_id", peer, "text", text);
  json_decref(b);
  json_t *stored = parley_sim_item_add(c->sim, item, &err);
  if (!stored) {
    parley_tw_problem(c, 503, "Service Unavailable", "about:blank", err.message);
    return;
  }
  parley_tw_dm_conversation_id(c->sim, stored, cid, sizeof cid);
  const char *id = parley_tw_dm_s(stored, "id");
  parley_sim_record(c->sim, PARLEY_TW, json_pack("{s:s,s:s,s:s,s:s,s:s}", "action", "dm", "id", id,
                                                 "recipient_id", peer, "dm_conversation_id", cid,
                                                 "text", parley_tw_dm_s(stored, "text")));
  parley_tw_reply(c, 201, json_pack("{s:{s:s,s:s}}", "data", "dm_conversation_id", cid,
                                    "dm_event_id", id));
}
