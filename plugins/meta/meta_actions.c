/* meta — actions, the same on Facebook and Instagram apart from two paths:
 *
 * reply_public    POST /{comment}/comments (FB) or /{comment}/replies (IG),
 *                 or a new comment on the post/media when the target is the
 *                 conversation root; form message=<text>     (§10, IG §6)
 * reply_private   POST /{account}/messages
 *                 {"recipient":{"comment_id"},"message":{"text"}}: one DM
 *                 to the commenter, once per comment, within 7 days  (§10)
 * direct_message  POST /{account}/messages {"recipient":{"id"},
 *                 "messaging_type":"RESPONSE","message":{"text"}} into the
 *                 conversation "<account>:<customer>" (or to recipient),
 *                 within 24 h of the customer's last message            (§11)
 * hide / unhide   POST /{comment} is_hidden=|hide= true|false
 *
 * The core has checked the idempotency key; POSTs are not retried after a
 * timeout (they may have been performed). A created comment or message is
 * emitted as an outbound event with the platform's id, which is also the id
 * its webhook echo maps to, so the core keeps one. Errors come back with the
 * platform's code ("10/2018278") and a message that says what to do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"
#include "parley/sdk/json.h"
#include "parley/sdk/query.h"

typedef struct meta_action {
  parley_meta_t *m;
  parley_action_req_t *req;
  parley_action_type_t type;
  char account[PARLEY_META_ID_MAX];
  char target[PARLEY_META_ID_MAX];       /* native id of the comment/post */
  char conversation[2 * PARLEY_META_ID_MAX];
} meta_action_t;

int parley_meta_native_id(const parley_meta_t *m, const char *ref, char *buf, size_t len) {
  size_t plen = strlen(m->plat->name);
  if (!ref || !*ref)
    return PARLEY_EINVAL;
  if (strncmp(ref, m->plat->name, plen) == 0 && ref[plen] == ':')
    ref += plen + 1;
  /* Graph ids: digits, '_' ("{page}_{post}"), and letters for mids */
  size_t n = strspn(ref, "0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-.");
  if (n == 0 || ref[n] != '\0' || n >= len)
    return PARLEY_EINVAL;
  memcpy(buf, ref, n + 1);
  return 0;
}

static void done(parley_meta_t *m, parley_action_req_t *req, int status, long http,
                 const char *code, const char *msg, const char *id) {
  parley_action_result_t res = {.status = status, .platform_id = id, .http_status = (int)http,
                                .error_code = code && *code ? code : NULL, .message = msg};
  parley_meta_count(m, status == 0 ? "actions_done_total" : "actions_failed_total", 1);
  m->host->action_done(req, &res);
}

static void fail(meta_action_t *a, int status, const char *fmt, const char *detail) {
  char msg[512];
  snprintf(msg, sizeof msg, fmt, a->m->plat->name, detail ? detail : "");
  done(a->m, a->req, status, 0, NULL, msg, NULL);
  free(a);
}

/* A clear message for the refusals an agent can act on. */
static void explain(const parley_sdk_error_t *e, char *msg, size_t len) {
  int code = atoi(e->platform_code), sub = atoi(e->platform_subcode);
  if (code == 10 && (sub == 2018278 || sub == 2534022 || strstr(e->message, "window")))
    snprintf(msg, len, "outside the messaging window: Meta lets a brand answer a DM only "
                       "within 24 h of the customer's last message (a private reply within 7 "
                       "days of the comment); wait for the customer to write again. (%s)",
             e->message);
  else if (code == 10900 || code == 10903)
    snprintf(msg, len, "this comment already got its one private reply; continue in the DM "
                       "thread. (%s)", e->message);
  else if (code == 551)
    snprintf(msg, len, "the person cannot be reached right now (blocked or left). (%s)",
             e->message);
  else
    snprintf(msg, len, "%s", e->message);
}

