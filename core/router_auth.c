/* parley core — the gate in front of every admin endpoint (/metrics, /v1/...):
 * the method first (405 with Allow), then who is asking: the admin token or
 * an agent's token as a Bearer header, or a browser session's cookie, which
 * must bring its CSRF token on anything that changes state. Webhooks
 * (/hooks/...) never pass here: their platforms sign them. docs/auth.md */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_server_limits.h"
#include "log.h"
#include "router.h"
#include "util.h"

#define PARLEY_SESSION_COOKIE "parley_session"

/* Admin endpoints answer their one method (and HEAD for GET); anything
 * else is 405 with Allow, before the token is even looked at. */
int parley_router_method_ok(parley_httpd_req_t *req, const char *method) {
  const char *m = parley_httpd_req_method(req);
  if (strcmp(m, method) == 0 || (strcmp(method, "GET") == 0 && strcmp(m, "HEAD") == 0))
    return 1;
  char allow[32];
  snprintf(allow, sizeof allow, "Allow: %s", strcmp(method, "GET") == 0 ? "GET, HEAD" : method);
  const char *const headers[] = {allow, NULL};
  char text[64];
  snprintf(text, sizeof text, "method not allowed: use %s\n", method);
  parley_router_respond_text(req, 405, text, headers);
  return 0;
}

/* The name behind a Bearer token, NULL when there is no such token. Every
 * token is compared, so the time taken says nothing about which matched. */
static const char *bearer_agent(const parley_config_t *cfg, const char *token) {
  const char *who = NULL;
  if (cfg->admin_token && parley_util_secret_eq(token, cfg->admin_token))
    who = "admin";
  for (size_t i = 0; i < cfg->n_agents; i++)
    if (parley_util_secret_eq(token, cfg->agent_tokens[i]))
      who = cfg->agent_names[i];
  return who;
}

/* ---- wrong tokens per client address (router_auth_limit.h) ---- */

/* The limiter's key for req's client; 0 when there is no limiter or no
 * known address (then nothing is counted). */
static int limit_key(parley_router_t *r, parley_httpd_req_t *req, uint8_t key[16]) {
  uint8_t peer[16];
  if (!r->auth_limit || parley_httpd_req_peer(req, peer) != 0)
    return 0;
  parley_auth_limit_key(peer, key);
  return 1;
}

/* The ms req's address is still locked out for (0: it may try a token). */
static int64_t lockout_left(parley_router_t *r, parley_httpd_req_t *req) {
  uint8_t key[16];
  if (!limit_key(r, req, key))
    return 0;
  return parley_auth_limit_check(r->auth_limit, key, (int64_t)uv_now(r->loop));
}

/* 429 with Retry-After (whole seconds, rounded up); JSON for the login. */
static void respond_locked(parley_router_t *r, parley_httpd_req_t *req, int64_t ms, int json) {
  char retry[48], text[128];
  int64_t s = (ms + 999) / 1000;
  (*r->c_auth_refused)++;
  snprintf(retry, sizeof retry, "Retry-After: %" PRId64, s);
  snprintf(text, sizeof text,
           "too many wrong tokens from this address: try again in %" PRId64 " s", s);
  const char *const headers[] = {retry, NULL};
  json_t *j = json ? json_pack("{s:s,s:I}", "error", text, "retry_after", (json_int_t)s) : NULL;
  char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (body) {
    parley_httpd_respond(req, 429, "application/json", body, strlen(body), headers);
    free(body);
    return;
  }
  strcat(text, "\n");
  parley_router_respond_text(req, 429, text, headers);
}

/* The address as logged: an IPv6 client is counted by its /64. */
static void format_key(const uint8_t key[16], char *buf, size_t size) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  parley_peer_format(key, buf, size);
  if (memcmp(key, mapped, sizeof mapped) != 0 && strlen(buf) + 4 < size)
    strcat(buf, "/64");
}

/* A token was tried: a right one forgets the address, a wrong one counts
 * and may start a lockout, logged once (the token never is). */
