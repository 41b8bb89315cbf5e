/* parley-sim — what the Facebook and Instagram modules share: the Meta
 * Graph API's mechanics (facebook.md §1-§7, §12; instagram.md defers to
 * them). Written once here so both platforms answer alike:
 *
 *   - the error body {"error":{message,type,code,error_subcode,fbtrace_id}}
 *     (HTTP 400 for client errors; clients branch on error.code);
 *   - tokens from access_token= (query, form or JSON body) or
 *     Authorization: Bearer; 190 for expired/invalid ones; appsecret_proof
 *     = hex(HMAC-SHA256(app_secret, token)) checked when sent and demanded
 *     when the scenario says require_appsecret_proof;
 *   - usage headers X-App-Usage / X-Business-Use-Case-Usage that grow with
 *     the calls made, and the throttling error (codes 4/17/32/613/8000x)
 *     once the scenario's budget is used up;
 *   - fields= selection with nested braces and .limit(n) / .summary(true)
 *     / .name(arg) modifiers;
 *   - cursor paging {data, paging:{cursors:{before,after},next,previous}};
 *   - webhooks: the {object, entry:[{id,time,changes|messaging}]} envelope
 *     signed with X-Hub-Signature-256 (and the legacy X-Hub-Signature),
 *     sent only after the target passed the hub.challenge verification GET
 *     (deliveries made meanwhile wait, none is lost); retries with backoff
 *     are the framework's (parley_sim_webhook_post).
 *
 * Scenario keys read by parley_sim_meta_init (platforms.<facebook|instagram>):
 *   app_secret (string), verify_token (string), require_appsecret_proof
 *   (bool), rate_limit {calls, window_s, code}, messaging_window_s,
 *   webhook_duplicates (bool: every delivery is sent twice, as Meta may),
 *   pages / accounts ([{id, name, handle}]: more Pages / IG accounts of the
 *   same app besides the scenario account).
 */
#ifndef PARLEY_SIM_META_H
#define PARLEY_SIM_META_H

#include "sim.h"

/* ---- module state shared by both platforms ----------------------------- */

typedef struct parley_sim_meta_field parley_sim_meta_field_t; /* a fields= node */

typedef enum {
  PARLEY_SIM_META_UNVERIFIED = 0, /* no target, or verification not asked yet */
  PARLEY_SIM_META_VERIFYING,      /* the hub.challenge GET is in flight */
  PARLEY_SIM_META_VERIFIED,
  PARLEY_SIM_META_REFUSED,        /* the target did not echo the challenge */
} parley_sim_meta_verify_t;

typedef struct parley_sim_meta {
  const char *platform;  /* "facebook" / "instagram" (static) */
  const char *object;    /* webhook envelope object: "page" / "instagram" */
  const char *buc_type;  /* X-Business-Use-Case-Usage type: "pages" / "instagram" */
  char *app_secret;
  char *verify_token;
  int require_proof;
  int duplicates;        /* send every webhook twice */
  long rate_calls;       /* budget per window, per business object */
  long rate_window_s;
  int throttle_code;     /* error.code of the throttling error */
  uint64_t window_ms;    /* standard messaging window (24 h) */
  int instagram;         /* users as {id,username}; else {id,name,email} */
  size_t text_max;       /* Send API text limit in bytes */
  int window_subcode;    /* error_subcode of the outside-window error */
  parley_sim_meta_verify_t verify;
  char challenge[24];    /* the hub.challenge of the current verification */
  json_t *waiting;       /* envelopes (strings) waiting for verification */
} parley_sim_meta_t;

/* Read the scenario part into m (defaults for what is missing: the
 * documented 200 calls per hour, 24 h window) and register the scenario's
 * default token when it names none. */
int parley_sim_meta_init(parley_sim_t *sim, parley_sim_meta_t *m, json_t *part,
                         int default_throttle_code, parley_error_t *err);
void parley_sim_meta_free(parley_sim_meta_t *m);

/* ---- requests ---------------------------------------------------------- */

/* One Graph request being served: /{node} or /{node}/{edge}. */
typedef struct parley_sim_meta_req {
  parley_sim_t *sim;
  parley_sim_meta_t *m;
  parley_httpd_req_t *req;
  const char *method;
  char node[256];  /* "me" already replaced by the token's account */
  char edge[64];   /* "" for the node itself */
  parley_sim_meta_field_t *fields; /* fields= (NULL: defaults) */
  parley_sim_headers_t h;          /* usage headers for the answer */
} parley_sim_meta_req_t;

/* The common part of every Graph request: version, token, appsecret_proof,
 * node/edge, usage counting, fields=; then serve(r) answers. Errors on the
 * way are answered here. */
void parley_sim_meta_serve(parley_sim_t *sim, parley_sim_meta_t *m, parley_httpd_req_t *req,
                           const char *subpath, void (*serve)(parley_sim_meta_req_t *r));