static void emit_outbound(meta_action_t *a, const char *id, const char *customer) {
  parley_meta_t *m = a->m;
  const parley_action_t *act = m->host->action_get(a->req);
  int public = a->type == PARLEY_ACTION_REPLY_PUBLIC;
  parley_event_t *ev = parley_meta_event_new(m, id, a->account, PARLEY_KIND_OUTBOUND,
                                             public ? PARLEY_VISIBILITY_PUBLIC
                                                    : PARLEY_VISIBILITY_PRIVATE);
  if (!ev)
    return;
  char conv[2 * PARLEY_META_ID_MAX];
  if (public)
    snprintf(conv, sizeof conv, "%s", a->conversation[0] ? a->conversation : a->target);
  else
    parley_meta_dm_conversation(a->account, customer, conv, sizeof conv);
  parley_meta_set_conversation(m, ev, conv);
  parley_meta_set_in_reply_to(m, ev, a->target[0] ? a->target : NULL);
  parley_event_set_author_id(ev, a->account);
  parley_event_set_text(ev, parley_action_text(act));
  parley_event_set_created_at(ev, m->host->wall_ms(m->inst));
  parley_meta_emit(m, ev);
}

static void on_answer(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data) {
  meta_action_t *a = data;
  parley_meta_t *m = a->m;
  (void)c;
  if (r->status != PARLEY_ECANCELED)
    parley_meta_call_outcome(m, r, "action");
  if (r->status < 0) {
    char code[2 * PARLEY_SDK_CODE_MAX + 2], msg[PARLEY_ERROR_MAX + 300];
    snprintf(code, sizeof code, "%s%s%s", r->error->platform_code,
             r->error->platform_subcode[0] ? "/" : "", r->error->platform_subcode);
    explain(r->error, msg, sizeof msg);
    done(m, a->req, r->status, r->http_status, code, msg, NULL);
    free(a);
    return;
  }
  const char *id = NULL;
  if (a->type == PARLEY_ACTION_REPLY_PUBLIC) {
    id = parley_sdk_json_str(r->json, "id", NULL);
    if (id)
      emit_outbound(a, id, NULL);
  } else if (a->type == PARLEY_ACTION_REPLY_PRIVATE || a->type == PARLEY_ACTION_DIRECT_MESSAGE) {
    id = parley_sdk_json_str(r->json, "message_id", NULL);
    const char *to = parley_sdk_json_str(r->json, "recipient_id", NULL);
    if (id && to)
      emit_outbound(a, id, to);
  }
  done(m, a->req, 0, r->http_status, NULL, NULL, id);
  free(a);
}

/* Which configured account acts: the action's, the DM conversation's, or
 * the only one. */
static int pick_account(meta_action_t *a, const parley_action_t *act, const char *from_conv) {
  parley_meta_t *m = a->m;
  const char *acct = parley_action_account(act);
  if (acct && parley_meta_is_account(m, acct))
    snprintf(a->account, sizeof a->account, "%s", acct);
  else if (from_conv && parley_meta_is_account(m, from_conv))
    snprintf(a->account, sizeof a->account, "%s", from_conv);
  else if (m->cfg->accounts.count == 1)
    snprintf(a->account, sizeof a->account, "%s", m->cfg->accounts.items[0]);
  else
    return PARLEY_EINVAL;
  return 0;
}

static int send_json(meta_action_t *a, json_t *body) {
  char path[PARLEY_META_ID_MAX + 16];
  snprintf(path, sizeof path, "/%s/messages", a->account);
  char *url = parley_meta_url(a->m, path, NULL);
  int rc = body && url ? parley_meta_graph_send(a->m, "POST", url, "POST /messages", NULL, body,
                                                on_answer, a)
                       : PARLEY_ENOMEM;
  free(url);
  json_decref(body);
  return rc;
}

static int send_form(meta_action_t *a, const char *path, const char *name, const char *value) {
  parley_sdk_query_t q;
  parley_sdk_query_init_form(&q);
  parley_sdk_query_add(&q, name, value);
  char *url = parley_meta_url(a->m, path, NULL);
  const char *form = parley_sdk_query_str(&q);
  int rc = url && form ? parley_meta_graph_send(a->m, "POST", url, "POST /comment", form, NULL,
                                                on_answer, a)
                       : PARLEY_ENOMEM;
  free(url);
  parley_sdk_query_free(&q);
  return rc;
}

