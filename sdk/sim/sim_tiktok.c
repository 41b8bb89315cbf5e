/* parley-sim — TikTok API for Business (tiktok.md): the envelope
 * {code,message,request_id,data} answered with HTTP 200 even on errors,
 * Access-Token auth, scopes, per-endpoint request limits (40100), the
 * business video list and comment/reply lists with cursor paging, comment
 * create / reply / hide / like / pin / delete, and comment.update webhooks
 * signed with TikTok-Signature: t=<secs>,s=hex(HMAC-SHA256(secret, t.body)).
 *
 * Store mapping (platform "tiktok"):
 *   video    a video of the business account
 *   comment  parent_id = video (top level) or a comment (reply; two levels:
 *            a reply to a reply joins the top-level comment)
 * OAuth: tt_user/oauth2/token/ (auth codes of the scenario's auth_codes,
 * default ["sim-auth-code"], each good once), oauth2/refresh_token/,
 * oauth2/revoke/ and token_info/get/; tokens last 24 h, refresh tokens 365 d.
 * Scenario keys: client_secret, client_key, auth_codes, rate_limit {per_minute},
 * access_token_lifetime_s (issued access tokens, default 86400 as on
 * TikTok; shorter to test early refreshes), webhook_duplicates (bool),
 * webhook_stale_seconds (t written that many
 * seconds in the past, to test replay windows). A token without "scopes"
 * may call everything; with scopes, comment.list / comment.list.manage /
 * video.list are enforced. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

#define PARLEY_SIM_TT "tiktok"
#define PARLEY_SIM_TT_PREFIX "/open_api/v1.3/"
#define PARLEY_SIM_TT_TEXT_MAX 150

typedef struct parley_sim_tt {
  char *secret;
  char *client_key;
  json_t *auth_codes; /* scenario auth_codes not used yet (strings) */
  long per_minute;
  int duplicates;
  long stale_s;
  unsigned access_s; /* lifetime of issued access tokens */
} parley_sim_tt_t;

typedef struct parley_sim_tt_req {
  parley_sim_t *sim;
  parley_sim_tt_t *tt;
  parley_httpd_req_t *req;
  const parley_sim_token_t *tok;
  json_t *body; /* POST body (owned) */
} parley_sim_tt_req_t;

