/* parley-sim — LinkedIn organization pages (linkedin.md): the versioned
 * /rest API with its required headers (LinkedIn-Version,
 * X-Restli-Protocol-Version: 2.0.0), Rest.li error bodies, member tokens
 * with scopes, daily rate limits (429, no Retry-After), organization posts
 * and comments (socialActions) with start/count paging, comments and
 * replies created as the organization (201 + x-restli-id), deletes, the
 * organizationalEntityNotifications pull API, and webhook notifications
 * signed with X-LI-Signature after the challengeCode validation.
 *
 * Store mapping (platform "linkedin"; numeric ids):
 *   post     an organization post: urn:li:share:<id>, activity
 *            urn:li:activity:<id> (the simulator gives both the same number)
 *   comment  parent_id = post (top level) or comment (reply, two levels):
 *            urn:li:comment:(urn:li:activity:<post>,<id>)
 *   mention  a member's post that mentions the organization (SHARE_MENTION)
 * Users are members (urn:li:person:<id>); the account is the organization
 * (scenario account.urn, or urn:li:organization:<account.id>).
 * OAuth: GET /oauth/v2/authorization (consents at once, 302 with a code),
 * POST /oauth/v2/accessToken (authorization_code once per code, or
 * refresh_token; refresh tokens count down from the first consent).
 * Scenario keys: client_secret, auth_codes (default ["sim-auth-code"]),
 * oldest_version (YYYYMM, default 202401),
 * rate_limit {member_day, app_day}, webhook_duplicates (bool),
 * comments_newest_first (bool; default oldest first, §5.1 is unsure). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

#define PARLEY_SIM_LI "linkedin"
#define PARLEY_SIM_LI_TEXT_MAX 1250
#define PARLEY_SIM_LI_RETENTION_MS (60ull * 24u * 3600u * 1000u)

typedef struct parley_sim_li {
  char *secret;
  char org[128];            /* urn:li:organization:<id> */
  int oldest_version;       /* YYYYMM */
  long member_day, app_day; /* calls per endpoint per UTC day */
  int duplicates;
  int newest_first;         /* comments listed newest first */
  int validated;            /* -1 refused, 0 pending/none, 1 validated */
  char challenge[40];
  json_t *waiting;          /* bodies waiting for validation */
  json_t *codes;            /* authorization codes not used yet */
  uint64_t consent_ms;      /* first consent: the refresh token's clock */
} parley_sim_li_t;

typedef struct parley_sim_li_req {
  parley_sim_t *sim;
  parley_sim_li_t *li;
  parley_httpd_req_t *req;
  const char *method;
  const parley_sim_token_t *tok;
} parley_sim_li_req_t;