void parley_sim_meta_ok(parley_sim_meta_req_t *r, json_t *body);
void parley_sim_meta_fail(parley_sim_meta_req_t *r, int code, int subcode, const char *msg);
/* (#100) subcode 33: the object does not exist or does not support this. */
void parley_sim_meta_no_node(parley_sim_meta_req_t *r);

/* Split "/v19.0/123/comments" into version ("v19.0", or the default when
 * the path is unversioned) and the node path ("/123/comments"). */
const char *parley_sim_meta_strip_version(const char *subpath, char *version, size_t len);

/* A parameter from the query, a form body or a JSON body (in that order),
 * as a string into buf: length or PARLEY_ENOENT / PARLEY_ENOBUFS. */
int parley_sim_meta_param(parley_httpd_req_t *req, const char *name, char *buf, size_t len);
/* A structured parameter (recipient, message): the JSON body's member, or
 * a form/query value holding JSON. New reference or NULL. */
json_t *parley_sim_meta_param_json(parley_httpd_req_t *req, const char *name);

/* ---- errors ------------------------------------------------------------ */

/* Answer with the Graph error body. subcode 0: left out. type NULL:
 * "OAuthException". The message gets no "(#code)" prefix added. */
void parley_sim_meta_error(parley_sim_t *sim, parley_httpd_req_t *req, int status, int code,
                           int subcode, const char *type, const char *message);
/* The platform descriptor's error_body for injected 429/5xx/timeouts. */
json_t *parley_sim_meta_error_body(parley_sim_meta_t *m, int status, parley_sim_headers_t *h);

/* ---- auth and throttling ----------------------------------------------- */

/* Check the token (and appsecret_proof). On success returns 0 with the
 * token record in *tok (may be NULL); otherwise answers the request with
 * the Graph error and returns PARLEY_EAUTH. */
int parley_sim_meta_auth(parley_sim_t *sim, parley_sim_meta_t *m, parley_httpd_req_t *req,
                         const parley_sim_token_t **tok);
/* Count one call against the business object obj_id: adds the usage
 * headers to h; over budget, answers the throttling error (with the
 * headers) and returns PARLEY_ERATELIMIT. */
int parley_sim_meta_throttle(parley_sim_t *sim, parley_sim_meta_t *m, parley_httpd_req_t *req,
                             const char *obj_id, parley_sim_headers_t *h);

/* ---- fields= selection --------------------------------------------------- */

#define PARLEY_SIM_META_MAX_MODS 4

struct parley_sim_meta_field {
  char *name;
  struct {
    char *key, *value;
  } mods[PARLEY_SIM_META_MAX_MODS]; /* .limit(5) -> {"limit","5"} */
  size_t nmods;
  struct parley_sim_meta_field *child; /* sub-selection {...}, NULL when none */
  struct parley_sim_meta_field *next;
};

/* Parse "id,from{id,name},comments.limit(5){id,message}". Returns 0 and
 * *out (NULL for ""), or PARLEY_EPARSE with the reason in err. */
int parley_sim_meta_fields_parse(const char *s, parley_sim_meta_field_t **out,
                                 parley_error_t *err);
void parley_sim_meta_fields_free(parley_sim_meta_field_t *f);
const parley_sim_meta_field_t *parley_sim_meta_field_find(const parley_sim_meta_field_t *list,
                                                          const char *name);
/* A modifier's value ("5" for .limit(5)) or NULL. */
const char *parley_sim_meta_field_mod(const parley_sim_meta_field_t *f, const char *key);
/* Keep only the selected members of full (stolen); sub-selections apply to
 * nested objects and to every element of an edge's "data". sel NULL: the
 * node type's defaults (a fields string such as "id,message"). */
json_t *parley_sim_meta_select(json_t *full, const parley_sim_meta_field_t *sel,
                               const char *defaults);

/* ---- paging ------------------------------------------------------------ */

/* Renders one item as a Graph node for the given sub-selection. */
typedef json_t *(*parley_sim_meta_render_fn)(parley_sim_t *sim, json_t *item,
                                             const parley_sim_meta_field_t *sel, void *data);

typedef struct parley_sim_meta_pager {
  parley_httpd_req_t *req;   /* NULL for a nested edge: no next/previous URLs */
  const char *after, *before;/* cursors (NULL: from the start) */
  long limit;                /* page size (default 25, at most 100) */
  const parley_sim_meta_field_t *sel;
  parley_sim_meta_render_fn render;
  void *data;
} parley_sim_meta_pager_t;

/* One page of items (borrowed array, already in the edge's order) as
 * {"data":[...],"paging":{"cursors":{...},"next":...}}; NULL with
 * PARLEY_EINVAL in err for a cursor that names no item. */
json_t *parley_sim_meta_page(parley_sim_t *sim, json_t *items, const parley_sim_meta_pager_t *p,
                             parley_error_t *err);
