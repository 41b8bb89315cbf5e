/* twitter — actions: public reply, DM, hide and unhide (§5b, §6).
 *
 * reply_public   POST /2/tweets {"text", "reply":{"in_reply_to_tweet_id"}}
 * direct_message POST /2/dm_conversations/:id/messages (into a conversation)
 *                or /2/dm_conversations/with/:participant_id/messages
 * hide / unhide  PUT /2/tweets/:id/hidden {"hidden": true|false}
 *
 * All run with the user token. The core has checked the idempotency key; a
 * POST is not retried after a timeout (it may have been performed), so a
 * key is performed at most once. A created reply or DM is also emitted as an
 * outbound event, so it appears in the conversation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/sdk/json.h"
#include "parley/sdk/paging.h"
#include "twitter.h"

typedef struct tw_action {
  parley_twitter_t *tw;
  parley_action_req_t *req;
  parley_action_type_t type;
  char target[PARLEY_SDK_ID_MAX]; /* tweet id without the "twitter:" prefix */
} tw_action_t;

static void done(parley_twitter_t *tw, parley_action_req_t *req, int status, long http,
                 const char *code, const char *msg, const char *id) {
  parley_action_result_t res = {.status = status, .platform_id = id, .http_status = (int)http,
                                .error_code = code && *code ? code : NULL, .message = msg};
  tw->host->counter_add(tw->inst, status == 0 ? "twitter_actions_done_total"
                                              : "twitter_actions_failed_total", 1);
  tw->host->action_done(req, &res);
}

/* "twitter:123" -> "123"; only digits pass, so nothing odd reaches a URL. */
static int target_id(const char *target, char *buf, size_t len) {
  const char *prefix = PARLEY_TWITTER_PLATFORM ":";
  if (!target)
    return PARLEY_EINVAL;
  if (strncmp(target, prefix, strlen(prefix)) == 0)
    target += strlen(prefix);
  if (!parley_sdk_id_valid(target) || strlen(target) >= len)
    return PARLEY_EINVAL;
  snprintf(buf, len, "%s", target);
  return 0;
}

/* A DM conversation id: "<id>-<id>" or a group's plain id (§5a). */
static int conversation_ok(const char *s) {
  if (!s || !*s || strlen(s) > 64)
    return 0;
  for (; *s; s++)
    if ((*s < '0' || *s > '9') && *s != '-')
      return 0;
  return 1;
}

static void emit_outbound(tw_action_t *a, const parley_action_t *act, const char *id,
                          const char *conversation) {
  parley_twitter_t *tw = a->tw;
  char buf[PARLEY_SDK_ID_MAX + 96];
  parley_event_t *ev = parley_event_new();
  if (!ev)
    return;
  int public = a->type == PARLEY_ACTION_REPLY_PUBLIC;
  parley_twitter_map_ctx_t ctx;
  parley_twitter_map_ctx(tw, NULL, &ctx);
  snprintf(buf, sizeof buf, PARLEY_TWITTER_PLATFORM ":%s", id);
  parley_event_set_id(ev, buf);
  parley_event_set_platform(ev, PARLEY_TWITTER_PLATFORM);
  parley_event_set_account(ev, ctx.account);
  parley_event_set_kind(ev, PARLEY_KIND_OUTBOUND);
  parley_event_set_visibility(ev, public ? PARLEY_VISIBILITY_PUBLIC : PARLEY_VISIBILITY_PRIVATE);
  parley_event_set_conversation_id(ev, conversation);
  if (public) {
    snprintf(buf, sizeof buf, PARLEY_TWITTER_PLATFORM ":%s", a->target);
    parley_event_set_in_reply_to(ev, buf);
    if (tw->cfg->account_handle && *tw->cfg->account_handle) {
      snprintf(buf, sizeof buf, "https://x.com/%s/status/%s", tw->cfg->account_handle, id);
      parley_event_set_url(ev, buf);
    }
  }
  parley_event_set_author_id(ev, tw->cfg->account_id);
  parley_event_set_author_handle(ev, tw->cfg->account_handle);
  parley_event_set_text(ev, parley_action_text(act));
  parley_event_set_created_at(ev, tw->host->wall_ms(tw->inst));
  parley_twitter_emit(tw, ev);
}

