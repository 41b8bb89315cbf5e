/* parley core — the gate in front of every admin endpoint (/metrics, /v1/...):
 * the method first (405 with Allow), then who is asking: the admin token or
 * an agent's token as a Bearer header, or a browser session's cookie, which
 * must bring its CSRF token on anything that changes state. Webhooks
 * (/hooks/...) never pass here: their platforms sign them. docs/auth.md */
#include <stdio.h>
#include <string.h>

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

int parley_router_admin_gate(parley_router_t *r, parley_httpd_req_t *req, const char *method) {
  if (!parley_router_method_ok(req, method))
    return 0;
  const char *agent;
  const parley_session_t *s = NULL;
  switch (who(r, req, &agent, &s)) {
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
  const char *agent = token ? bearer_agent(r->cfg, token) : NULL;
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