static const char *parley_sim_tt_str(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static parley_sim_tt_t *parley_sim_tt(parley_sim_t *sim) { return parley_sim_state(sim, PARLEY_SIM_TT); }

static int parley_sim_tt_is(json_t *item, const char *type) {
  const char *t = parley_sim_tt_str(item, "type");
  return t && !strcmp(t, type);
}

static uint64_t parley_sim_tt_secs(json_t *item) {
  return (uint64_t)json_integer_value(json_object_get(item, "created_ms")) / 1000u;
}

/* ---- envelope ----------------------------------------------------------------------- */

static json_t *parley_sim_tt_envelope(parley_sim_t *sim, int code, const char *message,
                                      json_t *data) {
  char rid[40], stamp[16];
  time_t t = (time_t)(parley_sim_now_ms() / 1000u);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
  snprintf(rid, sizeof rid, "%s%018llu", stamp,
           (unsigned long long)(parley_sim_random(sim) % 1000000000000000000ULL));
  return json_pack("{s:i,s:s,s:s,s:o}", "code", code, "message", message, "request_id", rid,
                   "data", data ? data : json_object());
}

static void parley_sim_tt_ok(parley_sim_tt_req_t *r, json_t *data) {
  parley_sim_respond_json(r->sim, r->req, 200, parley_sim_tt_envelope(r->sim, 0, "OK", data), NULL,
                          NULL);
}

/* Errors travel in the envelope with HTTP 200: clients must read code. */
static void parley_sim_tt_fail(parley_sim_tt_req_t *r, int code, const char *message) {
  parley_sim_respond_json(r->sim, r->req, 200, parley_sim_tt_envelope(r->sim, code, message, NULL),
                          NULL, NULL);
}

static json_t *parley_sim_tt_error_body(parley_sim_t *sim, int status, parley_sim_headers_t *h,
                                        const char **ctype) {
  if (status == 429) return parley_sim_tt_envelope(sim, 40100, "Too many requests.", NULL);
  return parley_sim_tt_envelope(sim, 50000, "System error, please try again later.", NULL);
}

/* ---- checks ----------------------------------------------------------------------------- */

static int parley_sim_tt_auth(parley_sim_tt_req_t *r) {
  const char *cred = parley_httpd_req_header(r->req, "Access-Token");
  switch (parley_sim_auth(r->sim, PARLEY_SIM_TT, cred, &r->tok)) {
  case PARLEY_SIM_AUTH_OK:
    return 1;
  case PARLEY_SIM_AUTH_MISSING:
    parley_sim_tt_fail(r, 40104, "Access token is empty.");
    return 0;
  case PARLEY_SIM_AUTH_EXPIRED:
    parley_sim_tt_fail(r, 40102, "Access token has expired.");
    return 0;
  default:
    parley_sim_tt_fail(r, 40105, "Access token is incorrect or has been revoked.");
    return 0;
  }
}

static int parley_sim_tt_scope(parley_sim_tt_req_t *r, const char *scope) {
  const char *s = r->tok ? r->tok->scopes : NULL;
  char msg[160];
  if (!s) return 1;
  for (const char *p = s; *p;) {
    size_t n = strcspn(p, " ,");
    if (n == strlen(scope) && !strncmp(p, scope, n)) return 1;
    p += n;
    p += strspn(p, " ,");
  }
  snprintf(msg, sizeof msg, "No permission: the token lacks the scope %s.", scope);
  parley_sim_tt_fail(r, 40001, msg);
  return 0;
}

static int parley_sim_tt_rate(parley_sim_tt_req_t *r, const char *endpoint) {
  if (!parley_sim_ratelimit_take(r->sim, PARLEY_SIM_TT, endpoint, NULL, r->tt->per_minute, 60,
                                 NULL))
    return 1;
  if (r->sim->config.verbose) /* tests count throttled calls in the log */
    parley_sim_log(r->sim, "tiktok: 40100 (HTTP 200) for %s", endpoint);
  parley_sim_tt_fail(r, 40100, "Too many requests. Please retry in some time.");
  return 0;
}

/* A parameter from the query (GET) or the JSON body (POST). */
static const char *parley_sim_tt_param(parley_sim_tt_req_t *r, const char *name, char *buf,
                                       size_t len) {
  if (r->body) {
    json_t *v = json_object_get(r->body, name);
    if (json_is_string(v)) snprintf(buf, len, "%s", json_string_value(v));
    else if (json_is_integer(v)) snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    else return NULL;
    return buf;
  }
  return parley_httpd_req_query_param(r->req, name, buf, len) >= 0 ? buf : NULL;
}

/* business_id must be the account the token belongs to. */
static int parley_sim_tt_business(parley_sim_tt_req_t *r) {
  char id[128];
  const char *acct = parley_sim_tt_str(parley_sim_account(r->sim, PARLEY_SIM_TT), "id");
  if (!parley_sim_tt_param(r, "business_id", id, sizeof id)) {
    parley_sim_tt_fail(r, 40002, "business_id: Missing data for required field.");
    return 0;
  }
  if (!acct || strcmp(id, acct)) {
    parley_sim_tt_fail(r, 40001, "No permission to operate this business account.");
    return 0;
  }
  return 1;
}

static int parley_sim_tt_int(parley_sim_tt_req_t *r, const char *name, long dflt, long lo,
                             long hi, long *out) {
  char buf[32], msg[128], *end = NULL;
  *out = dflt;
  if (!parley_sim_tt_param(r, name, buf, sizeof buf)) return 1;
  long v = strtol(buf, &end, 10);
  if (!*buf || *end || v < lo || v > hi) {
    snprintf(msg, sizeof msg, "%s: must be an integer between %ld and %ld.", name, lo, hi);
    parley_sim_tt_fail(r, 40002, msg);
    return 0;
  }
  *out = v;
  return 1;
}

/* ---- rendering --------------------------------------------------------------------------- */

static json_t *parley_sim_tt_comments_of(parley_sim_t *sim, const char *parent_id, int hidden) {
  parley_sim_filter_t f = {.platform = PARLEY_SIM_TT, .type = "comment", .parent_id = parent_id,
                           .include_hidden = hidden};
  return parley_sim_items(sim, &f); /* newest first */
}

static json_t *parley_sim_tt_render_video(parley_sim_t *sim, json_t *item) {
  char url[256];
  json_t *u = parley_sim_user_find(sim, PARLEY_SIM_TT, parley_sim_tt_str(item, "author_id"));
  const char *handle = parley_sim_tt_str(u, "handle"), *text = parley_sim_tt_str(item, "text");
  json_t *comments = parley_sim_tt_comments_of(sim, parley_sim_tt_str(item, "id"), 0);
  snprintf(url, sizeof url, "https://www.tiktok.com/@%s/video/%s", handle ? handle : "",
           parley_sim_tt_str(item, "id"));
  json_t *v = json_pack("{s:s,s:I,s:s,s:s,s:s,s:i,s:i,s:i,s:I,s:i}", "item_id",
                        parley_sim_tt_str(item, "id"), "create_time",
                        (json_int_t)parley_sim_tt_secs(item), "caption", text ? text : "",
                        "share_url", url, "thumbnail_url",
                        "https://p16-sign.tiktokcdn.com/sim/thumbnail.jpeg", "video_duration", 15,
                        "video_views", 0, "likes", 0, "comments",
                        (json_int_t)json_array_size(comments), "shares", 0);
  json_decref(comments);
  return v;
}

static json_t *parley_sim_tt_render_comment(parley_sim_t *sim, json_t *item) {
  char uid[80], stime[24];
  const char *author = parley_sim_tt_str(item, "author_id"), *text = parley_sim_tt_str(item, "text");
  json_t *u = parley_sim_user_find(sim, PARLEY_SIM_TT, author);
  json_t *replies = parley_sim_tt_comments_of(sim, parley_sim_tt_str(item, "id"), 1);
  json_t *parent = parley_sim_item_find(sim, PARLEY_SIM_TT, parley_sim_tt_str(item, "parent_id"));
  /* user_id is an app-scoped 64-hex hash of the member, never the uid. */
  parley_sim_hmac_sha256_hex("parley-sim-tiktok-user", author ? author : "", author ? strlen(author) : 0,
                             uid, sizeof uid);
  snprintf(stime, sizeof stime, "%llu", (unsigned long long)parley_sim_tt_secs(item));
  json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:b,s:b,s:b,s:s,s:s}",
                        "comment_id", parley_sim_tt_str(item, "id"), "video_id",
                        parley_sim_tt_str(item, "conversation_id"), "user_id", uid, "username",
                        parley_sim_tt_str(u, "handle") ? parley_sim_tt_str(u, "handle") : "",
                        "display_name", parley_sim_tt_str(u, "name") ? parley_sim_tt_str(u, "name") : "",
                        "profile_image", "https://p16-sign.tiktokcdn.com/sim/avatar.jpeg", "text",
                        text ? text : "", "create_time", stime, "likes", 0, "replies",
                        (json_int_t)json_array_size(replies), "owner",
                        json_is_true(json_object_get(item, "from_brand")), "liked", 0, "pinned",
                        json_is_true(json_object_get(item, "tt_pinned")), "status",
                        json_is_true(json_object_get(item, "hidden")) ? "HIDDEN" : "PUBLIC",
                        "parent_comment_id", parley_sim_tt_str(parent, "id") ? parley_sim_tt_str(parent, "id") : "");
  json_decref(replies);
  return c;
}