static void on_answer(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data) {
  tw_action_t *a = data;
  parley_twitter_t *tw = a->tw;
  (void)c;
  if (r->status < 0) {
    if (!tw->stopping)
      parley_twitter_auth_failed(tw, r, 1);
    done(tw, a->req, r->status, r->http_status, r->error->platform_code, r->error->message, NULL);
    free(a);
    return;
  }
  parley_twitter_auth_ok(tw, 1);
  const parley_action_t *act = tw->host->action_get(a->req);
  const char *id = NULL;
  if (a->type == PARLEY_ACTION_REPLY_PUBLIC) {
    id = parley_sdk_json_str(r->json, "data.id", NULL);
    const char *conv = parley_action_conversation_id(act);
    if (id)
      emit_outbound(a, act, id, conv ? conv : a->target);
  } else if (a->type == PARLEY_ACTION_DIRECT_MESSAGE) {
    id = parley_sdk_json_str(r->json, "data.dm_event_id", NULL);
    const char *conv = parley_sdk_json_str(r->json, "data.dm_conversation_id", NULL);
    if (id)
      emit_outbound(a, act, id, conv ? conv : parley_action_conversation_id(act));
  }
  done(tw, a->req, 0, r->http_status, NULL, NULL, id);
  free(a);
}

/* Build the request of an action into url/body; returns 0 or a message. */
static const char *build(tw_action_t *a, const parley_action_t *act, char *url, size_t len,
                         json_t **body, const char **method) {
  const char *base = a->tw->base;
  const char *text = parley_action_text(act);
  switch (a->type) {
  case PARLEY_ACTION_REPLY_PUBLIC:
    if (target_id(parley_action_target(act), a->target, sizeof a->target) != 0)
      return "reply_public needs target \"twitter:<tweet id>\"";
    snprintf(url, len, "%s/2/tweets", base);
    *body = json_pack("{s:s,s:{s:s}}", "text", text ? text : "", "reply",
                      "in_reply_to_tweet_id", a->target);
    *method = "POST";
    return NULL;
  case PARLEY_ACTION_DIRECT_MESSAGE: {
    const char *conv = parley_action_conversation_id(act), *to = parley_action_recipient(act);
    if (conversation_ok(conv))
      snprintf(url, len, "%s/2/dm_conversations/%s/messages", base, conv);
    else if (parley_sdk_id_valid(to))
      snprintf(url, len, "%s/2/dm_conversations/with/%s/messages", base, to);
    else
      return "direct_message needs conversation_id (\"<id>-<id>\") or a numeric recipient";
    *body = json_pack("{s:s}", "text", text ? text : "");
    *method = "POST";
    return NULL;
  }
  case PARLEY_ACTION_HIDE:
  case PARLEY_ACTION_UNHIDE:
    if (target_id(parley_action_target(act), a->target, sizeof a->target) != 0)
      return "hide/unhide needs target \"twitter:<tweet id>\"";
    snprintf(url, len, "%s/2/tweets/%s/hidden", base, a->target);
    *body = json_pack("{s:b}", "hidden", a->type == PARLEY_ACTION_HIDE);
    *method = "PUT";
    return NULL;
  default:
    return NULL;
  }
}

static const char *endpoint_of(parley_action_type_t t, const char *url) {
  if (t == PARLEY_ACTION_REPLY_PUBLIC)
    return "POST /2/tweets";
  if (t == PARLEY_ACTION_DIRECT_MESSAGE)
    return strstr(url, "/with/") ? "POST /2/dm_conversations/with/:id/messages"
                                 : "POST /2/dm_conversations/:id/messages";
  return "PUT /2/tweets/:id/hidden";
}

void parley_twitter_action(void *instance, parley_action_req_t *req) {
  parley_twitter_t *tw = instance;
  const parley_action_t *act = tw->host->action_get(req);
  tw_action_t *a = calloc(1, sizeof *a);
  char url[700];
  json_t *body = NULL;
  const char *method = NULL;
  if (!a) {
    done(tw, req, PARLEY_ENOMEM, 0, NULL, "twitter: out of memory", NULL);
    return;
  }
  *a = (tw_action_t){.tw = tw, .req = req, .type = parley_action_type(act)};
  if (a->type == PARLEY_ACTION_REPLY_PRIVATE) {
    free(a);
    done(tw, req, PARLEY_ENOTSUP, 0, NULL,
         "twitter: reply_private does not exist on X; use direct_message", NULL);
    return;
  }
  const char *why = build(a, act, url, sizeof url, &body, &method);
  if (why || !body) {
    char msg[200];
    snprintf(msg, sizeof msg, "twitter: %s", why ? why : "out of memory");
    free(a);
    json_decref(body);
    done(tw, req, why ? PARLEY_EINVAL : PARLEY_ENOMEM, 0, NULL, msg, NULL);
    return;
  }
  parley_sdk_http_call_t call = {.method = method, .url = url,
                                 .endpoint = endpoint_of(a->type, url), .json = body};
  int rc = tw->stopping ? PARLEY_ESTATE : parley_sdk_http_send(tw->user, &call, on_answer, a, NULL);
  json_decref(body);
  if (rc) {
    free(a);
    done(tw, req, rc, 0, NULL, "twitter: the request could not be sent", NULL);
  }
}
