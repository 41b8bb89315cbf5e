/* tiktok — actions on comments of the account's own videos (§4.3-§4.5).
 *
 * reply_public  target "tiktok:<comment id>": POST business/comment/reply/create/
 *               target = the video (or none): POST business/comment/create/
 *               both need the video id: the action's conversation_id
 *               ("tiktok:<video id>", the event's conversation_id)
 * hide/unhide   POST business/comment/hide/ {video_id, comment_id, HIDE|UNHIDE}
 *
 * Refused with PARLEY_ENOTSUP: reply_private and direct_message (the API
 * for Business has no private replies; DMs need the gated Business
 * Messaging API, §7). Text over 150 characters is refused before the call
 * (§4.4). A POST is not retried after a timeout or 5xx (it may have been
 * performed); the core has checked the idempotency key, so a key is
 * performed at most once. A created comment is also emitted as an outbound
 * event in its thread. Deleting is not an action of parley.action.v1; TikTok
 * would only allow it on the business's own comments anyway (§4.5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/sdk/json.h"
#include "tiktok.h"

typedef struct tt_action {
  parley_tiktok_t *t;
  parley_action_req_t *req;
  parley_action_type_t type;
  char video[PARLEY_TIKTOK_ID_MAX];
  char comment[PARLEY_TIKTOK_ID_MAX]; /* "" for a top-level comment */
} tt_action_t;

static void done(parley_tiktok_t *t, parley_action_req_t *req, int status, long http,
                 const char *code, const char *msg, const char *id) {
  parley_action_result_t res = {.status = status, .platform_id = id, .http_status = (int)http,
                                .error_code = code && *code ? code : NULL, .message = msg};
  parley_tiktok_count(t, status == 0 ? "actions_done_total" : "actions_failed_total", 1);
  t->host->action_done(req, &res);
}

static void refuse(parley_tiktok_t *t, parley_action_req_t *req, int status, const char *msg) {
  char full[300];
  snprintf(full, sizeof full, "tiktok: %s", msg);
  done(t, req, status, 0, NULL, full, NULL);
}

static void emit_outbound(tt_action_t *a, const parley_action_t *act, const char *id) {
  parley_tiktok_t *t = a->t;
  json_t *c = json_pack("{s:s,s:s,s:s,s:b,s:I}", "comment_id", id, "video_id", a->video,
                        "parent_comment_id", a->comment[0] ? a->comment : a->video, "owner", 1,
                        "create_time", (json_int_t)(t->host->wall_ms(t->inst) / 1000));
  if (c && parley_action_text(act))
    json_object_set_new(c, "text", json_string(parley_action_text(act)));
  if (c && t->cfg->account_handle)
    json_object_set_new(c, "username", json_string(t->cfg->account_handle));
  parley_tiktok_map_ctx_t ctx = {
      .account = t->account, .account_handle = t->cfg->account_handle,
      .level = a->comment[0] ? PARLEY_TIKTOK_LEVEL_REPLY : PARLEY_TIKTOK_LEVEL_TOP};
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  if (c && parley_tiktok_map_comment(c, &ctx, &ev, &err) == 0) {
    parley_event_set_author_id(ev, t->cfg->business_id);
    parley_tiktok_emit(t, ev);
  }
  json_decref(c);
}

static void on_answer(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data) {
  tt_action_t *a = data;
  parley_tiktok_t *t = a->t;
  (void)c;
  parley_tiktok_outcome(t, r, "action");
  if (r->status < 0) {
    done(t, a->req, r->status, r->http_status, r->error->platform_code, r->error->message, NULL);
    free(a);
    return;
  }
  const char *id = NULL;
  if (a->type == PARLEY_ACTION_REPLY_PUBLIC) {
    id = parley_sdk_json_str(r->json, "data.comment_id", NULL);
    if (id)
      emit_outbound(a, t->host->action_get(a->req), id);
  }
  done(t, a->req, 0, r->http_status, NULL, NULL, id);
  free(a);
}