static const char *parley_sim_li_str(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static parley_sim_li_t *parley_sim_li(parley_sim_t *sim) { return parley_sim_state(sim, PARLEY_SIM_LI); }

static int parley_sim_li_is(json_t *item, const char *type) {
  const char *t = parley_sim_li_str(item, "type");
  return t && !strcmp(t, type);
}

static uint64_t parley_sim_li_ms(json_t *item) {
  return (uint64_t)json_integer_value(json_object_get(item, "created_ms"));
}

/* ---- errors (Rest.li) --------------------------------------------------------- */

static json_t *parley_sim_li_error_json(int status, int service_code, const char *code,
                                        const char *message) {
  json_t *e = json_pack("{s:i,s:s,s:s}", "status", status, "code", code, "message", message);
  if (service_code) json_object_set_new(e, "serviceErrorCode", json_integer(service_code));
  return e;
}

static void parley_sim_li_fail(parley_sim_li_req_t *r, int status, int service_code,
                               const char *code, const char *message) {
  parley_sim_respond_json(r->sim, r->req, status,
                          parley_sim_li_error_json(status, service_code, code, message), NULL, NULL);
}

static void parley_sim_li_not_found(parley_sim_li_req_t *r) {
  parley_sim_li_fail(r, 404, 0, "NOT_FOUND", "Not Found");
}

static json_t *parley_sim_li_error_body(parley_sim_t *sim, int status, parley_sim_headers_t *h,
                                        const char **ctype) {
  /* An injected 429 is LinkedIn's brief infrastructure throttle (§9), which
   * names no DAY limit; exhausted daily counters answer with the DAY message
   * (parley_sim_li_rate_ok). */
  if (status == 429)
    return parley_sim_li_error_json(429, 101, "TOO_MANY_REQUESTS",
                                    "Resource level throttle limit for calls to this resource "
                                    "is reached.");
  if (status == 504) return parley_sim_li_error_json(504, 0, "GATEWAY_TIMEOUT", "Gateway Timeout");
  return parley_sim_li_error_json(status, 0, "INTERNAL_SERVER_ERROR", "Internal Server Error");
}

/* ---- URNs ------------------------------------------------------------------------ */

static void parley_sim_li_decode(const char *s, char *out, size_t len) {
  size_t o = 0;
  for (size_t i = 0; s[i] && o + 1 < len; i++) {
    if (s[i] == '%' && isxdigit((unsigned char)s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
      char hex[3] = {s[i + 1], s[i + 2], 0};
      out[o++] = (char)strtol(hex, NULL, 16);
      i += 2;
    } else {
      out[o++] = s[i];
    }
  }
  out[o] = '\0';
}

static int parley_sim_li_digits(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (!isdigit((unsigned char)*s)) return 0;
  return 1;
}

/* The store item a URN names: share / ugcPost / activity -> post id;
 * comment (long or short form) -> comment id. NULL when malformed. */
static const char *parley_sim_li_urn_id(const char *urn, char *buf, size_t len, int *comment) {
  static const char *const posts[] = {"urn:li:share:", "urn:li:ugcPost:", "urn:li:activity:"};
  *comment = 0;
  for (size_t i = 0; i < 3; i++) {
    size_t n = strlen(posts[i]);
    if (!strncmp(urn, posts[i], n) && parley_sim_li_digits(urn + n)) {
      snprintf(buf, len, "%s", urn + n);
      return buf;
    }
  }
  const char *comma = strrchr(urn, ',');
  size_t cl = strlen(urn);
  if (strncmp(urn, "urn:li:comment:(", 16) || !comma || urn[cl - 1] != ')') return NULL;
  snprintf(buf, len, "%.*s", (int)(cl - 1 - (size_t)(comma + 1 - urn)), comma + 1);
  *comment = 1;
  return parley_sim_li_digits(buf) ? buf : NULL;
}

static void parley_sim_li_comment_urn(json_t *item, char *buf, size_t len) {
  snprintf(buf, len, "urn:li:comment:(urn:li:activity:%s,%s)",
           parley_sim_li_str(item, "conversation_id"), parley_sim_li_str(item, "id"));
}

/* Person URN of a member, or the organization for the brand. */
static void parley_sim_li_actor(parley_sim_t *sim, json_t *item, char *buf, size_t len) {
  if (json_is_true(json_object_get(item, "from_brand")))
    snprintf(buf, len, "%s", parley_sim_li(sim)->org);
  else
    snprintf(buf, len, "urn:li:person:%s",
             parley_sim_li_str(item, "author_id") ? parley_sim_li_str(item, "author_id") : "0");
}

/* ---- rendering -------------------------------------------------------------------- */

static json_t *parley_sim_li_comments_of(parley_sim_t *sim, const char *parent_id) {
  parley_sim_filter_t f = {.platform = PARLEY_SIM_LI, .type = "comment", .parent_id = parent_id};
  json_t *items = parley_sim_items(sim, &f);
  /* linkedin.md §5.1 leaves the order open: oldest first (offsets stay put
   * when new comments arrive) unless the scenario says comments_newest_first. */
  if (parley_sim_li(sim)->newest_first)
    return items;
  size_t n = json_array_size(items);
  json_t *out = json_array();
  for (size_t i = n; i-- > 0;) json_array_append(out, json_array_get(items, i));
  json_decref(items);
  return out;
}

static json_t *parley_sim_li_render_comment(parley_sim_t *sim, json_t *item) {
  char urn[256], actor[160], object[96];
  const char *text = parley_sim_li_str(item, "text");
  json_t *parent = parley_sim_item_find(sim, PARLEY_SIM_LI, parley_sim_li_str(item, "parent_id"));
  json_t *replies = parley_sim_li_comments_of(sim, parley_sim_li_str(item, "id"));
  json_int_t n = (json_int_t)json_array_size(replies), t = (json_int_t)parley_sim_li_ms(item);
  json_decref(replies);
  parley_sim_li_comment_urn(item, urn, sizeof urn);
  parley_sim_li_actor(sim, item, actor, sizeof actor);
  snprintf(object, sizeof object, "urn:li:activity:%s", parley_sim_li_str(item, "conversation_id"));
  json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:[]},s:{s:s,s:I},s:{s:s,s:I},"
                        "s:{s:i,s:b},s:{s:I,s:I}}",
                        "id", parley_sim_li_str(item, "id"), "commentUrn", urn, "$URN", urn,
                        "object", object, "actor", actor, "message", "text", text ? text : "",
                        "attributes", "created", "actor", actor, "time", t, "lastModified",
                        "actor", actor, "time", t, "likesSummary", "totalLikes", 0,
                        "likedByCurrentUser", 0, "commentsSummary", "totalFirstLevelComments", n,
                        "aggregatedTotalComments", n);
  if (parley_sim_li_is(parent, "comment")) {
    char purn[256];
    parley_sim_li_comment_urn(parent, purn, sizeof purn);
    json_object_set_new(o, "parentComment", json_string(purn));
  }
  return o;
}

static json_t *parley_sim_li_render_post(parley_sim_t *sim, json_t *item) {
  char id[64], author[160];
  const char *text = parley_sim_li_str(item, "text");
  json_int_t t = (json_int_t)parley_sim_li_ms(item);
  snprintf(id, sizeof id, "urn:li:share:%s", parley_sim_li_str(item, "id"));
  parley_sim_li_actor(sim, item, author, sizeof author);
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:[],s:[]},s:b,s:I,s:I,s:I}", "id", id, "author",
                   author, "commentary", text ? text : "", "visibility", "PUBLIC",
                   "lifecycleState", "PUBLISHED", "distribution", "feedDistribution",
                   "MAIN_FEED", "targetEntities", "thirdPartyDistributionChannels",
                   "isReshareDisabledByAuthor", 0, "createdAt", t, "publishedAt", t,
                   "lastModifiedAt", t);
}

/* ---- paging ------------------------------------------------------------------------- */

static int parley_sim_li_int_param(parley_httpd_req_t *req, const char *name, long dflt,
                                   long *out) {
  char buf[32], *end = NULL;
  *out = dflt;
  if (parley_httpd_req_query_param(req, name, buf, sizeof buf) < 0) return 0;
  long v = strtol(buf, &end, 10);
  if (!*buf || *end || v < 0) return -1;
  *out = v;
  return 0;
}

/* {"paging":{start,count,total,links},"elements":[...]} for items (stolen);
 * links are relative to the API root, as LinkedIn writes them. */