/* ---- lists ----------------------------------------------------------------------------- */

/* fields=["item_id","caption"] (a JSON array in the query); default item_id. */
static json_t *parley_sim_tt_fields(parley_sim_tt_req_t *r) {
  char buf[1024];
  if (!parley_sim_tt_param(r, "fields", buf, sizeof buf)) return json_pack("[s]", "item_id");
  json_t *f = json_loads(buf, 0, NULL);
  if (!json_is_array(f)) {
    json_decref(f);
    parley_sim_tt_fail(r, 40002, "fields: must be a JSON array of field names.");
    return NULL;
  }
  return f;
}

static json_t *parley_sim_tt_pick(json_t *full, json_t *fields) {
  json_t *out = json_object(), *f;
  size_t i;
  json_array_foreach(fields, i, f) {
    json_t *v = json_object_get(full, json_string_value(f) ? json_string_value(f) : "");
    if (v) json_object_set(out, json_string_value(f), v);
  }
  json_decref(full);
  return out;
}

/* GET business/video/list/: newest first; cursor = create_time in ms of
 * the last video returned (opaque to clients). */
static void parley_sim_tt_videos(parley_sim_tt_req_t *r) {
  long max, cursor;
  json_t *fields;
  if (!parley_sim_tt_scope(r, "video.list") || !parley_sim_tt_business(r) ||
      !parley_sim_tt_int(r, "max_count", 20, 1, 20, &max) ||
      !parley_sim_tt_int(r, "cursor", 0, 0, LONG_MAX, &cursor) ||
      !(fields = parley_sim_tt_fields(r)))
    return;
  parley_sim_filter_t f = {.platform = PARLEY_SIM_TT, .type = "video"};
  json_t *items = parley_sim_items(r->sim, &f), *videos = json_array(), *it;
  size_t i;
  long long next = cursor;
  int more = 0;
  json_array_foreach(items, i, it) {
    long long ms = json_integer_value(json_object_get(it, "created_ms"));
    if (cursor && ms >= cursor) continue;
    if ((long)json_array_size(videos) == max) {
      more = 1;
      break;
    }
    json_array_append_new(videos, parley_sim_tt_pick(parley_sim_tt_render_video(r->sim, it), fields));
    next = ms;
  }
  json_decref(items);
  json_decref(fields);
  parley_sim_tt_ok(r, json_pack("{s:o,s:I,s:b}", "videos", videos, "cursor", (json_int_t)next,
                                "has_more", more));
}

