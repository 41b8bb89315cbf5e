/* parley-sim — Twitter/X v2 under /twitter (twitter.md): routing, auth
 * per endpoint (§1), rate limits (§8), error bodies (§9), users, tweet
 * lookup, mentions (§2), recent search (§3), posting / deleting / hiding
 * (§6) and the OAuth 2 token endpoint with refresh-token rotation (§1b). */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim_twitter.h"

#define PARLEY_TW_TEXT_MAX 280 /* code points; weighted counting not simulated */

parley_tw_t *parley_tw_state(parley_sim_t *sim) { return parley_sim_state(sim, PARLEY_TW); }

static const char *parley_tw_str(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

/* Items added through the control API may lack any key: compare safely. */
static int parley_tw_eq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

const char *parley_tw_param(parley_tw_call_t *c, const char *name, char *buf, size_t len) {
  return parley_httpd_req_query_param(c->req, name, buf, len) >= 0 ? buf : NULL;
}

void parley_tw_reply(parley_tw_call_t *c, int status, json_t *body) {
  const char *ct = status >= 400 && json_object_get(body, "title") ? "application/problem+json"
                                                                     : "application/json; charset=utf-8";
  parley_sim_respond_json(c->sim, c->req, status, body, ct, &c->headers);
  parley_sim_headers_free(&c->headers);
}

void parley_tw_problem(parley_tw_call_t *c, int status, const char *title, const char *type,
                       const char *detail) {
  parley_tw_reply(c, status, json_pack("{s:s,s:s,s:i,s:s}", "title", title, "type", type,
                                       "status", status, "detail", detail));
}

void parley_tw_invalid_param(parley_tw_call_t *c, const char *param, const char *value,
                             const char *message) {
  json_t *body = json_pack("{s:[{s:{s:[s]},s:s}],s:s,s:s,s:s}", "errors", "parameters", param,
                           value ? value : "", "message", message, "title", "Invalid Request",
                           "detail", "One or more parameters to your request was invalid.",
                           "type", "https://api.twitter.com/2/problems/invalid-request");
  parley_tw_reply(c, 400, body);
}

static void parley_tw_not_found(parley_tw_call_t *c) {
  parley_tw_reply(c, 404, json_pack("{s:[{s:s}]}", "errors", "message",
                                    "Sorry, that page does not exist"));
}

/* ---- auth and limits (§1, §8) ---------------------------------------------- */

static const char parley_tw_app_only_detail[] =
    "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
    "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].";
static const char parley_tw_user_only_detail[] =
    "Authenticating with OAuth 2.0 User Context is forbidden for this endpoint.  "
    "Supported authentication types are [OAuth 2.0 Application-Only].";

static int parley_tw_scope_ok(const parley_sim_token_t *t, const char *scope) {
  if (!scope || !t->scopes) return 1; /* a token without a scope list may do anything */
  size_t n = strlen(scope);
  for (const char *p = t->scopes; (p = strstr(p, scope)); p += n)
    if ((p == t->scopes || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return 1;
  return 0;
}

static void parley_tw_add_rate_headers(parley_tw_call_t *c, const parley_sim_rate_t *r) {
  parley_sim_headers_add(&c->headers, "x-rate-limit-limit: %ld", r->limit);
  parley_sim_headers_add(&c->headers, "x-rate-limit-remaining: %ld", r->remaining);
  parley_sim_headers_add(&c->headers, "x-rate-limit-reset: %lld", (long long)r->reset);
}

int parley_tw_gate(parley_tw_call_t *c, parley_tw_authkind_t kinds, const char *scope,
                   const char *endpoint, long app_limit, long user_limit) {
  const parley_sim_token_t *t = NULL;
  parley_sim_auth_t a = parley_sim_auth(c->sim, PARLEY_TW,
                                        parley_httpd_req_header(c->req, "authorization"), &t);
  if (a != PARLEY_SIM_AUTH_OK) {
    /* §1: the same body for missing, garbage, revoked and expired tokens */
    parley_tw_problem(c, 401, "Unauthorized", "about:blank", "Unauthorized");
    return -1;
  }
  int is_app = !strcmp(t->kind, "app");
  if (!is_app && strcmp(t->kind, "user")) { /* e.g. a refresh token used as a bearer */
    parley_tw_problem(c, 401, "Unauthorized", "about:blank", "Unauthorized");
    return -1;
  }
  if (!(kinds & (is_app ? PARLEY_TW_AUTH_APP : PARLEY_TW_AUTH_USER))) {
    parley_tw_problem(c, 403, "Unsupported Authentication",
                      "https://api.twitter.com/2/problems/unsupported-authentication",
                      is_app ? parley_tw_app_only_detail : parley_tw_user_only_detail);
    return -1;
  }
  if (!is_app && !parley_tw_scope_ok(t, scope)) {
    parley_tw_problem(c, 403, "Forbidden", "about:blank",
                      "Forbidden: the token is missing a scope this endpoint requires.");
    return -1;
  }
  c->token = t;
  snprintf(c->user_id, sizeof c->user_id, "%s",
           is_app ? "" : t->user_id ? t->user_id : c->tw->brand_id);
  parley_sim_rate_t r;
  long limit = is_app ? app_limit : user_limit;
  int refused = parley_sim_ratelimit_take(c->sim, PARLEY_TW, endpoint, t->token, limit,
                                          PARLEY_TW_WINDOW_S, &r);
  parley_tw_add_rate_headers(c, &r);
  if (refused) {
    parley_tw_problem(c, 429, "Too Many Requests", "about:blank", "Too Many Requests");
    return -1;
  }
  return 0;
}

/* ---- users ------------------------------------------------------------------- */

static void parley_tw_user_answer(parley_tw_call_t *c, json_t *user, const char *what) {
  parley_tw_fields_t f;
  char detail[160];
  if (!user) {
    snprintf(detail, sizeof detail, "Could not find user with %s.", what);
    parley_tw_reply(c, 200, json_pack("{s:[{s:s,s:s,s:s,s:s}]}", "errors", "value", what, "detail",
                                      detail, "title", "Not Found Error", "type",
                                      "https://api.twitter.com/2/problems/resource-not-found"));
    return;
  }
  parley_tw_fields_read(c, &f);
  parley_tw_reply(c, 200, json_pack("{s:o}", "data", parley_tw_user(c->sim, user, &f)));
}

static void parley_tw_users(parley_tw_call_t *c, const char *rest) {
  if (!strcmp(rest, "/me")) {
    if (parley_tw_gate(c, PARLEY_TW_AUTH_USER, "users.read", "users/me", 75, 75) == 0)
      parley_tw_user_answer(c, parley_sim_user_find(c->sim, PARLEY_TW, c->user_id), c->user_id);
    return;
  }
  if (!strncmp(rest, "/by/username/", 13)) {
    if (parley_tw_gate(c, PARLEY_TW_AUTH_ANY, "users.read", "users/by/username", 300, 900) == 0)
      parley_tw_user_answer(c, parley_sim_user_by_handle(c->sim, PARLEY_TW, rest + 13), rest + 13);
    return;
  }
  if (parley_tw_gate(c, PARLEY_TW_AUTH_ANY, "users.read", "users/:id", 300, 900) == 0)
    parley_tw_user_answer(c, parley_sim_user_find(c->sim, PARLEY_TW, rest + 1), rest + 1);
}

/* ---- timelines and search (§2, §3) ------------------------------------------------ */

typedef struct parley_tw_mention_ctx {
  parley_sim_t *sim;
  const char *user_id;
} parley_tw_mention_ctx_t;

static int parley_tw_is_mention(json_t *item, void *d) {
  parley_tw_mention_ctx_t *m = d;
  const char *author = parley_tw_str(item, "author_id");
  if (author && !strcmp(author, m->user_id)) return 0;
  return parley_tw_mentions_user(m->sim, item, m->user_id);
}

static void parley_tw_mentions(parley_tw_call_t *c, const char *user_id) {
  if (parley_tw_gate(c, PARLEY_TW_AUTH_ANY, "tweet.read", "users/mentions", 450, 300) != 0) return;
  parley_tw_mention_ctx_t m = {c->sim, user_id};
  parley_sim_filter_t f = {.platform = PARLEY_TW, .type = "tweet", .include_hidden = 1,
                           .match = parley_tw_is_mention, .match_data = &m};
  parley_tw_page_opts_t o = {5, 100, 10, 1, PARLEY_TW_MENTIONS_DEPTH, 0, "pagination_token"};
  parley_tw_page(c, &f, &o);
}

typedef struct parley_tw_search_ctx {
  parley_sim_t *sim;
  parley_tw_query_t *q;
  uint64_t oldest_ms;
} parley_tw_search_ctx_t;

static int parley_tw_search_match(json_t *item, void *d) {
  parley_tw_search_ctx_t *s = d;
  if ((uint64_t)json_integer_value(json_object_get(item, "created_ms")) < s->oldest_ms) return 0;
  return parley_tw_query_match(s->sim, s->q, item);
}

static void parley_tw_search(parley_tw_call_t *c) {
  char query[1024], err[256];
  if (parley_tw_gate(c, PARLEY_TW_AUTH_ANY, "tweet.read", "tweets/search/recent", 450, 300) != 0)
    return;
  parley_tw_search_ctx_t s = {c->sim, NULL, 0};
  const char *q = parley_tw_param(c, "query", query, sizeof query);
  if (!q) {
    parley_tw_invalid_param(c, "query", "", "The `query` query parameter can not be empty");
    return;
  }
  if (parley_tw_query_parse(q, &s.q, err, sizeof err) != 0) {
    parley_tw_invalid_param(c, "query", q, err);
    return;
  }
  uint64_t now = parley_sim_now_ms();
  s.oldest_ms = now > 7 * 86400000ULL ? now - 7 * 86400000ULL : 0; /* last 7 days */
  parley_sim_filter_t f = {.platform = PARLEY_TW, .type = "tweet", .include_hidden = 1,
                           .match = parley_tw_search_match, .match_data = &s};
  parley_tw_page_opts_t o = {10, 100, 10, 0, 0, 0, "next_token"};
  parley_tw_page(c, &f, &o);
  parley_tw_query_free(s.q);
}

/* ---- tweet lookup, posting, deleting, hiding (§6) -------------------------------- */

static void parley_tw_lookup(parley_tw_call_t *c, const char *id) {
  char ids[2048];
  if (parley_tw_gate(c, PARLEY_TW_AUTH_ANY, "tweet.read", id ? "tweets/:id" : "tweets", 450, 900) != 0)
    return;
  if (!id && !(id = parley_tw_param(c, "ids", ids, sizeof ids))) {
    parley_tw_invalid_param(c, "ids", "", "The `ids` query parameter can not be empty");
    return;
  }
  parley_tw_fields_t f;
  parley_tw_fields_read(c, &f);
  json_t *data = json_array(), *errors = json_array(), *found = json_array();
  char one[32];
  for (const char *p = id; *p;) {
    size_t n = strcspn(p, ",");
    snprintf(one, sizeof one, "%.*s", (int)(n < 31 ? n : 31), p);
    json_t *item = parley_sim_item_find(c->sim, PARLEY_TW, one);
    if (item && !json_is_true(json_object_get(item, "deleted")) &&
        parley_tw_eq(parley_tw_str(item, "type"), "tweet")) {
      json_array_append_new(data, parley_tw_tweet(c->sim, item, &f));
      json_array_append(found, item);
    } else {
      char detail[96];
      snprintf(detail, sizeof detail, "Could not find tweet with ids: [%s].", one);
      json_array_append_new(errors, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "value", one, "detail",
                                              detail, "title", "Not Found Error", "resource_type", "tweet",
                                              "parameter", "ids", "resource_id", one, "type",
                                              "https://api.twitter.com/2/problems/resource-not-found"));
    }
    p += n + (p[n] == ',');
  }
  json_t *body = json_object();
  int single = strchr(id, ',') == NULL && parley_tw_param(c, "ids", ids, sizeof ids) == NULL;
  if (json_array_size(data))
    json_object_set(body, "data", single ? json_array_get(data, 0) : data);
  json_t *inc = parley_tw_includes(c->sim, found, &f, 0);
  if (inc) json_object_set_new(body, "includes", inc);
  if (json_array_size(errors)) json_object_set(body, "errors", errors);
  json_decref(data);
  json_decref(errors);
  json_decref(found);
  parley_tw_reply(c, 200, body); /* partial errors come with 200 (§9b) */
}

static size_t parley_tw_text_len(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) n++;
  return n;
}

static int parley_tw_duplicate(parley_sim_t *sim, const char *author, const char *text) {
  parley_sim_filter_t f = {.platform = PARLEY_TW, .type = "tweet", .author_id = author,
                           .include_hidden = 1};
  json_t *mine = parley_sim_items(sim, &f), *it;
  size_t i;
  int dup = 0;
  json_array_foreach(mine, i, it) if (parley_tw_eq(parley_tw_str(it, "text"), text)) dup = 1;
  json_decref(mine);
  return dup;
}

/* Validate a POST /2/tweets body; answers and returns -1 when invalid. */
static int parley_tw_post_check(parley_tw_call_t *c, json_t *b, const char **text,
                                json_t **parent) {
  json_t *reply = json_object_get(b, "reply");
  const char *to = parley_tw_str(reply, "in_reply_to_tweet_id");
  *text = parley_tw_str(b, "text");
  *parent = NULL;
  if (!*text || !**text || parley_tw_text_len(*text) > PARLEY_TW_TEXT_MAX) {
    parley_tw_invalid_param(c, "text", *text ? *text : "",
                            *text && **text ? "Your Tweet text is too long."
                                            : "The `text` field is required when no media or poll is given");
    return -1;
  }
  if (reply && !to) {
    parley_tw_invalid_param(c, "reply.in_reply_to_tweet_id", "",
                            "`reply.in_reply_to_tweet_id` must be a tweet id string");
    return -1;
  }
  if (to) {
    *parent = parley_sim_item_find(c->sim, PARLEY_TW, to);
    if (!*parent || json_is_true(json_object_get(*parent, "deleted"))) {
      parley_tw_problem(c, 403, "Forbidden", "about:blank",
                        "You attempted to reply to a Tweet that is deleted or not visible to you.");
      return -1;
    }
  }
  if (parley_tw_duplicate(c->sim, c->user_id, *text)) {
    parley_tw_problem(c, 403, "Forbidden", "about:blank",
                      "You are not allowed to create a Tweet with duplicate content.");
    return -1;
  }
  return 0;
}

static void parley_tw_post(parley_tw_call_t *c) {
  parley_error_t err = {0};
  const char *text;
  json_t *parent;
  if (parley_tw_gate(c, PARLEY_TW_AUTH_USER, "tweet.write", "tweets/post", 100, 100) != 0) return;
  json_t *b = parley_sim_req_json(c->req, &err);
  if (!b) {
    parley_tw_invalid_param(c, "body", "", err.message);
    return;
  }
  if (parley_tw_post_check(c, b, &text, &parent) != 0) {
    json_decref(b);
    return;
  }
  json_t *item = json_pack("{s:s,s:s,s:s,s:s}", "platform", PARLEY_TW, "type", "tweet", "author_id",
                           c->user_id, "text", text);
  if (parent) json_object_set(item, "parent_id", json_object_get(parent, "id"));
  json_t *lang = json_object_get(parley_sim_user_find(c->sim, PARLEY_TW, c->user_id), "lang");
  json_object_set_new(item, "lang", json_string(json_is_string(lang) ? json_string_value(lang) : "en"));
  json_t *stored = parley_sim_item_add(c->sim, item, &err);
  if (!stored) {
    json_decref(b);
    parley_tw_problem(c, 503, "Service Unavailable", "about:blank", err.message);
    return;
  }
  text = parley_tw_str(stored, "text"); /* b's copy goes away below */
  json_decref(b);
  const char *id = parley_tw_str(stored, "id");
  parley_sim_record(c->sim, PARLEY_TW,
                    json_pack("{s:s,s:s,s:s,s:s?,s:s}", "action", parent ? "reply" : "post", "id", id,
                              "text", text, "in_reply_to", parley_tw_str(parent, "id"), "author_id",
                              c->user_id));
  parley_tw_reply(c, 201, json_pack("{s:{s:s,s:s,s:[s]}}", "data", "id", id, "text", text,
                                    "edit_history_tweet_ids", id));
}

static void parley_tw_delete(parley_tw_call_t *c, const char *id) {
  if (parley_tw_gate(c, PARLEY_TW_AUTH_USER, "tweet.write", "tweets/delete", 50, 50) != 0) return;
  json_t *item = parley_sim_item_find(c->sim, PARLEY_TW, id);
  if (item && !parley_tw_eq(parley_tw_str(item, "author_id"), c->user_id)) {
    parley_tw_problem(c, 403, "Forbidden", "about:blank",
                      "You are not authorized to delete this Tweet.");
    return;
  }
  if (item && !json_is_true(json_object_get(item, "deleted"))) {
    json_object_set_new(item, "deleted", json_true());
    parley_sim_record(c->sim, PARLEY_TW, json_pack("{s:s,s:s}", "action", "delete", "id", id));
  }
  /* deleting an unknown id answers deleted:true as well (§6c) */
  parley_tw_reply(c, 200, json_pack("{s:{s:b}}", "data", "deleted", 1));
}

static void parley_tw_hide(parley_tw_call_t *c, const char *id) {
  parley_error_t err = {0};
  if (parley_tw_gate(c, PARLEY_TW_AUTH_USER, "tweet.moderate.write", "tweets/hidden", 50, 50) != 0)
    return;
  json_t *b = parley_sim_req_json(c->req, &err);
  json_t *hidden = json_object_get(b, "hidden");
  if (!json_is_boolean(hidden)) {
    json_decref(b);
    parley_tw_invalid_param(c, "hidden", "", "The `hidden` field must be a boolean");
    return;
  }
  json_t *item = parley_sim_item_find(c->sim, PARLEY_TW, id);
  json_t *root = item ? parley_sim_item_find(c->sim, PARLEY_TW, parley_tw_str(item, "conversation_id")) : NULL;
  /* only replies in a conversation the user started can be hidden (§6b) */
  if (!item || !parley_tw_str(item, "parent_id") || !root ||
      !parley_tw_eq(parley_tw_str(root, "author_id"), c->user_id)) {
    json_decref(b);
    parley_tw_problem(c, 403, "Forbidden", "about:blank",
                      "You can only hide or unhide replies to conversations you authored.");
    return;
  }
  json_object_set(item, "hidden", hidden);
  parley_sim_record(c->sim, PARLEY_TW, json_pack("{s:s,s:s,s:O}", "action", "hide", "id", id,
                                                 "hidden", hidden));
  parley_tw_reply(c, 200, json_pack("{s:{s:O}}", "data", "hidden", hidden));
  json_decref(b);
}

/* ---- OAuth 2 token endpoint (§1b) ------------------------------------------------- */

static void parley_tw_oauth_error(parley_tw_call_t *c, const char *error, const char *desc) {
  parley_tw_reply(c, 400, json_pack("{s:s,s:s}", "error", error, "error_description", desc));
}

/* The client: client_id in the body (public clients) or HTTP Basic
 * base64(client_id:client_secret) (confidential clients) (§1b). */
static int parley_tw_client_ok(parley_tw_call_t *c, const char *body, size_t len) {
  char id[256];
  unsigned char dec[400];
  const char *basic = parley_httpd_req_header(c->req, "authorization");
  if (!c->tw->client_id) return 1; /* the scenario does not care */
  if (parley_sim_form_param(body, len, "client_id", id, sizeof id) >= 0)
    return !strcmp(id, c->tw->client_id);
  if (!basic || strncasecmp(basic, "Basic ", 6) || strlen(basic + 6) > 4 * (sizeof dec / 3) - 4)
    return 0;
  int n = EVP_DecodeBlock(dec, (const unsigned char *)basic + 6, (int)strlen(basic + 6));
  size_t idlen = strlen(c->tw->client_id);
  return n > (int)idlen && !memcmp(dec, c->tw->client_id, idlen) && dec[idlen] == ':';
}

static void parley_tw_oauth_refresh(parley_tw_call_t *c, const char *body, size_t len) {
  char rt[256], access[96], refresh[96];
  const parley_sim_token_t *t = NULL;
  if (!parley_tw_client_ok(c, body, len)) {
    parley_tw_reply(c, 401, json_pack("{s:s,s:s}", "error", "unauthorized_client",
                                      "error_description", "Missing valid authorization header"));
    return;
  }
  if (parley_sim_form_param(body, len, "refresh_token", rt, sizeof rt) < 0 ||
      parley_sim_auth(c->sim, PARLEY_TW, rt, &t) != PARLEY_SIM_AUTH_OK || strcmp(t->kind, "refresh")) {
    parley_tw_oauth_error(c, "invalid_request", "Value passed for the token was invalid.");
    return;
  }
  char *scopes = t->scopes ? strdup(t->scopes) : NULL, *user = t->user_id ? strdup(t->user_id) : NULL;
  /* rotation: the used refresh token stops working (§1b, pitfall 12) */
  parley_sim_token_revoke(c->sim, PARLEY_TW, rt);
  parley_sim_token_issue(c->sim, PARLEY_TW, "tw-access-", "user", scopes, user, 7200, access, sizeof access);
  parley_sim_token_issue(c->sim, PARLEY_TW, "tw-refresh-", "refresh", scopes, user, 0, refresh, sizeof refresh);
  parley_tw_reply(c, 200, json_pack("{s:s,s:i,s:s,s:s,s:s}", "token_type", "bearer", "expires_in", 7200,
                                    "access_token", access, "scope", scopes ? scopes : "",
                                    "refresh_token", refresh));
  free(scopes);
  free(user);
}

static void parley_tw_oauth_token(parley_tw_call_t *c) {
  size_t len = 0;
  char grant[64];
  const char *body = parley_httpd_req_body(c->req, &len);
  if (parley_sim_form_param(body, len, "grant_type", grant, sizeof grant) < 0) {
    parley_tw_oauth_error(c, "invalid_request", "Missing required parameter [grant_type].");
    return;
  }
  if (!strcmp(grant, "refresh_token")) {
    parley_tw_oauth_refresh(c, body, len);
    return;
  }
  if (!strcmp(grant, "client_credentials")) {
    /* app-only bearer: any app token of the scenario (§1a) */
    parley_tw_t *tw = c->tw;
    const char *basic = parley_httpd_req_header(c->req, "authorization");
    json_t *toks = json_object_get(parley_sim_scenario_part(c->sim, PARLEY_TW), "tokens"), *tk;
    size_t i;
    if (!basic || strncasecmp(basic, "Basic ", 6) || !tw->api_key) {
      parley_tw_reply(c, 403, json_pack("{s:[{s:i,s:s}]}", "errors", "code", 99, "message",
                                        "Unable to verify your credentials"));
      return;
    }
    json_array_foreach(toks, i, tk) if (!strcmp(parley_tw_str(tk, "kind") ? parley_tw_str(tk, "kind") : "", "app")) {
      parley_tw_reply(c, 200, json_pack("{s:s,s:O}", "token_type", "bearer", "access_token",
                                        json_object_get(tk, "token")));
      return;
    }
    parley_tw_reply(c, 403, json_pack("{s:[{s:i,s:s}]}", "errors", "code", 99, "message",
                                      "Unable to verify your credentials"));
    return;
  }
  parley_tw_oauth_error(c, "unsupported_grant_type",
                        "The simulator supports grant_type refresh_token and client_credentials.");
}

static void parley_tw_oauth_revoke(parley_tw_call_t *c) {
  size_t len = 0;
  char tok[256];
  const char *body = parley_httpd_req_body(c->req, &len);
  if (parley_sim_form_param(body, len, "token", tok, sizeof tok) >= 0)
    parley_sim_token_revoke(c->sim, PARLEY_TW, tok);
  parley_tw_reply(c, 200, json_pack("{s:b}", "revoked", 1));
}

/* ---- routing ---------------------------------------------------------------------------- */

/* "/2/tweets/123/hidden" with prefix "/2/tweets/" -> id "123", rest "/hidden". */
static int parley_tw_split(const char *path, const char *prefix, char *id, size_t len,
                           const char **rest) {
  size_t pl = strlen(prefix);
  if (strncmp(path, prefix, pl)) return 0;
  size_t n = strcspn(path + pl, "/");
  if (n == 0 || n >= len) return 0;
  memcpy(id, path + pl, n);
  id[n] = '\0';
  *rest = path + pl + n;
  return 1;
}

static int parley_tw_route_get(parley_tw_call_t *c, const char *p) {
  char id[64];
  const char *rest;
  if (!strcmp(p, "/2/tweets/search/recent")) parley_tw_search(c);
  else if (!strcmp(p, "/2/tweets/search/stream")) parley_tw_stream_connect(c);
  else if (!strcmp(p, "/2/tweets/search/stream/rules")) parley_tw_stream_rules(c);
  else if (!strcmp(p, "/2/tweets")) parley_tw_lookup(c, NULL);
  else if (!strcmp(p, "/2/dm_events")) parley_tw_dm_list(c, NULL, NULL);
  else if (parley_tw_split(p, "/2/dm_conversations/with/", id, sizeof id, &rest) && !strcmp(rest, "/dm_events"))
    parley_tw_dm_list(c, id, NULL);
  else if (parley_tw_split(p, "/2/dm_conversations/", id, sizeof id, &rest) && !strcmp(rest, "/dm_events"))
    parley_tw_dm_list(c, NULL, id);
  else if (parley_tw_split(p, "/2/users/", id, sizeof id, &rest) && !strcmp(rest, "/mentions"))
    parley_tw_mentions(c, id);
  else if (!strncmp(p, "/2/users/", 9)) parley_tw_users(c, p + 8);
  else if (parley_tw_split(p, "/2/tweets/", id, sizeof id, &rest) && !*rest) parley_tw_lookup(c, id);
  else return 0;
  return 1;
}

static int parley_tw_route_write(parley_tw_call_t *c, const char *m, const char *p) {
  char id[64];
  const char *rest;
  if (!strcmp(m, "POST") && !strcmp(p, "/2/tweets")) parley_tw_post(c);
  else if (!strcmp(m, "POST") && !strcmp(p, "/2/tweets/search/stream/rules")) parley_tw_stream_rules(c);
  else if (!strcmp(m, "POST") && (!strcmp(p, "/2/oauth2/token") || !strcmp(p, "/oauth2/token")))
    parley_tw_oauth_token(c);
  else if (!strcmp(m, "POST") && !strcmp(p, "/2/oauth2/revoke")) parley_tw_oauth_revoke(c);
  else if (!strcmp(m, "POST") && !strcmp(p, "/_sim/stream/disconnect"))
    parley_tw_stream_control(c, "disconnect");
  else if (!strcmp(m, "POST") && !strcmp(p, "/_sim/stream/stall")) parley_tw_stream_control(c, "stall");
  else if (!strcmp(m, "POST") && parley_tw_split(p, "/2/dm_conversations/with/", id, sizeof id, &rest) &&
           !strcmp(rest, "/messages"))
    parley_tw_dm_send(c, id, NULL);
  else if (!strcmp(m, "POST") && parley_tw_split(p, "/2/dm_conversations/", id, sizeof id, &rest) &&
           !strcmp(rest, "/messages"))
    parley_tw_dm_send(c, NULL, id);
  else if (!strcmp(m, "PUT") && parley_tw_split(p, "/2/tweets/", id, sizeof id, &rest) && !strcmp(rest, "/hidden"))
    parley_tw_hide(c, id);
  else if (!strcmp(m, "DELETE") && parley_tw_split(p, "/2/tweets/", id, sizeof id, &rest) && !*rest)
    parley_tw_delete(c, id);
  else return 0;
  return 1;
}

static void parley_tw_handle(parley_sim_t *sim, parley_httpd_req_t *req, const char *subpath) {
  parley_tw_call_t c = {.sim = sim, .tw = parley_tw_state(sim), .req = req, .sub = subpath};
  char txid[24];
  const char *m = parley_httpd_req_method(req);
  snprintf(txid, sizeof txid, "%016llx", (unsigned long long)parley_sim_random(sim));
  parley_sim_headers_add(&c.headers, "x-transaction-id: %s", txid);
  int served = !strcmp(m, "GET") ? parley_tw_route_get(&c, subpath)
                                 : parley_tw_route_write(&c, m, subpath);
  if (!served) parley_tw_not_found(&c);
}

/* ---- platform descriptor callbacks ----------------------------------------------------- */

static char *parley_tw_dup(json_t *part, const char *key) {
  const char *s = parley_tw_str(part, key);
  return s ? strdup(s) : NULL;
}

static int parley_tw_init(parley_sim_t *sim, json_t *part, parley_error_t *err) {
  parley_tw_t *tw = calloc(1, sizeof *tw);
  if (!tw) return parley_error_set(err, PARLEY_ENOMEM, "twitter: out of memory");
  json_t *acct = json_object_get(part, "account");
  snprintf(tw->brand_id, sizeof tw->brand_id, "%s", parley_tw_str(acct, "id") ? parley_tw_str(acct, "id") : "");
  const char *h = parley_tw_str(acct, "handle");
  snprintf(tw->brand_handle, sizeof tw->brand_handle, "%s", h ? (h[0] == '@' ? h + 1 : h) : "");
  tw->consumer_secret = parley_tw_dup(part, "consumer_secret");
  tw->api_key = parley_tw_dup(part, "api_key");
  tw->client_id = parley_tw_dup(part, "client_id");
  json_t *maxc = json_object_get(part, "stream_max_connections");
  tw->max_connections = json_is_integer(maxc) && json_integer_value(maxc) > 0 ? (size_t)json_integer_value(maxc) : 1;
  parley_sim_set_state(sim, PARLEY_TW, tw);
  parley_sim_id_base(sim, PARLEY_TW, PARLEY_TW_ID_BASE);
  if (part && !parley_tw_str(acct, "id"))
    return parley_error_set(err, PARLEY_ECONFIG, "scenario: platforms.twitter.account.id: missing (the brand's user id)");
  return 0;
}

static void parley_tw_free(parley_sim_t *sim) {
  parley_tw_t *tw = parley_tw_state(sim);
  if (!tw) return;
  parley_tw_stream_free(tw);
  free(tw->consumer_secret);
  free(tw->api_key);
  free(tw->client_id);
  free(tw);
  parley_sim_set_state(sim, PARLEY_TW, NULL);
}

static void parley_tw_on_item(parley_sim_t *sim, json_t *item) {
  if (parley_tw_eq(parley_tw_str(item, "type"), "tweet"))
    parley_tw_stream_push(sim, item);
  parley_tw_aaa_item(sim, item);
}

static json_t *parley_tw_error_body(parley_sim_t *sim, int status, parley_sim_headers_t *h,
                                    const char **ctype) {
  const char *title = status == 429 ? "Too Many Requests" : status == 500 ? "Internal Server Error"
                    : status == 502 ? "Bad Gateway" : status == 504 ? "Gateway Timeout"
                    : status == 401 ? "Unauthorized" : status == 403 ? "Forbidden"
                    : "Service Unavailable";
  if (status == 429) {
    long window = sim->config.rate_window_s ? (long)sim->config.rate_window_s : PARLEY_TW_WINDOW_S;
    parley_sim_headers_add(h, "x-rate-limit-limit: %d", 450);
    parley_sim_headers_add(h, "x-rate-limit-remaining: 0");
    parley_sim_headers_add(h, "x-rate-limit-reset: %llu",
                           (unsigned long long)(parley_sim_now_ms() / 1000u + (uint64_t)window));
  }
  *ctype = "application/problem+json";
  return json_pack("{s:s,s:s,s:s,s:i}", "title", title, "detail", title, "type", "about:blank",
                   "status", status);
}

/* Generator: customers mention the brand, in three languages. */
static json_t *parley_tw_generate(parley_sim_t *sim, uint64_t n) {
  static const char *const texts[][2] = {
      {"en", "@%s my order still has not arrived, any update?"},
      {"de", "@%s meine Bestellung ist immer noch nicht da. Was ist los?"},
      {"nl", "@%s mijn pakket is nog steeds niet bezorgd, kunnen jullie helpen?"},
      {"en", "loving the new %s app, great job!"},
      {"de", "Warum ist der %s Support so langsam? Seit Tagen keine Antwort."},
      {"nl", "Top service van @%s vandaag, bedankt!"},
  };
  parley_tw_t *tw = parley_tw_state(sim);
  char author[32], text[320];
  size_t k = (size_t)(parley_sim_random(sim) % (sizeof texts / sizeof texts[0]));
  /* a customer of the scenario, else a made-up one */
  json_t *users = parley_sim_users(sim, PARLEY_TW);
  json_t *u = json_array_size(users)
                  ? json_array_get(users, (size_t)(parley_sim_random(sim) % json_array_size(users)))
                  : NULL;
  if (u) snprintf(author, sizeof author, "%s", parley_tw_str(u, "id"));
  else snprintf(author, sizeof author, "%llu", (unsigned long long)(70000000 + n % 1000));
  json_decref(users);
  snprintf(text, sizeof text, texts[k][1], tw && tw->brand_handle[0] ? tw->brand_handle : "acme");
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "platform", PARLEY_TW, "type", "tweet", "author_id",
                   author, "text", text, "lang", texts[k][0], "generated", 1);
}

static void parley_tw_on_target(parley_sim_t *sim, const char *url) { parley_tw_aaa_crc(sim, url); }

const parley_sim_platform_t parley_sim_twitter = {
    .name = PARLEY_TW,
    .init = parley_tw_init,
    .handle = parley_tw_handle,
    .on_item = parley_tw_on_item,
    .error_body = parley_tw_error_body,
    .generate = parley_tw_generate,
    .on_webhook_target = parley_tw_on_target,
    .free = parley_tw_free,
};