static void parley_sim_li_respond_page(parley_sim_li_req_t *r, json_t *items,
                                       json_t *(*render)(parley_sim_t *, json_t *),
                                       const parley_sim_headers_t *h) {
  long start, count;
  if (parley_sim_li_int_param(r->req, "start", 0, &start) != 0 ||
      parley_sim_li_int_param(r->req, "count", 10, &count) != 0 || count == 0) {
    json_decref(items);
    parley_sim_li_fail(r, 400, 0, "ILLEGAL_ARGUMENT",
                       "start and count must be non-negative integers (count at least 1)");
    return;
  }
  if (count > 100) count = 100;
  long total = (long)json_array_size(items);
  json_t *elements = json_array(), *links = json_array();
  for (long i = start; i < total && i < start + count; i++)
    json_array_append_new(elements, render(r->sim, json_array_get(items, (size_t)i)));
  if (start + count < total) {
    const char *path = parley_httpd_req_path(r->req) + strlen("/" PARLEY_SIM_LI);
    const char *q = parley_httpd_req_query(r->req);
    size_t cap = strlen(path) + strlen(q) + 64;
    char *href = malloc(cap);
    int n = href ? snprintf(href, cap, "%s?", path) : 0;
    for (const char *p = q; href && *p;) {
      const char *amp = strchr(p, '&');
      size_t seg = amp ? (size_t)(amp - p) : strlen(p);
      if (seg && strncmp(p, "start=", 6) && strncmp(p, "count=", 6))
        n += snprintf(href + n, cap - (size_t)n, "%.*s&", (int)seg, p);
      p += seg + (amp ? 1 : 0);
    }
    if (href) {
      snprintf(href + n, cap - (size_t)n, "count=%ld&start=%ld", count, start + count);
      json_array_append_new(links, json_pack("{s:s,s:s,s:s}", "rel", "next", "type",
                                             "application/json", "href", href));
    }
    free(href);
  }
  json_decref(items);
  parley_sim_respond_json(r->sim, r->req, 200,
                          json_pack("{s:{s:I,s:I,s:I,s:o},s:o}", "paging", "start",
                                    (json_int_t)start, "count", (json_int_t)count, "total",
                                    (json_int_t)total, "links", links, "elements", elements),
                          NULL, h);
}

/* ---- checks ------------------------------------------------------------------------- */

static int parley_sim_li_month_now(void) {
  time_t t = (time_t)(parley_sim_now_ms() / 1000u);
  struct tm tm;
  gmtime_r(&t, &tm);
  return (tm.tm_year + 1900) * 100 + tm.tm_mon + 1;
}

static int parley_sim_li_headers_ok(parley_sim_li_req_t *r) {
  const char *v = parley_httpd_req_header(r->req, "LinkedIn-Version");
  const char *p = parley_httpd_req_header(r->req, "X-Restli-Protocol-Version");
  char msg[160];
  if (!v) {
    parley_sim_li_fail(r, 400, 0, "VERSION_MISSING",
                       "A version must be present. Please specify a version by adding the "
                       "LinkedIn-Version header.");
    return 0;
  }
  int ver = parley_sim_li_digits(v) && strlen(v) == 6 ? atoi(v) : -1;
  if (ver < r->li->oldest_version || ver > parley_sim_li_month_now() || ver % 100 < 1 ||
      ver % 100 > 12) {
    snprintf(msg, sizeof msg, "Requested version %.16s is not active", v);
    parley_sim_li_fail(r, 426, 0, "NONEXISTENT_VERSION", msg);
    return 0;
  }
  if (!p || strcmp(p, "2.0.0")) {
    parley_sim_li_fail(r, 400, 0, "ILLEGAL_ARGUMENT",
                       "X-Restli-Protocol-Version: 2.0.0 is required by the versioned API");
    return 0;
  }
  return 1;
}

static int parley_sim_li_auth(parley_sim_li_req_t *r) {
  const char *cred = parley_httpd_req_header(r->req, "Authorization");
  switch (parley_sim_auth(r->sim, PARLEY_SIM_LI, cred, &r->tok)) {
  case PARLEY_SIM_AUTH_OK:
    return 1;
  case PARLEY_SIM_AUTH_MISSING:
    parley_sim_li_fail(r, 401, 65604, "EMPTY_ACCESS_TOKEN", "Empty oauth2 access token");
    return 0;
  case PARLEY_SIM_AUTH_EXPIRED:
    parley_sim_li_fail(r, 401, 65600, "EXPIRED_ACCESS_TOKEN",
                       "The token used in the request has expired");
    return 0;
  default:
    parley_sim_li_fail(r, 401, 65601, "REVOKED_ACCESS_TOKEN",
                       "The token used in the request has been revoked by the user");
    return 0;
  }
}

/* The member's token must carry scope (or its newer "_feed" name). */
static int parley_sim_li_scope(parley_sim_li_req_t *r, const char *scope) {
  const char *s = r->tok && r->tok->scopes ? r->tok->scopes : "";
  char feed[64], msg[200];
  snprintf(feed, sizeof feed, "%s_feed", scope);
  for (const char *p = s; *p;) {
    size_t n = strcspn(p, " ,");
    if ((n == strlen(scope) && !strncmp(p, scope, n)) || (n == strlen(feed) && !strncmp(p, feed, n)))
      return 1;
    p += n;
    p += strspn(p, " ,");
  }
  snprintf(msg, sizeof msg, "Not enough permissions to access: %s %s (scope %s)", r->method,
           parley_httpd_req_path(r->req), scope);
  parley_sim_li_fail(r, 403, 100, "ACCESS_DENIED", msg);
  return 0;
}

/* Daily counters per endpoint: one per member token, one per app. */
static int parley_sim_li_rate_ok(parley_sim_li_req_t *r, const char *endpoint) {
  int64_t now = (int64_t)(parley_sim_now_ms() / 1000u);
  long to_midnight = (long)(86400 - now % 86400);
  const char *token = r->tok ? r->tok->token : NULL;
  if (parley_sim_ratelimit_take(r->sim, PARLEY_SIM_LI, endpoint, token, r->li->member_day,
                                to_midnight, NULL) ||
      parley_sim_ratelimit_take(r->sim, PARLEY_SIM_LI, endpoint, NULL, r->li->app_day,
                                to_midnight, NULL)) {
    parley_sim_li_fail(r, 429, 101, "TOO_MANY_REQUESTS",
                       "Resource level throttle APPLICATION DAY limit for calls to this resource "
                       "is reached.");
    return 0;
  }
  return 1;
}