static void note_attempt(parley_router_t *r, parley_httpd_req_t *req, int right) {
  uint8_t key[16];
  if (!right && r->c_auth_failures)
    (*r->c_auth_failures)++;
  if (!limit_key(r, req, key))
    return;
  if (right) {
    parley_auth_limit_success(r->auth_limit, key);
    return;
  }
  unsigned count = 0;
  int64_t ms = parley_auth_limit_fail(r->auth_limit, key, (int64_t)uv_now(r->loop), &count);
  if (ms <= 0)
    return;
  (*r->c_auth_lockouts)++;
  char addr[64];
  format_key(key, addr, sizeof addr);
  parley_log(PARLEY_LOG_WARN, "auth",
             "%s: %u wrong tokens: locked out for %" PRId64 " ms (router.auth_limit)", addr,
             count, ms);
}

/* The value of cookie name in a Cookie header, copied into buf; 0 if absent. */
static int cookie_value(const char *header, const char *name, char *buf, size_t size) {
  size_t nlen = strlen(name);
  for (const char *p = header; p && *p;) {
    p += strspn(p, " ;");
    const char *end = p + strcspn(p, ";");
    if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
      size_t vlen = (size_t)(end - p) - nlen - 1;
      if (vlen >= size)
        return 0;
      memcpy(buf, p + nlen + 1, vlen);
      buf[vlen] = '\0';
      return 1;
    }
    p = end;
  }
  return 0;
}

/* The live session of req's cookie, or NULL. */
static const parley_session_t *req_session(parley_router_t *r, parley_httpd_req_t *req) {
  char id[PARLEY_SESSION_ID_LEN + 2];
  const char *h = parley_httpd_req_header(req, "cookie");
  if (!r->sessions || !h || !cookie_value(h, PARLEY_SESSION_COOKIE, id, sizeof id))
    return NULL;
  return parley_sessions_find(r->sessions, id, (int64_t)uv_now(r->loop));
}

typedef enum { WHO_NOBODY, WHO_BEARER, WHO_SESSION, WHO_OPEN } who_kind_t;

static who_kind_t who(parley_router_t *r, parley_httpd_req_t *req, const char **agent,
                      const parley_session_t **session) {
  *agent = "admin";
  if (r->cfg->admin_auth_none)
    return WHO_OPEN;
  const char *h = parley_httpd_req_header(req, "authorization");
  if (h && strncmp(h, "Bearer ", 7) == 0)
    return (*agent = bearer_agent(r->cfg, h + 7)) ? WHO_BEARER : WHO_NOBODY;
  if ((*session = req_session(r, req)) != NULL) {
    *agent = parley_session_agent(*session);
    return WHO_SESSION;
  }
  return WHO_NOBODY;
}

/* A session may read; to change anything it must also show the CSRF token
 * the login gave to the page (a cross-site form cannot know it). */
static int csrf_ok(parley_httpd_req_t *req, const parley_session_t *s) {
  const char *m = parley_httpd_req_method(req);
  if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
    return 1;
  const char *h = parley_httpd_req_header(req, "x-parley-csrf");
  return h && parley_util_secret_eq(h, parley_session_csrf(s));
}

/* req brings a token (a Bearer header) that the gate will compare. */
static int brings_token(parley_router_t *r, parley_httpd_req_t *req) {
  const char *h = parley_httpd_req_header(req, "authorization");
  return !r->cfg->admin_auth_none && h && strncmp(h, "Bearer ", 7) == 0;
}

int parley_router_admin_gate(parley_router_t *r, parley_httpd_req_t *req, const char *method) {
  if (!parley_router_method_ok(req, method))
    return 0;
  const char *agent;
  const parley_session_t *s = NULL;
  int token = brings_token(r, req);
  int64_t locked = token ? lockout_left(r, req) : 0;
  if (locked > 0) { /* refused before the token is looked at */
    respond_locked(r, req, locked, 0);
    return 0;
  }
  who_kind_t w = who(r, req, &agent, &s);
  if (token)
    note_attempt(r, req, w == WHO_BEARER);
  switch (w) {
  case WHO_OPEN:
  case WHO_BEARER:
    return 1;
  case WHO_SESSION:
    if (csrf_ok(req, s))
      return 1;
    parley_router_respond_text(req, 403, "csrf token missing or wrong (header X-Parley-CSRF)\n",
                               NULL);
    return 0;
  case WHO_NOBODY:
    break;
  }
  const char *const headers[] = {"WWW-Authenticate: Bearer realm=\"parley\"", NULL};
  parley_router_respond_text(req, 401, "admin token required\n", headers);
  return 0;
}

