/* linkedin — actions, performed as the organization (linkedin.md §5.4, §5.5).
 *
 * reply_public   target a comment: POST /rest/socialActions/{comment URN}/comments
 *                {"actor":<org>,"object":<post>,"message":{"text"},
 *                 "parentComment":<comment URN>} (LinkedIn keeps two levels:
 *                a reply to a reply joins the top-level comment);
 *                target a post: POST /rest/socialActions/{post URN}/comments
 *                {"actor","object":<post>,"message"}. 201, the new comment id
 *                in x-restli-id (read first), or the body's id.
 * hide           only with hide_deletes: DELETE /rest/socialActions/{post}/
 *                comments/{id}?actor=<org> (204). LinkedIn has no hide; a
 *                delete cannot be undone, so it is the operator's choice.
 * unhide, reply_private, direct_message
 *                PARLEY_ENOTSUP with the reason: no hide to undo, and no API
 *                for a company page's messages (§10).
 *
 * The core has checked the idempotency key; a POST is not retried after a
 * timeout (it may have been performed). A created comment is emitted as an
 * outbound event with the id its listing will have, so the core keeps one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkedin.h"
#include "parley/sdk/json.h"
#include "parley/sdk/paging.h"

typedef struct li_action {
  parley_linkedin_t *li;
  parley_action_req_t *req;
  char target[PARLEY_LINKEDIN_URN_MAX]; /* the URN acted on */
  char thread[PARLEY_LINKEDIN_URN_MAX]; /* the post it belongs to */
} li_action_t;

static void done(li_action_t *a, int status, long http, const char *code, const char *msg,
                 const char *id) {
  parley_action_result_t res = {.status = status, .platform_id = id, .http_status = (int)http,
                                .error_code = code && *code ? code : NULL, .message = msg};
  parley_linkedin_count(a->li, status == 0 ? "actions_done_total" : "actions_failed_total", 1);
  a->li->host->action_done(a->req, &res);
  free(a);
}

static void refuse(li_action_t *a, int status, const char *msg) {
  done(a, status, 0, NULL, msg, NULL);
}

static void emit_outbound(li_action_t *a, const parley_sdk_http_result_t *r, const char *id) {
  parley_linkedin_t *li = a->li;
  char ev_id[PARLEY_SDK_ID_MAX + 16], num[PARLEY_SDK_ID_MAX];
  parley_event_t *ev = parley_event_new();
  if (!ev)
    return;
  snprintf(ev_id, sizeof ev_id, PARLEY_LINKEDIN_PLATFORM ":%s", id);
  parley_event_set_id(ev, ev_id);
  parley_event_set_platform(ev, PARLEY_LINKEDIN_PLATFORM);
  parley_event_set_account(ev, li->org);
  parley_event_set_kind(ev, PARLEY_KIND_OUTBOUND);
  parley_event_set_visibility(ev, PARLEY_VISIBILITY_PUBLIC);
  parley_event_set_conversation_id(ev, a->thread);
  if (parley_linkedin_urn_id(a->target, num, sizeof num) == 0) {
    snprintf(ev_id, sizeof ev_id, PARLEY_LINKEDIN_PLATFORM ":%s", num);
    parley_event_set_in_reply_to(ev, ev_id);
  }
  parley_event_set_author_id(ev, li->org);
  parley_event_set_text(ev, parley_action_text(li->host->action_get(a->req)));
  int64_t ms = parley_sdk_json_int(r->json, "created.time", 0);
  parley_event_set_created_at(ev, ms > 0 ? ms : li->host->wall_ms(li->inst));
  parley_linkedin_emit(li, ev);
}

static void on_answer(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data) {
  li_action_t *a = data;
  (void)c;
  if (r->status != PARLEY_ECANCELED)
    parley_linkedin_outcome(a->li, r, "action");
  if (r->status < 0) {
    done(a, r->status, r->http_status, r->error->platform_code, r->error->message, NULL);
    return;
  }
  const char *hdr = parley_sdk_http_result_header(r, "x-restli-id");
  char id[PARLEY_SDK_ID_MAX] = "";
  snprintf(id, sizeof id, "%s", hdr ? hdr : parley_sdk_json_str(r->json, "id", ""));
  if (r->http_status == 201 && parley_sdk_id_valid(id))
    emit_outbound(a, r, id);
  done(a, 0, r->http_status, NULL, NULL, id[0] ? id : NULL);
}

static int send(li_action_t *a, const char *method, const char *path, const json_t *body) {
  char *url = parley_linkedin_url(a->li, path);
  int rc = url ? parley_linkedin_send(a->li, method, url, method[0] == 'P'
                                                              ? "POST /rest/socialActions/comments"
                                                              : "DELETE /rest/socialActions/comments",
                                      body, on_answer, a)
               : PARLEY_ENOMEM;
  free(url);
  return rc;
}