/* ---- endpoints ------------------------------------------------------------------------ */

static int parley_sim_li_org_post(json_t *item, void *data) {
  return parley_sim_li_is(item, "post") && json_is_true(json_object_get(item, "from_brand"));
}

/* GET /rest/posts?q=author&author=<org> and GET /rest/posts/{urn}. */
static void parley_sim_li_posts(parley_sim_li_req_t *r, const char *rest) {
  char q[32], author[160], id[64];
  int comment;
  if (*rest) {
    char urn[256];
    parley_sim_li_decode(rest, urn, sizeof urn);
    json_t *item = parley_sim_li_urn_id(urn, id, sizeof id, &comment) && !comment
                       ? parley_sim_item_find(r->sim, PARLEY_SIM_LI, id) : NULL;
    if (!item || !parley_sim_li_is(item, "post") || json_is_true(json_object_get(item, "deleted")))
      parley_sim_li_not_found(r);
    else
      parley_sim_respond_json(r->sim, r->req, 200, parley_sim_li_render_post(r->sim, item), NULL, NULL);
    return;
  }
  if (parley_httpd_req_query_param(r->req, "q", q, sizeof q) < 0 || strcmp(q, "author") ||
      parley_httpd_req_query_param(r->req, "author", author, sizeof author) < 0) {
    parley_sim_li_fail(r, 400, 0, "ILLEGAL_ARGUMENT", "The finder needs q=author&author=<urn>");
    return;
  }
  parley_sim_filter_t f = {.platform = PARLEY_SIM_LI, .match = parley_sim_li_org_post};
  json_t *items = strcmp(author, r->li->org) ? json_array() : parley_sim_items(r->sim, &f);
  parley_sim_li_respond_page(r, items, parley_sim_li_render_post, NULL);
}

static void parley_sim_li_webhook_item(parley_sim_t *sim, json_t *item, const char *action);

/* POST /rest/socialActions/{target}/comments as the organization. */
static void parley_sim_li_create(parley_sim_li_req_t *r, json_t *target) {
  parley_error_t err = {0};
  char id[32], msg[PARLEY_ERROR_MAX + 32];
  json_t *body = parley_sim_req_json(r->req, &err);
  const char *actor = parley_sim_li_str(body, "actor");
  const char *text = parley_sim_li_str(json_object_get(body, "message"), "text");
  const char *parent_urn = parley_sim_li_str(body, "parentComment");
  json_t *parent = target;
  if (!body) {
    snprintf(msg, sizeof msg, "%s", err.message);
    parley_sim_li_fail(r, 400, 0, "ILLEGAL_ARGUMENT", msg);
  } else if (!actor || strcmp(actor, r->li->org)) {
    parley_sim_li_fail(r, 403, 100, "ACCESS_DENIED",
                       "Not enough permissions to act as the given actor (the member must be "
                       "ADMINISTRATOR of the organization)");
  } else if (!text || !*text || strlen(text) > PARLEY_SIM_LI_TEXT_MAX) {
    parley_sim_li_fail(r, 400, 0, "INVALID_FIELD_VALUE",
                       "message.text must be 1 to 1250 characters");
  } else {
    int is_comment = 0;
    char pid[64];
    if (parent_urn && parley_sim_li_urn_id(parent_urn, pid, sizeof pid, &is_comment) && is_comment)
      parent = parley_sim_item_find(r->sim, PARLEY_SIM_LI, pid);
    /* Two levels: a reply to a reply joins the top-level comment. */
    json_t *up = parent ? parley_sim_item_find(r->sim, PARLEY_SIM_LI, parley_sim_li_str(parent, "parent_id")) : NULL;
    if (parley_sim_li_is(parent, "comment") && parley_sim_li_is(up, "comment")) parent = up;
    if (!parent) {
      parley_sim_li_not_found(r);
      json_decref(body);
      return;
    }
    const char *acct = parley_sim_li_str(parley_sim_account(r->sim, PARLEY_SIM_LI), "id");
    json_t *item = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "platform", PARLEY_SIM_LI, "type",
                             "comment", "id", parley_sim_next_id(r->sim, PARLEY_SIM_LI, id, sizeof id),
                             "parent_id", parley_sim_li_str(parent, "id"), "author_id",
                             acct ? acct : "0", "text", text, "from_brand", 1);
    json_t *stored = parley_sim_item_add(r->sim, item, &err);
    if (!stored) {
      parley_sim_li_fail(r, 500, 0, "INTERNAL_SERVER_ERROR", err.message);
    } else {
      parley_sim_headers_t h = {0};
      parley_sim_headers_add(&h, "x-restli-id: %s", id);
      parley_sim_record(r->sim, PARLEY_SIM_LI,
                        json_pack("{s:s,s:s,s:s,s:s}", "action",
                                  parley_sim_li_is(parent, "comment") ? "reply" : "comment",
                                  "in_reply_to", parley_sim_li_str(parent, "id"), "id", id,
                                  "text", text));
      parley_sim_respond_json(r->sim, r->req, 201, parley_sim_li_render_comment(r->sim, stored),
                              NULL, &h);
      parley_sim_headers_free(&h);
    }
  }
  json_decref(body);
}

static void parley_sim_li_delete(parley_sim_li_req_t *r, json_t *comment) {
  char actor[160];
  if (parley_httpd_req_query_param(r->req, "actor", actor, sizeof actor) < 0 ||
      strcmp(actor, r->li->org)) {
    parley_sim_li_fail(r, 403, 100, "ACCESS_DENIED",
                       "Deleting as the organization needs actor=<organization URN>");
    return;
  }
  json_object_set_new(comment, "deleted", json_true());
  parley_sim_record(r->sim, PARLEY_SIM_LI,
                    json_pack("{s:s,s:s}", "action", "delete", "target",
                              parley_sim_li_str(comment, "id")));
  parley_sim_li_webhook_item(r->sim, comment, "COMMENT_DELETE");
  parley_sim_respond_json(r->sim, r->req, 204, NULL, NULL, NULL);
}