static int parley_sim_tt_sort_key(json_t *item, const char *field, parley_sim_t *sim) {
  if (!strcmp(field, "replies")) {
    json_t *r = parley_sim_tt_comments_of(sim, parley_sim_tt_str(item, "id"), 1);
    int n = (int)json_array_size(r);
    json_decref(r);
    return n;
  }
  return 0; /* likes: always 0 in the simulator; create_time: by id below */
}

/* Order items (newest first from the store) by sort_field / sort_order. */
static void parley_sim_tt_sort(parley_sim_tt_req_t *r, json_t *items, const char *field,
                               const char *order) {
  size_t n = json_array_size(items);
  int asc = !strcmp(order, "asc");
  if (asc) {
    for (size_t i = 0; i < n / 2; i++) {
      json_t *a = json_incref(json_array_get(items, i));
      json_array_set(items, i, json_array_get(items, n - 1 - i));
      json_array_set_new(items, n - 1 - i, a);
    }
  }
  if (!strcmp(field, "replies")) { /* stable insertion sort, few items */
    for (size_t i = 1; i < n; i++) {
      for (size_t j = i; j > 0; j--) {
        int a = parley_sim_tt_sort_key(json_array_get(items, j - 1), field, r->sim);
        int b = parley_sim_tt_sort_key(json_array_get(items, j), field, r->sim);
        if (asc ? a <= b : a >= b) break;
        json_t *t = json_incref(json_array_get(items, j));
        json_array_set(items, j, json_array_get(items, j - 1));
        json_array_set_new(items, j - 1, t);
      }
    }
  }
}

static int parley_sim_tt_in_ids(json_t *item, json_t *ids) {
  size_t i;
  json_t *v;
  if (!ids) return 1;
  json_array_foreach(ids, i, v) if (json_is_string(v) &&
                                    !strcmp(json_string_value(v), parley_sim_tt_str(item, "id"))) return 1;
  return 0;
}

/* GET business/comment/list/ and business/comment/reply/list/. */
static void parley_sim_tt_comments(parley_sim_tt_req_t *r, int replies) {
  char video[64], comment[64], status[16] = "PUBLIC", field[32] = "create_time", order[16] = "desc";
  char ids_buf[2048];
  long max, cursor;
  if (!parley_sim_tt_scope(r, "comment.list") || !parley_sim_tt_business(r) ||
      !parley_sim_tt_int(r, "max_count", 20, 1, 30, &max) ||
      !parley_sim_tt_int(r, "cursor", 0, 0, 1000000, &cursor))
    return;
  if (!parley_sim_tt_param(r, "video_id", video, sizeof video) ||
      (replies && !parley_sim_tt_param(r, "comment_id", comment, sizeof comment))) {
    parley_sim_tt_fail(r, 40002, replies ? "video_id and comment_id: Missing data for required field."
                                         : "video_id: Missing data for required field.");
    return;
  }
  parley_sim_tt_param(r, "status", status, sizeof status);
  parley_sim_tt_param(r, "sort_field", field, sizeof field);
  parley_sim_tt_param(r, "sort_order", order, sizeof order);
  json_t *ids = parley_sim_tt_param(r, "comment_ids", ids_buf, sizeof ids_buf)
                    ? json_loads(ids_buf, 0, NULL) : NULL;
  json_t *video_item = parley_sim_item_find(r->sim, PARLEY_SIM_TT, video);
  if (!parley_sim_tt_is(video_item, "video")) {
    json_decref(ids);
    parley_sim_tt_fail(r, 40002, "video_id: no such video of this business account.");
    return;
  }
  json_t *items = parley_sim_tt_comments_of(r->sim, replies ? comment : video, !strcmp(status, "ALL"));
  parley_sim_tt_sort(r, items, field, order);
  json_t *out = json_array(), *it;
  size_t i, matched = 0;
  json_array_foreach(items, i, it) {
    if (!parley_sim_tt_in_ids(it, ids)) continue;
    if ((long)matched >= cursor && (long)matched < cursor + max)
      json_array_append_new(out, parley_sim_tt_render_comment(r->sim, it));
    matched++;
  }
  json_decref(items);
  json_decref(ids);
  long next = cursor + (long)json_array_size(out);
  parley_sim_tt_ok(r, json_pack("{s:o,s:I,s:b}", "comments", out, "cursor", (json_int_t)next,
                                "has_more", (long)matched > next));
}

