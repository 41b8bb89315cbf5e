/* parley core — the gate in front of every admin endpoint (/metrics, /v1/...):
 * the method first (405 with Allow), then the admin token. Webhooks
 * (/hooks/...) never pass here: their platforms sign them. */
#include <stdio.h>
#include <string.h>

#include "router.h"
#include "util.h"

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

static int token_ok(parley_router_t *r, parley_httpd_req_t *req) {
  if (!r->cfg->admin_token || !*r->cfg->admin_token)
    return 1;
  const char *h = parley_httpd_req_header(req, "authorization");
  return h && strncmp(h, "Bearer ", 7) == 0 && parley_util_secret_eq(h + 7, r->cfg->admin_token);
}

int parley_router_admin_gate(parley_router_t *r, parley_httpd_req_t *req, const char *method) {
  if (!parley_router_method_ok(req, method))
    return 0;
  if (token_ok(r, req))
    return 1;
  parley_router_respond_text(req, 401, "admin token required\n", NULL);
  return 0;
}