/* /rest/socialActions/{urn}/comments[/{id}] */
static void parley_sim_li_social(parley_sim_li_req_t *r, const char *rest) {
  char urn[512], id[64], tail[128] = "";
  int comment;
  const char *slash = strchr(rest, '/');
  size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
  char enc[512];
  snprintf(enc, sizeof enc, "%.*s", (int)(n < sizeof enc ? n : sizeof enc - 1), rest);
  parley_sim_li_decode(enc, urn, sizeof urn);
  if (slash) snprintf(tail, sizeof tail, "%s", slash);
  if (!parley_sim_li_urn_id(urn, id, sizeof id, &comment)) {
    parley_sim_li_fail(r, 400, 0, "ILLEGAL_ARGUMENT", "Syntax exception in path variables");
    return;
  }
  json_t *target = parley_sim_item_find(r->sim, PARLEY_SIM_LI, id);
  if (!target || json_is_true(json_object_get(target, "deleted")) ||
      strncmp(tail, "/comments", 9) || (tail[9] && tail[9] != '/')) {
    parley_sim_li_not_found(r);
    return;
  }
  const char *cid = tail[9] ? tail + 10 : NULL;
  json_t *c = cid ? parley_sim_item_find(r->sim, PARLEY_SIM_LI, cid) : NULL;
  if (cid && (!c || json_is_true(json_object_get(c, "deleted")) || !parley_sim_li_is(c, "comment"))) {
    parley_sim_li_not_found(r);
  } else if (!strcmp(r->method, "GET") && c) {
    if (parley_sim_li_scope(r, "r_organization_social"))
      parley_sim_respond_json(r->sim, r->req, 200, parley_sim_li_render_comment(r->sim, c), NULL, NULL);
  } else if (!strcmp(r->method, "GET")) {
    if (parley_sim_li_scope(r, "r_organization_social"))
      parley_sim_li_respond_page(r, parley_sim_li_comments_of(r->sim, id),
                                 parley_sim_li_render_comment, NULL);
  } else if (!strcmp(r->method, "POST") && !c) {
    if (parley_sim_li_scope(r, "w_organization_social")) parley_sim_li_create(r, target);
  } else if (!strcmp(r->method, "DELETE") && c) {
    if (parley_sim_li_scope(r, "w_organization_social")) parley_sim_li_delete(r, c);
  } else {
    parley_sim_li_fail(r, 405, 0, "METHOD_NOT_ALLOWED", "Method not allowed on this resource");
  }
}

/* ---- notifications (pull and webhook) ------------------------------------------------------ */

static const char *parley_sim_li_action(json_t *item) {
  if (parley_sim_li_is(item, "mention")) return "SHARE_MENTION";
  if (json_is_true(json_object_get(item, "deleted"))) return "COMMENT_DELETE";
  return json_is_true(json_object_get(item, "from_brand")) ? "ADMIN_COMMENT" : "COMMENT";
}

static json_t *parley_sim_li_notification(parley_sim_t *sim, json_t *item, const char *action) {
  parley_sim_li_t *li = parley_sim_li(sim);
  char owner[160], src[96], share[96], gen[256];
  const char *text = parley_sim_li_str(item, "text");
  const char *post_id = parley_sim_li_str(item, "conversation_id");
  json_t *post = parley_sim_item_find(sim, PARLEY_SIM_LI, post_id);
  const char *ptext = parley_sim_li_str(post, "text");
  parley_sim_li_actor(sim, item, owner, sizeof owner);
  snprintf(src, sizeof src, "urn:li:activity:%s", post_id);
  snprintf(share, sizeof share, "urn:li:share:%s", post_id);
  json_t *n = json_pack("{s:I,s:s,s:s,s:s,s:I}", "notificationId",
                        (json_int_t)strtoll(parley_sim_li_str(item, "id"), NULL, 10),
                        "organizationalEntity", li->org, "action", action, "subscriber",
                        "urn:li:person:sim-admin", "lastModifiedAt",
                        (json_int_t)(strcmp(action, "COMMENT_DELETE") ? parley_sim_li_ms(item)
                                                                      : parley_sim_now_ms()));
  if (parley_sim_li_is(item, "mention")) {
    json_object_set_new(n, "generatedActivity", json_string(share));
    json_object_set_new(n, "decoratedGeneratedActivity",
                        json_pack("{s:{s:s,s:s,s:s}}", "share", "entity", share, "owner", owner,
                                  "text", text ? text : ""));
    return n;
  }
  char powner[160];
  parley_sim_li_actor(sim, post, powner, sizeof powner);
  parley_sim_li_comment_urn(item, gen, sizeof gen);
  json_object_set_new(n, "sourcePost", json_string(src));
  json_object_set_new(n, "decoratedSourcePost",
                      json_pack("{s:s,s:s,s:s,s:s}", "entity", share, "owner", powner,
                                "mediaCategory", "NONE", "text", ptext ? ptext : ""));
  json_object_set_new(n, "generatedActivity", json_string(gen));
  json_object_set_new(n, "decoratedGeneratedActivity",
                      json_pack("{s:{s:s,s:s,s:s,s:s}}", "comment", "entity", gen, "owner", owner,
                                "object", src, "text", text ? text : ""));
  return n;
}

typedef struct parley_sim_li_criteria {
  char actions[256]; /* "List(COMMENT,SHARE_MENTION)" or "" */
  long long from, to;
} parley_sim_li_criteria_t;