/* ---- writes ------------------------------------------------------------------------------ */

static void parley_sim_tt_create(parley_sim_tt_req_t *r, int reply) {
  char video[64], comment[64], text[PARLEY_SIM_TT_TEXT_MAX * 4 + 8], id[32];
  parley_error_t err = {0};
  if (!parley_sim_tt_scope(r, "comment.list.manage") || !parley_sim_tt_business(r)) return;
  json_t *v = parley_sim_tt_param(r, "video_id", video, sizeof video)
                  ? parley_sim_item_find(r->sim, PARLEY_SIM_TT, video) : NULL;
  json_t *parent = v;
  if (reply) parent = parley_sim_tt_param(r, "comment_id", comment, sizeof comment)
                          ? parley_sim_item_find(r->sim, PARLEY_SIM_TT, comment) : NULL;
  if (!parley_sim_tt_is(v, "video") || !parley_sim_tt_is(parent, reply ? "comment" : "video")) {
    parley_sim_tt_fail(r, 40002, "video_id/comment_id: no such video or comment.");
    return;
  }
  const char *t = parley_sim_tt_param(r, "text", text, sizeof text);
  if (!t || !*t || strlen(t) > PARLEY_SIM_TT_TEXT_MAX) {
    parley_sim_tt_fail(r, 40002, "text: Length must be between 1 and 150.");
    return;
  }
  json_t *up = parley_sim_item_find(r->sim, PARLEY_SIM_TT, parley_sim_tt_str(parent, "parent_id"));
  if (reply && parley_sim_tt_is(up, "comment")) parent = up; /* two levels */
  const char *acct = parley_sim_tt_str(parley_sim_account(r->sim, PARLEY_SIM_TT), "id");
  json_t *item = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "platform", PARLEY_SIM_TT, "type",
                           "comment", "id", parley_sim_next_id(r->sim, PARLEY_SIM_TT, id, sizeof id),
                           "parent_id", parley_sim_tt_str(parent, "id"), "author_id",
                           acct ? acct : "0", "text", text, "from_brand", 1);
  json_t *stored = parley_sim_item_add(r->sim, item, &err);
  if (!stored) {
    parley_sim_tt_fail(r, 50000, err.message);
    return;
  }
  parley_sim_record(r->sim, PARLEY_SIM_TT,
                    json_pack("{s:s,s:s,s:s,s:s}", "action", reply ? "reply" : "comment",
                              "in_reply_to", parley_sim_tt_str(parent, "id"), "id", id, "text",
                              text));
  parley_sim_tt_ok(r, json_pack("{s:s,s:s,s:I,s:s}", "comment_id", id, "video_id", video,
                                "create_time", (json_int_t)parley_sim_tt_secs(stored), "text", text));
}

/* hide / like / pin / delete: {business_id, comment_id, action}. */
static void parley_sim_tt_moderate(parley_sim_tt_req_t *r, const char *what) {
  char comment[64], action[16] = "";
  if (!parley_sim_tt_scope(r, "comment.list.manage") || !parley_sim_tt_business(r)) return;
  json_t *c = parley_sim_tt_param(r, "comment_id", comment, sizeof comment)
                  ? parley_sim_item_find(r->sim, PARLEY_SIM_TT, comment) : NULL;
  parley_sim_tt_param(r, "action", action, sizeof action);
  if (!parley_sim_tt_is(c, "comment") || json_is_true(json_object_get(c, "deleted"))) {
    parley_sim_tt_fail(r, 40002, "comment_id: no such comment.");
    return;
  }
  int brand = json_is_true(json_object_get(c, "from_brand"));
  if (!strcmp(what, "delete") && !brand) {
    parley_sim_tt_fail(r, 40002, "Only comments created by the business account can be deleted; "
                                 "hide the comment instead.");
    return;
  }
  if (strcmp(what, "delete") && !*action) {
    parley_sim_tt_fail(r, 40002, "action: Missing data for required field.");
    return;
  }
  if (!strcmp(what, "delete")) json_object_set_new(c, "deleted", json_true());
  else if (!strcmp(what, "hide")) json_object_set_new(c, "hidden", json_boolean(!strcmp(action, "HIDE")));
  else if (!strcmp(what, "pin")) json_object_set_new(c, "tt_pinned", json_boolean(!strcmp(action, "PIN")));
  json_t *rec = json_pack("{s:s,s:s}", "action", what, "target", comment);
  if (*action) json_object_set_new(rec, "mode", json_string(action));
  parley_sim_record(r->sim, PARLEY_SIM_TT, rec);
  parley_sim_tt_ok(r, NULL);
}