/* Read limit/after/before from the request into p. PARLEY_EINVAL for a bad
 * limit. */
int parley_sim_meta_pager_from_req(parley_sim_meta_pager_t *p, parley_httpd_req_t *req,
                                   char *after, char *before, size_t len);
/* Serve a whole edge: sort nothing, page items (stolen), answer 200 with
 * the usage headers in h, or the Graph error for a bad cursor/limit. */
void parley_sim_meta_respond_page(parley_sim_t *sim, parley_httpd_req_t *req, json_t *items,
                                  const parley_sim_meta_field_t *sel,
                                  parley_sim_meta_render_fn render, void *data,
                                  const parley_sim_headers_t *h);

/* Items sorted by created_ms (then id), newest first unless oldest_first;
 * sorts the array in place and returns it. */
json_t *parley_sim_meta_sort(json_t *items, int oldest_first);

/* ---- formats ----------------------------------------------------------- */

/* "2024-01-01T12:00:00+0000" into buf (at least 32 bytes). */
const char *parley_sim_meta_time(uint64_t ms, char *buf, size_t len);
/* The user's {id,name} (Facebook) or {id,username} (Instagram) object. */
json_t *parley_sim_meta_user(parley_sim_t *sim, const char *platform, const char *user_id,
                             int instagram);

/* ---- comments written by the brand ----------------------------------------- */

/* POST .../comments or .../replies: the message= parameter (at most
 * max_text bytes) becomes a comment of the account under parent, recorded
 * in the sent-record as action with in_reply_to, answered {"id"}. */
void parley_sim_meta_comment(parley_sim_meta_req_t *r, json_t *parent, const char *in_reply_to,
                             const char *action, size_t max_text);
/* Hide or unhide a customer's comment: answers {"success":true} and returns
 * 0, or answers code 100 with refusal (the brand's own comment, or not a
 * comment) and returns PARLEY_EPERM. */
int parley_sim_meta_hide(parley_sim_meta_req_t *r, json_t *item, int hide, const char *refusal);

/* ---- messaging (Messenger and Instagram DMs) ------------------------------ */
/* Store: type "message" items, author_id -> recipient_id, account_id the
 * Page / IG account; a thread is "t_<account>_<customer>". */

int parley_sim_meta_is(json_t *item, const char *type);
int parley_sim_meta_is_comment(json_t *item); /* "comment" or "reply" */
uint64_t parley_sim_meta_ms(json_t *item);
/* The item unless deleted (borrowed) or NULL. */
json_t *parley_sim_meta_find(parley_sim_t *sim, parley_sim_meta_t *m, const char *id);
/* A brand account served here (the scenario account or a pages[] entry). */
int parley_sim_meta_is_account(parley_sim_t *sim, parley_sim_meta_t *m, const char *id);

/* GET /{account}/conversations (platform=, user_id=) and
 * GET /{thread}[/messages]; 1 when node was a thread id (answered). */
void parley_sim_meta_get_conversations(parley_sim_meta_req_t *r, const char *platform_param);
int parley_sim_meta_get_thread(parley_sim_meta_req_t *r);
/* POST /{account}/messages: Send API (recipient.id within the window) and
 * private replies (recipient.comment_id: once, within 7 days). */
void parley_sim_meta_send(parley_sim_meta_req_t *r, const char *account);
/* A message node (data: the parley_sim_meta_t). */
json_t *parley_sim_meta_render_message(parley_sim_t *sim, json_t *item,
                                       const parley_sim_meta_field_t *sel, void *data);
/* A nested edge of fields= (.limit(n), .summary(true)): items stolen. */
json_t *parley_sim_meta_edge(parley_sim_t *sim, json_t *items, const parley_sim_meta_field_t *f,
                             parley_sim_meta_render_fn render, void *data);
/* A comment may still get its one private reply (not the brand's, not
 * answered privately yet, at most 7 days old). */
int parley_sim_meta_can_reply_privately(json_t *comment);
/* Webhook for a run-time message / postback / message reaction item. */
void parley_sim_meta_on_messaging_item(parley_sim_t *sim, parley_sim_meta_t *m, json_t *item);
/* 1 when the item is a messaging item (message, postback, reaction on a
 * message). */
int parley_sim_meta_is_messaging(parley_sim_t *sim, parley_sim_meta_t *m, json_t *item);

/* ---- webhooks ------------------------------------------------------------ */

/* Start the subscription verification against url (on_webhook_target). */
void parley_sim_meta_verify_target(parley_sim_t *sim, parley_sim_meta_t *m, const char *url);
/* Deliver one change or messaging event (stolen) for entry entry_id:
 * list_key "changes" (entry.time in seconds) or "messaging" (ms). Waits
 * for the verification; nothing happens without a target. */
void parley_sim_meta_webhook(parley_sim_t *sim, parley_sim_meta_t *m, const char *entry_id,
                             const char *list_key, json_t *event);

#endif