static int parley_sim_li_notified(json_t *item, void *data) {
  parley_sim_li_criteria_t *c = data;
  long long t = (long long)parley_sim_li_ms(item);
  char want[40];
  if (!parley_sim_li_is(item, "comment") && !parley_sim_li_is(item, "mention")) return 0;
  if (t < c->from || t >= c->to) return 0;
  snprintf(want, sizeof want, "%s", parley_sim_li_action(item));
  if (!c->actions[0]) return 1;
  const char *hit = strstr(c->actions, want);
  size_t wl = strlen(want);
  return hit && hit > c->actions && (hit[-1] == '(' || hit[-1] == ',') &&
         (hit[wl] == ',' || hit[wl] == ')');
}

static json_t *parley_sim_li_render_notification(parley_sim_t *sim, json_t *item) {
  return parley_sim_li_notification(sim, item, parley_sim_li_action(item));
}

/* GET /rest/organizationalEntityNotifications?q=criteria&... (60 days). */
static void parley_sim_li_notifications(parley_sim_li_req_t *r) {
  char q[32], org[160], range[128];
  parley_sim_li_criteria_t c = {.from = 0, .to = (long long)parley_sim_now_ms() + 1};
  long long oldest = (long long)parley_sim_now_ms() - (long long)PARLEY_SIM_LI_RETENTION_MS;
  if (parley_httpd_req_query_param(r->req, "q", q, sizeof q) < 0 || strcmp(q, "criteria") ||
      parley_httpd_req_query_param(r->req, "organizationalEntity", org, sizeof org) < 0) {
    parley_sim_li_fail(r, 400, 0, "ILLEGAL_ARGUMENT",
                       "The finder needs q=criteria&organizationalEntity=<urn>");
    return;
  }
  if (parley_httpd_req_query_param(r->req, "timeRange", range, sizeof range) >= 0 &&
      sscanf(range, "(start:%lld,end:%lld)", &c.from, &c.to) != 2) {
    parley_sim_li_fail(r, 400, 0, "ILLEGAL_ARGUMENT", "timeRange must be (start:<ms>,end:<ms>)");
    return;
  }
  if (c.from < oldest) c.from = oldest;
  if (parley_httpd_req_query_param(r->req, "actions", c.actions, sizeof c.actions) < 0)
    c.actions[0] = '\0';
  if (strcmp(org, r->li->org)) {
    parley_sim_li_fail(r, 403, 100, "ACCESS_DENIED", "Not enough permissions for this organization");
    return;
  }
  parley_sim_filter_t f = {.platform = PARLEY_SIM_LI, .include_deleted = 1,
                           .match = parley_sim_li_notified, .match_data = &c};
  parley_sim_li_respond_page(r, parley_sim_items(r->sim, &f), parley_sim_li_render_notification,
                             NULL);
}

/* ---- OAuth 2 (www.linkedin.com/oauth/v2 in reality) ------------------------------------------ */

#define PARLEY_SIM_LI_ACCESS_S 5184000u    /* 60 days */
#define PARLEY_SIM_LI_REFRESH_S 31536000u  /* 365 days from the first consent */
#define PARLEY_SIM_LI_SCOPES "r_organization_social w_organization_social rw_organization_admin"

static void parley_sim_li_oauth_error(parley_sim_li_req_t *r, int status, const char *error,
                                      const char *description) {
  parley_sim_respond_json(r->sim, r->req, status,
                          json_pack("{s:s,s:s}", "error", error, "error_description", description),
                          NULL, NULL);
}

/* GET /oauth/v2/authorization: the member consents at once; 302 back to
 * redirect_uri with a fresh code and the state. */
static void parley_sim_li_authorize(parley_sim_li_req_t *r) {
  char redirect[1024], state[256] = "", code[64];
  if (parley_httpd_req_query_param(r->req, "redirect_uri", redirect, sizeof redirect) < 0) {
    parley_sim_li_oauth_error(r, 400, "invalid_request", "redirect_uri is required");
    return;
  }
  parley_httpd_req_query_param(r->req, "state", state, sizeof state);
  snprintf(code, sizeof code, "sim-code-%016llx", (unsigned long long)parley_sim_random(r->sim));
  json_array_append_new(r->li->codes, json_string(code));
  parley_sim_headers_t h = {0};
  /* state is echoed as sent; a test value, never a secret */
  parley_sim_headers_add(&h, "Location: %s%scode=%s&state=%s", redirect,
                         strchr(redirect, '?') ? "&" : "?", code, state);
  parley_sim_respond(r->sim, r->req, 302, "text/plain", "", 0, &h);
  parley_sim_headers_free(&h);
}

static int parley_sim_li_take_code(parley_sim_li_t *li, const char *code) {
  size_t i;
  json_t *c;
  json_array_foreach(li->codes, i, c) {
    if (!strcmp(json_string_value(c), code)) {
      json_array_remove(li->codes, i);
      return 1;
    }
  }
  return 0;
}