/* The URN acted on and the post it belongs to, from the event id and
 * conversation_id the action names. */
static int resolve(li_action_t *a, const parley_action_t *act, int *is_comment) {
  char id[PARLEY_SDK_ID_MAX];
  if (parley_linkedin_event_urn(parley_action_target(act), parley_action_conversation_id(act),
                                a->target, sizeof a->target) != 0)
    return PARLEY_EINVAL;
  *is_comment = parley_linkedin_comment_split(a->target, a->thread, sizeof a->thread, id,
                                              sizeof id) == 0;
  if (!*is_comment && !parley_linkedin_is_post_urn(a->target))
    return PARLEY_EINVAL;
  if (!*is_comment)
    snprintf(a->thread, sizeof a->thread, "%s", a->target);
  return 0;
}

static int reply_public(li_action_t *a, const parley_action_t *act, const char **why) {
  char enc[PARLEY_LINKEDIN_URN_MAX * 3], path[sizeof enc + 64];
  int is_comment = 0;
  const char *text = parley_action_text(act);
  if (resolve(a, act, &is_comment) != 0) {
    *why = "linkedin: reply_public needs target = the event id (\"linkedin:<id>\") and "
           "conversation_id = the event's conversation_id (the post URN)";
    return PARLEY_EINVAL;
  }
  if (!text || !*text) {
    *why = "linkedin: reply_public needs text";
    return PARLEY_EINVAL;
  }
  json_t *body = json_pack("{s:s,s:s,s:{s:s}}", "actor", a->li->org, "object", a->thread,
                           "message", "text", text);
  if (body && is_comment)
    json_object_set_new(body, "parentComment", json_string(a->target));
  parley_linkedin_urn_encode(a->target, enc, sizeof enc);
  snprintf(path, sizeof path, "/socialActions/%s/comments", enc);
  int rc = body ? send(a, "POST", path, body) : PARLEY_ENOMEM;
  json_decref(body);
  return rc;
}

static int delete_comment(li_action_t *a, const parley_action_t *act, const char **why) {
  char enc[PARLEY_LINKEDIN_URN_MAX * 3], id[PARLEY_SDK_ID_MAX];
  char path[sizeof enc + sizeof a->li->org_enc + PARLEY_SDK_ID_MAX + 48];
  int is_comment = 0;
  if (!a->li->cfg->hide_deletes) {
    *why = "linkedin: LinkedIn cannot hide a comment; it can only delete one, which this "
           "instance does only with the option hide_deletes: true";
    return PARLEY_ENOTSUP;
  }
  if (resolve(a, act, &is_comment) != 0 || !is_comment) {
    *why = "linkedin: hide needs target = a comment's event id and conversation_id = its "
           "conversation_id (the post URN)";
    return PARLEY_EINVAL;
  }
  parley_linkedin_comment_split(a->target, a->thread, sizeof a->thread, id, sizeof id);
  parley_linkedin_urn_encode(a->thread, enc, sizeof enc);
  snprintf(path, sizeof path, "/socialActions/%s/comments/%s?actor=%s", enc, id, a->li->org_enc);
  return send(a, "DELETE", path, NULL);
}

void parley_linkedin_action(void *instance, parley_action_req_t *req) {
  parley_linkedin_t *li = instance;
  const parley_action_t *act = li->host->action_get(req);
  li_action_t *a = calloc(1, sizeof *a);
  parley_action_result_t oom = {.status = PARLEY_ENOMEM, .message = "linkedin: out of memory"};
  if (!a) {
    li->host->action_done(req, &oom);
    return;
  }
  *a = (li_action_t){.li = li, .req = req};
  const char *why = NULL;
  int rc;
  switch (parley_action_type(act)) {
  case PARLEY_ACTION_REPLY_PUBLIC:
    rc = reply_public(a, act, &why);
    break;
  case PARLEY_ACTION_HIDE:
    rc = delete_comment(a, act, &why);
    break;
  case PARLEY_ACTION_UNHIDE:
    rc = PARLEY_ENOTSUP;
    why = "linkedin: LinkedIn has no hidden comments, so there is nothing to unhide";
    break;
  default:
    rc = PARLEY_ENOTSUP;
    why = "linkedin: LinkedIn has no API for a company page's private messages (only select "
          "partners get the Messages API); answer publicly with reply_public";
  }
  if (why)
    refuse(a, rc, why);
  else if (rc)
    refuse(a, rc, li->stopping ? "linkedin: stopping" : "linkedin: the request could not be sent");
}