static const char *reply_public(meta_action_t *a, const parley_action_t *act, int *rc) {
  char path[PARLEY_META_ID_MAX + 32];
  const char *text = parley_action_text(act);
  if (parley_meta_native_id(a->m, parley_action_target(act), a->target, sizeof a->target) != 0)
    return "%s: reply_public needs target \"<platform>:<comment or post id>\"%s";
  if (!text || !*text)
    return "%s: reply_public needs text%s";
  const char *conv = parley_action_conversation_id(act);
  if (conv)
    snprintf(a->conversation, sizeof a->conversation, "%s", conv);
  int on_root = conv && !strcmp(conv, a->target);
  a->m->plat->reply_path(a->target, on_root, path, sizeof path);
  if (pick_account(a, act, NULL) != 0)
    snprintf(a->account, sizeof a->account, "%s", a->m->cfg->accounts.items[0]);
  *rc = send_form(a, path, "message", text);
  return NULL;
}

static const char *reply_private(meta_action_t *a, const parley_action_t *act, int *rc) {
  const char *text = parley_action_text(act);
  if (parley_meta_native_id(a->m, parley_action_target(act), a->target, sizeof a->target) != 0)
    return "%s: reply_private needs target \"<platform>:<comment id>\"%s";
  if (!text || !*text)
    return "%s: reply_private needs text%s";
  if (pick_account(a, act, NULL) != 0)
    return "%s: reply_private: name the account (this instance serves several)%s";
  *rc = send_json(a, json_pack("{s:{s:s},s:{s:s}}", "recipient", "comment_id", a->target,
                               "message", "text", text));
  return NULL;
}

static const char *direct_message(meta_action_t *a, const parley_action_t *act, int *rc) {
  char acct[PARLEY_META_ID_MAX] = "", customer[PARLEY_META_ID_MAX] = "";
  const char *text = parley_action_text(act);
  const char *conv = parley_action_conversation_id(act);
  if (!text || !*text)
    return "%s: direct_message needs text%s";
  if (!conv || parley_meta_dm_parse(conv, acct, sizeof acct, customer, sizeof customer) != 0) {
    const char *to = parley_action_recipient(act);
    if (parley_meta_native_id(a->m, to, customer, sizeof customer) != 0)
      return "%s: direct_message needs conversation_id \"<account>:<customer id>\" (as on the "
             "events) or a recipient%s";
  }
  if (pick_account(a, act, acct[0] ? acct : NULL) != 0)
    return "%s: direct_message: the conversation's account is not one this instance serves%s";
  *rc = send_json(a, json_pack("{s:{s:s},s:s,s:{s:s}}", "recipient", "id", customer,
                               "messaging_type", "RESPONSE", "message", "text", text));
  return NULL;
}

static const char *hide(meta_action_t *a, const parley_action_t *act, int *rc) {
  char path[PARLEY_META_ID_MAX + 8];
  if (parley_meta_native_id(a->m, parley_action_target(act), a->target, sizeof a->target) != 0)
    return "%s: hide/unhide needs target \"<platform>:<comment id>\"%s";
  if (pick_account(a, act, NULL) != 0)
    snprintf(a->account, sizeof a->account, "%s", a->m->cfg->accounts.items[0]);
  snprintf(path, sizeof path, "/%s", a->target);
  *rc = send_form(a, path, a->m->plat->hide_param,
                  a->type == PARLEY_ACTION_HIDE ? "true" : "false");
  return NULL;
}

void parley_meta_action(void *instance, parley_action_req_t *req) {
  parley_meta_t *m = instance;
  const parley_action_t *act = m->host->action_get(req);
  meta_action_t *a = calloc(1, sizeof *a);
  if (!a) {
    done(m, req, PARLEY_ENOMEM, 0, NULL, "out of memory", NULL);
    return;
  }
  *a = (meta_action_t){.m = m, .req = req, .type = parley_action_type(act)};
  int rc = 0;
  const char *why;
  switch (a->type) {
  case PARLEY_ACTION_REPLY_PUBLIC:
    why = reply_public(a, act, &rc);
    break;
  case PARLEY_ACTION_REPLY_PRIVATE:
    why = reply_private(a, act, &rc);
    break;
  case PARLEY_ACTION_DIRECT_MESSAGE:
    why = direct_message(a, act, &rc);
    break;
  case PARLEY_ACTION_HIDE:
  case PARLEY_ACTION_UNHIDE:
    why = hide(a, act, &rc);
    break;
  default:
    why = "%s: unsupported action type%s";
  }
  if (why)
    fail(a, PARLEY_EINVAL, why, NULL);
  else if (rc)
    fail(a, rc, "%s: the request could not be sent: %s", parley_strerror(rc));
}