/* POST /oauth/v2/accessToken (form): authorization_code or refresh_token. */
static void parley_sim_li_access_token(parley_sim_li_req_t *r) {
  char grant[32] = "", secret[256] = "", code[128] = "", access[64], refresh[64];
  size_t n = 0;
  const char *body = parley_httpd_req_body(r->req, &n);
  parley_sim_form_param(body, n, "grant_type", grant, sizeof grant);
  parley_sim_form_param(body, n, "client_secret", secret, sizeof secret);
  if (strcmp(secret, r->li->secret)) {
    parley_sim_li_oauth_error(r, 401, "invalid_client", "Client authentication failed");
    return;
  }
  uint64_t now = parley_sim_now_ms();
  if (!strcmp(grant, "authorization_code")) {
    parley_sim_form_param(body, n, "code", code, sizeof code);
    if (!parley_sim_li_take_code(r->li, code)) {
      parley_sim_li_oauth_error(r, 400, "invalid_request",
                                "Unable to retrieve access token: authorization code not found, "
                                "expired or already used");
      return;
    }
    if (!r->li->consent_ms) r->li->consent_ms = now;
  } else if (!strcmp(grant, "refresh_token")) {
    const parley_sim_token_t *tok = NULL;
    parley_sim_form_param(body, n, "refresh_token", code, sizeof code);
    if (parley_sim_auth(r->sim, PARLEY_SIM_LI, code, &tok) != PARLEY_SIM_AUTH_OK || !tok ||
        strcmp(tok->kind, "refresh")) {
      parley_sim_li_oauth_error(r, 400, "invalid_request", "The provided refresh token is invalid");
      return;
    }
  } else {
    parley_sim_li_oauth_error(r, 400, "invalid_request",
                              "grant_type must be authorization_code or refresh_token");
    return;
  }
  /* The refresh token's clock runs from the first consent: never reset. */
  uint64_t left_ms = r->li->consent_ms + PARLEY_SIM_LI_REFRESH_S * 1000ull - now;
  uint64_t left_s = left_ms / 1000u ? left_ms / 1000u : 1;
  if (!parley_sim_token_issue(r->sim, PARLEY_SIM_LI, "AQX", "user", PARLEY_SIM_LI_SCOPES, NULL,
                              PARLEY_SIM_LI_ACCESS_S, access, sizeof access) ||
      !parley_sim_token_issue(r->sim, PARLEY_SIM_LI, "AQW", "refresh", NULL, NULL, left_s,
                              refresh, sizeof refresh)) {
    parley_sim_li_oauth_error(r, 500, "server_error", "out of memory");
    return;
  }
  parley_sim_respond_json(r->sim, r->req, 200,
                          json_pack("{s:s,s:I,s:s,s:I,s:s}", "access_token", access, "expires_in",
                                    (json_int_t)PARLEY_SIM_LI_ACCESS_S, "refresh_token", refresh,
                                    "refresh_token_expires_in", (json_int_t)left_s, "scope",
                                    "r_organization_social,rw_organization_admin,"
                                    "w_organization_social"),
                          NULL, NULL);
}

/* ---- dispatch --------------------------------------------------------------------------- */

static void parley_sim_li_handle(parley_sim_t *sim, parley_httpd_req_t *req, const char *subpath) {
  parley_sim_li_req_t r = {.sim = sim, .li = parley_sim_li(sim), .req = req,
                           .method = parley_httpd_req_method(req)};
  if (!strcmp(subpath, "/oauth/v2/authorization") && !strcmp(r.method, "GET")) {
    parley_sim_li_authorize(&r);
    return;
  }
  if (!strcmp(subpath, "/oauth/v2/accessToken") && !strcmp(r.method, "POST")) {
    parley_sim_li_access_token(&r);
    return;
  }
  if (strncmp(subpath, "/rest/", 6)) {
    parley_sim_li_not_found(&r);
    return;
  }
  const char *rest = subpath + 6;
  if (!parley_sim_li_auth(&r) || !parley_sim_li_headers_ok(&r)) return;
  if (!strncmp(rest, "posts", 5) && (rest[5] == '\0' || rest[5] == '/')) {
    if (parley_sim_li_scope(&r, "r_organization_social") && parley_sim_li_rate_ok(&r, "posts"))
      parley_sim_li_posts(&r, rest[5] ? rest + 6 : "");
  } else if (!strncmp(rest, "socialActions/", 14)) {
    if (parley_sim_li_rate_ok(&r, "socialActions")) parley_sim_li_social(&r, rest + 14);
  } else if (!strcmp(rest, "organizationalEntityNotifications")) {
    if (parley_sim_li_scope(&r, "rw_organization_admin") &&
        parley_sim_li_rate_ok(&r, "organizationalEntityNotifications"))
      parley_sim_li_notifications(&r);
  } else {
    parley_sim_li_not_found(&r);
  }
}

/* ---- webhooks --------------------------------------------------------------------------- */

static void parley_sim_li_post_body(parley_sim_t *sim, const char *body) {
  parley_sim_li_t *li = parley_sim_li(sim);
  size_t len = strlen(body);
  /* X-LI-Signature = hex(HMAC-SHA256(secret, "hmacsha256=" + body)). */
  char *msg = malloc(len + 12), sig[80], header[112];
  if (!msg) return;
  memcpy(msg, "hmacsha256=", 11);
  memcpy(msg + 11, body, len + 1);
  parley_sim_hmac_sha256_hex(li->secret, msg, len + 11, sig, sizeof sig);
  free(msg);
  snprintf(header, sizeof header, "X-LI-Signature: %s", sig);
  const char *headers[] = {"Content-Type: application/json", header, NULL};
  for (int i = 0; i < (li->duplicates ? 2 : 1); i++)
    parley_sim_webhook_post(sim, PARLEY_SIM_LI, body, len, headers);
}

static void parley_sim_li_webhook_item(parley_sim_t *sim, json_t *item, const char *action) {
  parley_sim_li_t *li = parley_sim_li(sim);
  if (!parley_sim_webhook_target(sim, PARLEY_SIM_LI)) return;
  json_t *env = json_pack("{s:s,s:[o]}", "type", "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS",
                          "notifications", parley_sim_li_notification(sim, item, action));
  char *body = json_dumps(env, JSON_COMPACT);
  json_decref(env);
  if (!body) return;
  if (li->validated > 0) parley_sim_li_post_body(sim, body);
  else if (li->validated == 0) json_array_append_new(li->waiting, json_string(body));
  else parley_sim_webhook_log(sim, PARLEY_SIM_LI,
                              json_pack("{s:s,s:b,s:s}", "kind", "delivery", "ok", 0, "skipped",
                                        "endpoint failed the challengeCode validation"));
  free(body);
}