/* ---- OAuth (tt_user/oauth2, tt_user/token_info) -------------------------------------------- */

#define PARLEY_SIM_TT_ACCESS_S (24u * 3600u)
#define PARLEY_SIM_TT_REFRESH_S (365u * 24u * 3600u)
#define PARLEY_SIM_TT_SCOPES "user.info.basic,video.list,comment.list,comment.list.manage"

/* client_id/app_id + client_secret must be the app's. */
static int parley_sim_tt_client(parley_sim_tt_req_t *r) {
  const char *secret = parley_sim_tt_str(r->body, "client_secret");
  if (!secret || strcmp(secret, r->tt->secret)) {
    parley_sim_tt_fail(r, 40101, "The combination of app_id and secret is invalid.");
    return 0;
  }
  return 1;
}

/* A fresh access token (24 h) and refresh token (365 d) for the account. */
static void parley_sim_tt_issue(parley_sim_tt_req_t *r) {
  char access[64], refresh[64];
  const char *acct = parley_sim_tt_str(parley_sim_account(r->sim, PARLEY_SIM_TT), "id");
  if (!parley_sim_token_issue(r->sim, PARLEY_SIM_TT, "act.", "user", NULL, acct,
                              r->tt->access_s, access, sizeof access) ||
      !parley_sim_token_issue(r->sim, PARLEY_SIM_TT, "rft.", "refresh", NULL, acct,
                              PARLEY_SIM_TT_REFRESH_S, refresh, sizeof refresh)) {
    parley_sim_tt_fail(r, 50000, "System error, please try again later.");
    return;
  }
  parley_sim_tt_ok(r, json_pack("{s:s,s:s,s:i,s:s,s:i,s:s,s:s}", "access_token", access,
                                "token_type", "Bearer", "expires_in", (int)r->tt->access_s,
                                "refresh_token", refresh, "refresh_token_expires_in",
                                PARLEY_SIM_TT_REFRESH_S, "open_id", acct ? acct : "",
                                "scope", PARLEY_SIM_TT_SCOPES));
}

/* An auth code is good once (TikTok's live about ten minutes). */
static int parley_sim_tt_take_code(parley_sim_tt_t *tt, const char *code) {
  size_t i;
  json_t *c;
  json_array_foreach(tt->auth_codes, i, c) {
    if (code && !strcmp(json_string_value(c), code)) {
      json_array_remove(tt->auth_codes, i);
      return 1;
    }
  }
  return 0;
}