const char *parley_router_req_agent(parley_router_t *r, parley_httpd_req_t *req) {
  const char *agent;
  const parley_session_t *s = NULL;
  return who(r, req, &agent, &s) == WHO_NOBODY ? NULL : agent;
}

/* ---- POST /v1/login, GET /v1/session, POST /v1/logout ---- */

static void respond_error(parley_httpd_req_t *req, int status, const char *message) {
  parley_router_respond_json(req, status, json_pack("{s:s}", "error", message));
}

static void respond_session(parley_router_t *r, parley_httpd_req_t *req, int status,
                            const parley_session_t *s, int set_cookie) {
  char cookie[160];
  snprintf(cookie, sizeof cookie, "Set-Cookie: %s=%s; Path=/; HttpOnly; SameSite=Strict%s",
           PARLEY_SESSION_COOKIE, parley_session_id(s), r->cfg->secure_cookies ? "; Secure" : "");
  const char *headers[] = {"Cache-Control: no-store", set_cookie ? cookie : NULL, NULL};
  json_t *j = json_pack("{s:s,s:s}", "agent", parley_session_agent(s), "csrf",
                        parley_session_csrf(s));
  char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
  json_decref(j);
  if (!body) {
    respond_error(req, 500, "out of memory");
    return;
  }
  parley_httpd_respond(req, status, "application/json", body, strlen(body),
                       (const char *const *)headers);
  free(body);
}

static void on_login(parley_httpd_req_t *req, void *data) {
  parley_router_t *r = data;
  if (!parley_router_method_ok(req, "POST"))
    return;
  if (!r->sessions) {
    respond_error(req, 404, "no logins: router.admin_auth is none");
    return;
  }
  size_t len;
  const char *body = parley_httpd_req_body(req, &len);
  json_t *j = json_loadb(body, len, 0, NULL);
  const char *token = json_string_value(json_object_get(j, "token"));
  int64_t locked = token ? lockout_left(r, req) : 0;
  if (locked > 0) { /* refused before the token is looked at */
    json_decref(j);
    respond_locked(r, req, locked, 1);
    return;
  }
  const char *agent = token ? bearer_agent(r->cfg, token) : NULL;
  if (token)
    note_attempt(r, req, agent != NULL);
  const parley_session_t *s =
      agent ? parley_sessions_create(r->sessions, agent, (int64_t)uv_now(r->loop)) : NULL;
  json_decref(j);
  if (!token)
    respond_error(req, 400, "login: expected a JSON body {\"token\": \"...\"}");
  else if (!agent)
    respond_error(req, 401, "login: wrong token");
  else if (!s)
    respond_error(req, 500, "login: cannot make a session");
  else
    respond_session(r, req, 200, s, 1);
}

static void on_session(parley_httpd_req_t *req, void *data) {
  parley_router_t *r = data;
  if (!parley_router_method_ok(req, "GET"))
    return;
  const parley_session_t *s = req_session(r, req);
  if (s)
    respond_session(r, req, 200, s, 0);
  else
    respond_error(req, 401, "no session: log in with POST /v1/login");
}

static void on_logout(parley_httpd_req_t *req, void *data) {
  parley_router_t *r = data;
  if (!parley_router_method_ok(req, "POST"))
    return;
  const parley_session_t *s = req_session(r, req);
  if (s && !csrf_ok(req, s)) {
    parley_router_respond_text(req, 403, "csrf token missing or wrong (header X-Parley-CSRF)\n",
                               NULL);
    return;
  }
  if (s)
    parley_sessions_drop(r->sessions, parley_session_id(s));
  const char *const headers[] = {
      "Set-Cookie: " PARLEY_SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
      NULL};
  parley_httpd_respond(req, 204, NULL, NULL, 0, headers);
}

void parley_router_login_routes(parley_router_t *r) {
  parley_httpd_route(r->httpd, "/v1/login", on_login, r);
  parley_httpd_route(r->httpd, "/v1/session", on_session, r);
  parley_httpd_route(r->httpd, "/v1/logout", on_logout, r);
}