static void parley_sim_li_on_item(parley_sim_t *sim, json_t *item) {
  if (parley_sim_li_is(item, "comment") || parley_sim_li_is(item, "mention"))
    parley_sim_li_webhook_item(sim, item, parley_sim_li_action(item));
}

typedef struct parley_sim_li_validation {
  char code[40];
} parley_sim_li_validation_t;

static void parley_sim_li_validated(parley_sim_t *sim, long status, const char *body, size_t len,
                                    void *data) {
  parley_sim_li_validation_t *v = data;
  parley_sim_li_t *li = parley_sim_li(sim);
  char want[80];
  json_t *j = json_loadb(body, len, 0, NULL);
  parley_sim_hmac_sha256_hex(li->secret, v->code, strlen(v->code), want, sizeof want);
  const char *code = parley_sim_li_str(j, "challengeCode");
  const char *resp = parley_sim_li_str(j, "challengeResponse");
  int current = !strcmp(v->code, li->challenge);
  int ok = status == 200 && code && resp && !strcmp(code, v->code) && !strcmp(resp, want);
  json_decref(j);
  free(v);
  if (!current) return;
  li->validated = ok ? 1 : -1;
  parley_sim_webhook_log(sim, PARLEY_SIM_LI,
                         json_pack("{s:s,s:b,s:s}", "kind", "verify_result", "ok", ok, "reason",
                                   ok ? "challengeResponse matches"
                                      : "This URL did not pass the security challenge check"));
  size_t i;
  json_t *b;
  if (ok) json_array_foreach(li->waiting, i, b) parley_sim_li_post_body(sim, json_string_value(b));
  json_array_clear(li->waiting);
}

/* GET url?challengeCode=<uuid v4>: the endpoint validation. */
static void parley_sim_li_on_target(parley_sim_t *sim, const char *url) {
  parley_sim_li_t *li = parley_sim_li(sim);
  parley_sim_li_validation_t *v = calloc(1, sizeof *v);
  char full[2048];
  uint64_t a = parley_sim_random(sim), b = parley_sim_random(sim);
  if (!v) return;
  snprintf(v->code, sizeof v->code, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
           (unsigned)(a >> 16) & 0xffffu, (unsigned)a & 0xfffu,
           (unsigned)(0x8000u | ((b >> 48) & 0x3fffu)), (unsigned long long)(b & 0xffffffffffffULL));
  snprintf(li->challenge, sizeof li->challenge, "%s", v->code);
  li->validated = 0;
  snprintf(full, sizeof full, "%s%schallengeCode=%s", url, strchr(url, '?') ? "&" : "?", v->code);
  if (parley_sim_webhook_get(sim, PARLEY_SIM_LI, full, parley_sim_li_validated, v) != 0) {
    li->validated = -1;
    free(v);
  }
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

static long parley_sim_li_int(json_t *o, const char *k, long dflt) {
  json_t *v = json_object_get(o, k);
  return json_is_integer(v) && json_integer_value(v) > 0 ? (long)json_integer_value(v) : dflt;
}

static int parley_sim_li_init(parley_sim_t *sim, json_t *part, parley_error_t *err) {
  parley_sim_li_t *li = calloc(1, sizeof *li);
  json_t *acct = json_object_get(part, "account");
  const char *secret = parley_sim_li_str(part, "client_secret");
  const char *oldest = parley_sim_li_str(part, "oldest_version");
  if (!li) return parley_error_set(err, PARLEY_ENOMEM, "linkedin: out of memory");
  parley_sim_set_state(sim, PARLEY_SIM_LI, li);
  li->secret = strdup(secret ? secret : "sim-linkedin-client-secret");
  li->waiting = json_array();
  li->codes = json_is_array(json_object_get(part, "auth_codes"))
                  ? json_deep_copy(json_object_get(part, "auth_codes"))
                  : json_pack("[s]", "sim-auth-code");
  if (!li->secret || !li->waiting || !li->codes) return parley_error_set(err, PARLEY_ENOMEM, "linkedin: out of memory");
  if (parley_sim_li_str(acct, "urn")) snprintf(li->org, sizeof li->org, "%s", parley_sim_li_str(acct, "urn"));
  else snprintf(li->org, sizeof li->org, "urn:li:organization:%s",
                parley_sim_li_str(acct, "id") ? parley_sim_li_str(acct, "id") : "0");
  li->oldest_version = oldest && parley_sim_li_digits(oldest) ? atoi(oldest) : 202401;
  li->member_day = parley_sim_li_int(json_object_get(part, "rate_limit"), "member_day", 500);
  li->app_day = parley_sim_li_int(json_object_get(part, "rate_limit"), "app_day", 100000);
  li->duplicates = json_is_true(json_object_get(part, "webhook_duplicates"));
  li->newest_first = json_is_true(json_object_get(part, "comments_newest_first"));
  if (!json_array_size(json_object_get(part, "tokens")))
    parley_sim_token_add(sim, PARLEY_SIM_LI, "sim-token", "user",
                         "r_organization_social w_organization_social rw_organization_admin",
                         NULL, 0);
  return 0;
}

static void parley_sim_li_free(parley_sim_t *sim) {
  parley_sim_li_t *li = parley_sim_li(sim);
  if (!li) return;
  free(li->secret);
  json_decref(li->waiting);
  json_decref(li->codes);
  free(li);
  parley_sim_set_state(sim, PARLEY_SIM_LI, NULL);
}

const parley_sim_platform_t parley_sim_linkedin = {
    .name = PARLEY_SIM_LI,
    .init = parley_sim_li_init,
    .handle = parley_sim_li_handle,
    .on_item = parley_sim_li_on_item,
    .error_body = parley_sim_li_error_body,
    .on_webhook_target = parley_sim_li_on_target,
    .free = parley_sim_li_free,
};