/* Fill video and comment from the action; NULL or why it cannot be done. */
static const char *resolve(tt_action_t *a, const parley_action_t *act) {
  const char *target = parley_action_target(act);
  if (parley_tiktok_native_id(parley_action_conversation_id(act), a->video, sizeof a->video))
    return "needs conversation_id \"tiktok:<video id>\" (the event's conversation_id): "
           "TikTok's comment endpoints take the video id";
  if (target && parley_tiktok_native_id(target, a->comment, sizeof a->comment))
    return "target must be \"tiktok:<comment id>\"";
  if (strcmp(a->comment, a->video) == 0) /* answering the video itself */
    a->comment[0] = '\0';
  if (a->type != PARLEY_ACTION_REPLY_PUBLIC && !a->comment[0])
    return "hide/unhide needs target \"tiktok:<comment id>\"";
  return NULL;
}

static json_t *build(tt_action_t *a, const parley_action_t *act, const char **path,
                     const char **endpoint) {
  if (a->type == PARLEY_ACTION_REPLY_PUBLIC) {
    const char *text = parley_action_text(act);
    *path = a->comment[0] ? "business/comment/reply/create/" : "business/comment/create/";
    *endpoint = a->comment[0] ? "POST business/comment/reply/create"
                              : "POST business/comment/create";
    json_t *body = json_pack("{s:s,s:s}", "video_id", a->video, "text", text ? text : "");
    if (body && a->comment[0])
      json_object_set_new(body, "comment_id", json_string(a->comment));
    return body;
  }
  *path = "business/comment/hide/";
  *endpoint = "POST business/comment/hide";
  return json_pack("{s:s,s:s,s:s}", "video_id", a->video, "comment_id", a->comment, "action",
                   a->type == PARLEY_ACTION_HIDE ? "HIDE" : "UNHIDE");
}

/* A check before anything is sent; NULL when the action may go out. */
static const char *precheck(const parley_action_t *act, char *buf, size_t len) {
  parley_action_type_t type = parley_action_type(act);
  if (type == PARLEY_ACTION_REPLY_PRIVATE)
    return "reply_private does not exist on TikTok: the API for Business has no private "
           "replies to comments";
  if (type == PARLEY_ACTION_DIRECT_MESSAGE)
    return "direct_message is not supported: TikTok DMs need the gated Business Messaging "
           "API, which this connector does not use";
  if (type != PARLEY_ACTION_REPLY_PUBLIC && type != PARLEY_ACTION_HIDE &&
      type != PARLEY_ACTION_UNHIDE)
    return "unknown action type";
  size_t n = parley_tiktok_chars(parley_action_text(act));
  if (type == PARLEY_ACTION_REPLY_PUBLIC && (n == 0 || n > PARLEY_TIKTOK_TEXT_MAX)) {
    snprintf(buf, len, "reply_public text is %zu characters; TikTok takes 1 to %d", n,
             PARLEY_TIKTOK_TEXT_MAX);
    return buf;
  }
  return NULL;
}

void parley_tiktok_action(void *instance, parley_action_req_t *req) {
  parley_tiktok_t *t = instance;
  const parley_action_t *act = t->host->action_get(req);
  char why[160];
  const char *no = precheck(act, why, sizeof why);
  if (no) {
    int type = parley_action_type(act);
    refuse(t, req, type == PARLEY_ACTION_REPLY_PUBLIC ? PARLEY_EINVAL : PARLEY_ENOTSUP, no);
    return;
  }
  tt_action_t *a = calloc(1, sizeof *a);
  if (!a) {
    refuse(t, req, PARLEY_ENOMEM, "out of memory");
    return;
  }
  *a = (tt_action_t){.t = t, .req = req, .type = parley_action_type(act)};
  const char *path = NULL, *endpoint = NULL, *bad = resolve(a, act);
  json_t *body = bad ? NULL : build(a, act, &path, &endpoint);
  int rc = bad ? PARLEY_EINVAL : !body ? PARLEY_ENOMEM
                                       : parley_tiktok_post(t, path, body, endpoint, on_answer, a);
  json_decref(body);
  if (rc) {
    char msg[300];
    snprintf(msg, sizeof msg, "%s%s", parley_action_type_name(a->type),
             bad ? "" : ": the request could not be sent");
    if (bad)
      snprintf(msg, sizeof msg, "%s %s", parley_action_type_name(a->type), bad);
    free(a);
    refuse(t, req, rc, msg);
  }
}