static void parley_sim_tt_oauth(parley_sim_tt_req_t *r, const char *ep) {
  const char *grant = parley_sim_tt_str(r->body, "grant_type");
  const parley_sim_token_t *tok = NULL;
  if (!strcmp(ep, "tt_user/token_info/get/")) {
    const char *t = parley_sim_tt_str(r->body, "access_token");
    if (parley_sim_auth(r->sim, PARLEY_SIM_TT, t, &tok) != PARLEY_SIM_AUTH_OK)
      parley_sim_tt_fail(r, 40105, "Access token is incorrect or has been revoked.");
    else
      parley_sim_tt_ok(r, json_pack("{s:s,s:s,s:s}", "app_id", r->tt->client_key, "creator_id",
                                    tok->user_id ? tok->user_id : "", "scope",
                                    tok->scopes ? tok->scopes : PARLEY_SIM_TT_SCOPES));
    return;
  }
  if (!parley_sim_tt_client(r)) return;
  if (!strcmp(ep, "tt_user/oauth2/revoke/")) {
    parley_sim_token_revoke(r->sim, PARLEY_SIM_TT, parley_sim_tt_str(r->body, "access_token")
                                                       ? parley_sim_tt_str(r->body, "access_token") : "");
    parley_sim_tt_ok(r, NULL);
  } else if (!strcmp(ep, "tt_user/oauth2/token/") && grant && !strcmp(grant, "authorization_code")) {
    if (parley_sim_tt_take_code(r->tt, parley_sim_tt_str(r->body, "auth_code"))) parley_sim_tt_issue(r);
    else parley_sim_tt_fail(r, 40110, "The auth_code is invalid, expired or has been used.");
  } else if (!strcmp(ep, "tt_user/oauth2/refresh_token/") && grant && !strcmp(grant, "refresh_token")) {
    const char *rt = parley_sim_tt_str(r->body, "refresh_token");
    if (parley_sim_auth(r->sim, PARLEY_SIM_TT, rt, &tok) != PARLEY_SIM_AUTH_OK || !tok ||
        strcmp(tok->kind, "refresh"))
      parley_sim_tt_fail(r, 40105, "The refresh_token is incorrect, expired or has been revoked.");
    else
      parley_sim_tt_issue(r);
  } else {
    parley_sim_tt_fail(r, 40002, "grant_type: must be authorization_code (oauth2/token/) or "
                                 "refresh_token (oauth2/refresh_token/).");
  }
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static void parley_sim_tt_route(parley_sim_tt_req_t *r, const char *ep, int post) {
  if (!strcmp(ep, "business/video/list/") && !post) {
    if (parley_sim_tt_rate(r, ep)) parley_sim_tt_videos(r);
  } else if (!strcmp(ep, "business/comment/list/") && !post) {
    if (parley_sim_tt_rate(r, ep)) parley_sim_tt_comments(r, 0);
  } else if (!strcmp(ep, "business/comment/reply/list/") && !post) {
    if (parley_sim_tt_rate(r, ep)) parley_sim_tt_comments(r, 1);
  } else if (!strcmp(ep, "business/comment/create/") && post) {
    if (parley_sim_tt_rate(r, ep)) parley_sim_tt_create(r, 0);
  } else if (!strcmp(ep, "business/comment/reply/create/") && post) {
    if (parley_sim_tt_rate(r, ep)) parley_sim_tt_create(r, 1);
  } else if (post && (!strcmp(ep, "business/comment/hide/") || !strcmp(ep, "business/comment/like/") ||
                      !strcmp(ep, "business/comment/pin/") || !strcmp(ep, "business/comment/delete/"))) {
    char what[16];
    snprintf(what, sizeof what, "%.*s", (int)(strlen(ep) - strlen("business/comment/") - 1),
             ep + strlen("business/comment/"));
    if (parley_sim_tt_rate(r, ep)) parley_sim_tt_moderate(r, what);
  } else {
    parley_sim_respond_json(r->sim, r->req, 404,
                            parley_sim_tt_envelope(r->sim, 40400, "Not Found: no such API.", NULL),
                            NULL, NULL);
  }
}

static void parley_sim_tt_handle(parley_sim_t *sim, parley_httpd_req_t *req, const char *subpath) {
  parley_error_t err = {0};
  char msg[PARLEY_ERROR_MAX + 16];
  parley_sim_tt_req_t r = {.sim = sim, .tt = parley_sim_tt(sim), .req = req};
  int post = !strcmp(parley_httpd_req_method(req), "POST");
  if (strncmp(subpath, PARLEY_SIM_TT_PREFIX, strlen(PARLEY_SIM_TT_PREFIX))) {
    parley_sim_respond_json(sim, req, 404,
                            parley_sim_tt_envelope(sim, 40400, "Not Found: the simulator serves "
                                                               "/open_api/v1.3/.", NULL),
                            NULL, NULL);
    return;
  }
  const char *ep = subpath + strlen(PARLEY_SIM_TT_PREFIX);
  int oauth = !strncmp(ep, "tt_user/", 8); /* the app authenticates, not a token */
  if (!oauth && !parley_sim_tt_auth(&r)) return;
  if ((post || oauth) && !(r.body = parley_sim_req_json(req, &err))) {
    snprintf(msg, sizeof msg, "%s", err.message);
    parley_sim_tt_fail(&r, 40002, msg);
    return;
  }
  if (oauth) parley_sim_tt_oauth(&r, ep);
  else parley_sim_tt_route(&r, ep, post);
  json_decref(r.body);
}

/* ---- webhooks ------------------------------------------------------------------------------ */

static void parley_sim_tt_on_item(parley_sim_t *sim, json_t *item) {
  parley_sim_tt_t *tt = parley_sim_tt(sim);
  if (!parley_sim_tt_is(item, "comment") || !parley_sim_webhook_target(sim, PARLEY_SIM_TT)) return;
  json_t *c = parley_sim_tt_render_comment(sim, item);
  json_t *parent = parley_sim_item_find(sim, PARLEY_SIM_TT, parley_sim_tt_str(item, "parent_id"));
  json_object_set_new(c, "comment_type", json_string(parley_sim_tt_is(parent, "comment") ? "reply" : "comment"));
  json_object_set_new(c, "comment_action", json_string("insert"));
  json_object_set_new(c, "timestamp", json_integer((json_int_t)parley_sim_tt_secs(item)));
  json_object_set_new(c, "unique_identifier", json_incref(json_object_get(c, "username")));
  char *content = json_dumps(c, JSON_COMPACT);
  json_decref(c);
  const char *acct = parley_sim_tt_str(parley_sim_account(sim, PARLEY_SIM_TT), "id");
  int64_t t = (int64_t)(parley_sim_now_ms() / 1000u) - tt->stale_s;
  /* content is a JSON string inside the JSON body, as TikTok sends it. */
  json_t *env = json_pack("{s:s,s:s,s:I,s:s,s:s}", "client_key", tt->client_key, "event",
                          "comment.update", "create_time", (json_int_t)t, "user_openid",
                          acct ? acct : "", "content", content ? content : "{}");
  free(content);
  char *body = json_dumps(env, JSON_COMPACT);
  json_decref(env);
  if (!body) return;
  size_t len = strlen(body), plen = len + 32;
  char *payload = malloc(plen), sig[80], header[160];
  if (payload) {
    int n = snprintf(payload, plen, "%lld.%s", (long long)t, body);
    parley_sim_hmac_sha256_hex(tt->secret, payload, (size_t)n, sig, sizeof sig);
    snprintf(header, sizeof header, "TikTok-Signature: t=%lld,s=%s", (long long)t, sig);
    const char *headers[] = {"Content-Type: application/json", header, NULL};
    for (int i = 0; i < (tt->duplicates ? 2 : 1); i++)
      parley_sim_webhook_post(sim, PARLEY_SIM_TT, body, len, headers);
  }
  free(payload);
  free(body);
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

static int parley_sim_tt_init(parley_sim_t *sim, json_t *part, parley_error_t *err) {
  parley_sim_tt_t *tt = calloc(1, sizeof *tt);
  const char *secret = parley_sim_tt_str(part, "client_secret");
  const char *key = parley_sim_tt_str(part, "client_key");
  json_t *pm = json_object_get(json_object_get(part, "rate_limit"), "per_minute");
  json_t *stale = json_object_get(part, "webhook_stale_seconds");
  if (!tt) return parley_error_set(err, PARLEY_ENOMEM, "tiktok: out of memory");
  parley_sim_set_state(sim, PARLEY_SIM_TT, tt);
  tt->secret = strdup(secret ? secret : "sim-tiktok-client-secret");
  tt->client_key = strdup(key ? key : "sim-tiktok-client-key");
  if (!tt->secret || !tt->client_key) return parley_error_set(err, PARLEY_ENOMEM, "tiktok: out of memory");
  tt->per_minute = json_is_integer(pm) && json_integer_value(pm) > 0 ? (long)json_integer_value(pm) : 600;
  tt->duplicates = json_is_true(json_object_get(part, "webhook_duplicates"));
  tt->stale_s = json_is_integer(stale) ? (long)json_integer_value(stale) : 0;
  json_t *life = json_object_get(part, "access_token_lifetime_s");
  tt->access_s = json_is_integer(life) && json_integer_value(life) > 0
                     ? (unsigned)json_integer_value(life) : PARLEY_SIM_TT_ACCESS_S;
  tt->auth_codes = json_is_array(json_object_get(part, "auth_codes"))
                       ? json_deep_copy(json_object_get(part, "auth_codes"))
                       : json_pack("[s]", "sim-auth-code");
  if (!tt->auth_codes) return parley_error_set(err, PARLEY_ENOMEM, "tiktok: out of memory");
  if (!json_array_size(json_object_get(part, "tokens")))
    parley_sim_token_add(sim, PARLEY_SIM_TT, "act.sim-token", "user", NULL, NULL, 24u * 3600u);
  return 0;
}

static void parley_sim_tt_free(parley_sim_t *sim) {
  parley_sim_tt_t *tt = parley_sim_tt(sim);
  if (!tt) return;
  free(tt->secret);
  free(tt->client_key);
  json_decref(tt->auth_codes);
  free(tt);
  parley_sim_set_state(sim, PARLEY_SIM_TT, NULL);
}

const parley_sim_platform_t parley_sim_tiktok = {
    .name = PARLEY_SIM_TT,
    .init = parley_sim_tt_init,
    .handle = parley_sim_tt_handle,
    .on_item = parley_sim_tt_on_item,
    .error_body = parley_sim_tt_error_body,
    .free = parley_sim_tt_free,
};
