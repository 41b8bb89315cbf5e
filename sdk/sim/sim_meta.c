/* parley-sim — the Meta Graph API mechanics that Facebook and Instagram
 * share (see sim_meta.h for the list and facebook.md for the facts). */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parley/time.h"
#include "sim_meta.h"

#define PARLEY_SIM_META_DEFAULT_VERSION "v19.0"
#define PARLEY_SIM_META_MAX_LIMIT 100
#define PARLEY_SIM_META_DEFAULT_LIMIT 25

static const char *parley_sim_meta_str(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

static char *parley_sim_meta_dup(const char *s, const char *dflt) {
  return strdup(s ? s : dflt);
}

/* ---- state ------------------------------------------------------------- */

int parley_sim_meta_init(parley_sim_t *sim, parley_sim_meta_t *m, json_t *part,
                         int default_throttle_code, parley_error_t *err) {
  json_t *rl = json_object_get(part, "rate_limit");
  json_t *win = json_object_get(part, "messaging_window_s");
  /* Fixed defaults keep the simulator usable without a scenario; they are
   * test values, never real credentials. */
  m->app_secret = parley_sim_meta_dup(parley_sim_meta_str(part, "app_secret"), "sim-app-secret");
  m->verify_token =
      parley_sim_meta_dup(parley_sim_meta_str(part, "verify_token"), "sim-verify-token");
  m->require_proof = json_is_true(json_object_get(part, "require_appsecret_proof"));
  m->duplicates = json_is_true(json_object_get(part, "webhook_duplicates"));
  m->rate_calls = json_is_integer(json_object_get(rl, "calls"))
                      ? (long)json_integer_value(json_object_get(rl, "calls"))
                      : 200;
  m->rate_window_s = json_is_integer(json_object_get(rl, "window_s"))
                         ? (long)json_integer_value(json_object_get(rl, "window_s"))
                         : 3600;
  m->throttle_code = json_is_integer(json_object_get(rl, "code"))
                         ? (int)json_integer_value(json_object_get(rl, "code"))
                         : default_throttle_code;
  m->window_ms = json_is_integer(win) ? (uint64_t)json_integer_value(win) * 1000u
                                      : 24u * 3600u * 1000u;
  m->waiting = json_array();
  if (!m->app_secret || !m->verify_token || !m->waiting)
    return parley_error_set(err, PARLEY_ENOMEM, "%s: out of memory", m->platform);
  if (m->rate_calls < 1 || m->rate_window_s < 1)
    return parley_error_set(err, PARLEY_ECONFIG,
                            "scenario: platforms.%s.rate_limit: calls and window_s must be >= 1",
                            m->platform);
  /* More Pages / accounts of the same Meta app: one webhook URL serves
   * them all, told apart by entry.id. */
  const char *keys[] = {"pages", "accounts"};
  for (size_t k = 0; k < 2; k++) {
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(part, keys[k]), i, p) {
      json_t *u = json_deep_copy(p);
      json_object_set_new(u, "platform", json_string(m->platform));
      json_object_set_new(u, "brand", json_true());
      int rc = parley_sim_user_add(sim, u, err);
      if (rc != 0) return rc;
    }
  }
  /* Without tokens in the scenario, one well-known token keeps a demo
   * working; a scenario that lists tokens gets exactly those. */
  if (!json_array_size(json_object_get(part, "tokens")))
    parley_sim_token_add(sim, m->platform, "sim-token", "page", NULL, NULL, 0);
  return 0;
}

void parley_sim_meta_free(parley_sim_meta_t *m) {
  free(m->app_secret);
  free(m->verify_token);
  json_decref(m->waiting);
  m->app_secret = m->verify_token = NULL;
  m->waiting = NULL;
}

/* ---- requests ------------------------------------------------------------ */

const char *parley_sim_meta_strip_version(const char *subpath, char *version, size_t len) {
  const char *p = subpath;
  snprintf(version, len, "%s", PARLEY_SIM_META_DEFAULT_VERSION);
  if (p[0] == '/' && p[1] == 'v' && isdigit((unsigned char)p[2])) {
    const char *q = p + 2;
    while (isdigit((unsigned char)*q)) q++;
    if (*q == '.') {
      q++;
      while (isdigit((unsigned char)*q)) q++;
      if (*q == '/' || *q == '\0') {
        snprintf(version, len, "%.*s", (int)(q - p - 1), p + 1);
        return q;
      }
    }
  }
  return p;
}

static int parley_sim_meta_body_is_json(parley_httpd_req_t *req) {
  size_t n = 0;
  const char *b = parley_httpd_req_body(req, &n);
  while (n && isspace((unsigned char)*b)) b++, n--;
  return n && *b == '{';
}

int parley_sim_meta_param(parley_httpd_req_t *req, const char *name, char *buf, size_t len) {
  size_t n = 0;
  int rc = parley_httpd_req_query_param(req, name, buf, len);
  if (rc != PARLEY_ENOENT) return rc;
  const char *body = parley_httpd_req_body(req, &n);
  if (!body || !n) return PARLEY_ENOENT;
  if (!parley_sim_meta_body_is_json(req)) return parley_sim_form_param(body, n, name, buf, len);
  json_t *j = json_loadb(body, n, 0, NULL), *v = json_object_get(j, name);
  rc = PARLEY_ENOENT;
  if (json_is_string(v)) {
    rc = snprintf(buf, len, "%s", json_string_value(v));
  } else if (json_is_integer(v)) {
    rc = snprintf(buf, len, "%lld", (long long)json_integer_value(v));
  } else if (json_is_boolean(v)) {
    rc = snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
  }
  if (rc >= 0 && (size_t)rc >= len) rc = PARLEY_ENOBUFS;
  json_decref(j);
  return rc;
}

json_t *parley_sim_meta_param_json(parley_httpd_req_t *req, const char *name) {
  char buf[4096];
  size_t n = 0;
  const char *body = parley_httpd_req_body(req, &n);
  if (body && n && parley_sim_meta_body_is_json(req)) {
    json_t *j = json_loadb(body, n, 0, NULL);
    json_t *v = json_incref(json_object_get(j, name));
    json_decref(j);
    if (v && !json_is_string(v)) return v;
    json_decref(v);
  }
  if (parley_sim_meta_param(req, name, buf, sizeof buf) < 0) return NULL;
  return json_loads(buf, 0, NULL);
}

/* ---- errors ---------------------------------------------------------------- */

/* fbtrace_id: 11 characters of the base64 alphabet, as Meta's look. */
static void parley_sim_meta_trace(parley_sim_t *sim, char *buf, size_t len) {
  static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t n = len - 1 < 11 ? len - 1 : 11;
  for (size_t i = 0; i < n; i++) buf[i] = abc[parley_sim_random(sim) % 64];
  buf[n] = '\0';
}

static json_t *parley_sim_meta_error_json(parley_sim_t *sim, int code, int subcode,
                                          const char *type, const char *message,
                                          int transient, parley_sim_headers_t *h) {
  char trace[16];
  parley_sim_meta_trace(sim, trace, sizeof trace);
  json_t *e = json_pack("{s:s,s:s,s:i}", "message", message, "type",
                        type ? type : "OAuthException", "code", code);
  if (subcode) json_object_set_new(e, "error_subcode", json_integer(subcode));
  if (transient) json_object_set_new(e, "is_transient", json_true());
  json_object_set_new(e, "fbtrace_id", json_string(trace));
  parley_sim_headers_add(h, "x-fb-trace-id: %s", trace);
  if (code == 190)
    parley_sim_headers_add(h, "WWW-Authenticate: OAuth \"Facebook Platform\" \"invalid_token\" "
                              "\"%s\"", message);
  return json_pack("{s:o}", "error", e);
}

void parley_sim_meta_error(parley_sim_t *sim, parley_httpd_req_t *req, int status, int code,
                           int subcode, const char *type, const char *message) {
  parley_sim_headers_t h = {0};
  json_t *body = parley_sim_meta_error_json(sim, code, subcode, type, message, 0, &h);
  parley_sim_respond_json(sim, req, status, body, NULL, &h);
  parley_sim_headers_free(&h);
}

static json_t *parley_sim_meta_usage(long pct) {
  return json_pack("{s:I,s:I,s:I}", "call_count", (json_int_t)pct, "total_cputime",
                   (json_int_t)(pct / 2), "total_time", (json_int_t)(pct / 2));
}

/* X-App-Usage and X-Business-Use-Case-Usage for the object at pct percent. */
static void parley_sim_meta_usage_headers(parley_sim_meta_t *m, const char *obj_id, long pct,
                                          long regain_min, parley_sim_headers_t *h) {
  json_t *app = parley_sim_meta_usage(pct);
  json_t *entry = parley_sim_meta_usage(pct);
  json_object_set_new(entry, "type", json_string(m->buc_type));
  json_object_set_new(entry, "estimated_time_to_regain_access", json_integer(regain_min));
  json_t *buc = json_object();
  json_object_set_new(buc, obj_id ? obj_id : "0", json_pack("[o]", entry));
  char *a = json_dumps(app, JSON_COMPACT), *b = json_dumps(buc, JSON_COMPACT);
  if (a) parley_sim_headers_add(h, "X-App-Usage: %s", a);
  if (b) parley_sim_headers_add(h, "X-Business-Use-Case-Usage: %s", b);
  free(a);
  free(b);
  json_decref(app);
  json_decref(buc);
}

static const char *parley_sim_meta_throttle_message(int code) {
  switch (code) {
  case 4: return "(#4) Application request limit reached";
  case 17: return "(#17) User request limit reached";
  case 32: return "(#32) Page request limit reached";
  case 613: return "(#613) Calls to this api have exceeded the rate limit.";
  case 80002:
    return "(#80002) There have been too many calls to this Instagram account. Wait a bit and "
           "try again.";
  case 80006:
    return "(#80006) There have been too many messenger api calls to this Page account. Wait a "
           "bit and try again.";
  default:
    return "(#80001) There have been too many calls to this Page account. Wait a bit and try "
           "again.";
  }
}

json_t *parley_sim_meta_error_body(parley_sim_meta_t *m, int status, parley_sim_headers_t *h) {
  /* error_body has no sim argument for ids; a fixed trace is fine here. */
  json_t *e;
  if (status == 429) {
    parley_sim_meta_usage_headers(m, NULL, 100, 1, h);
    e = json_pack("{s:s,s:s,s:i,s:b}", "message", parley_sim_meta_throttle_message(m->throttle_code),
                  "type", "OAuthException", "code", m->throttle_code, "is_transient", 1);
  } else if (status == 504 || status == 503) {
    e = json_pack("{s:s,s:s,s:i,s:b}", "message",
                  "(#2) Service temporarily unavailable", "type", "OAuthException", "code", 2,
                  "is_transient", 1);
  } else {
    e = json_pack("{s:s,s:s,s:i,s:b}", "message",
                  "An unknown error occurred", "type", "OAuthException", "code", 1,
                  "is_transient", 1);
  }
  json_object_set_new(e, "fbtrace_id", json_string("SimFault000"));
  parley_sim_headers_add(h, "x-fb-trace-id: SimFault000");
  return json_pack("{s:o}", "error", e);
}

/* ---- auth ---------------------------------------------------------------- */

static const char *parley_sim_meta_credentials(parley_httpd_req_t *req, char *buf,
                                               size_t len) {
  if (parley_sim_meta_param(req, "access_token", buf, len) >= 0) return buf;
  return parley_httpd_req_header(req, "Authorization");
}

/* The token as written after an optional "Bearer ". */
static const char *parley_sim_meta_bare(const char *cred) {
  while (*cred == ' ') cred++;
  if (!strncmp(cred, "Bearer ", 7) || !strncmp(cred, "bearer ", 7)) cred += 7;
  while (*cred == ' ') cred++;
  return cred;
}

static void parley_sim_meta_expired(parley_sim_t *sim, parley_httpd_req_t *req,
                                    const parley_sim_token_t *tok) {
  char msg[256], when[64], now[64];
  time_t exp = (time_t)((tok && tok->expires_ms ? tok->expires_ms : parley_sim_now_ms()) / 1000u);
  time_t t = (time_t)(parley_sim_now_ms() / 1000u);
  struct tm a, b;
  gmtime_r(&exp, &a);
  gmtime_r(&t, &b);
  strftime(when, sizeof when, "%A, %d-%b-%y %H:%M:%S UTC", &a);
  strftime(now, sizeof now, "%A, %d-%b-%y %H:%M:%S UTC", &b);
  snprintf(msg, sizeof msg,
           "Error validating access token: Session has expired on %s. The current time is %s.",
           when, now);
  parley_sim_meta_error(sim, req, 400, 190, 463, "OAuthException", msg);
}

static int parley_sim_meta_check_proof(parley_sim_t *sim, parley_sim_meta_t *m,
                                       parley_httpd_req_t *req, const char *token) {
  char proof[160], want[80];
  int have = parley_sim_meta_param(req, "appsecret_proof", proof, sizeof proof) >= 0;
  if (!have && !m->require_proof) return 0;
  if (!have) {
    parley_sim_meta_error(sim, req, 400, 100, 0, "GraphMethodException",
                          "API calls from the server require an appsecret_proof argument");
    return PARLEY_EAUTH;
  }
  parley_sim_hmac_sha256_hex(m->app_secret, token, strlen(token), want, sizeof want);
  if (strcmp(proof, want) != 0) {
    parley_sim_meta_error(sim, req, 400, 100, 0, "GraphMethodException",
                          "Invalid appsecret_proof provided in the API argument");
    return PARLEY_EAUTH;
  }
  return 0;
}

int parley_sim_meta_auth(parley_sim_t *sim, parley_sim_meta_t *m, parley_httpd_req_t *req,
                         const parley_sim_token_t **tok) {
  char buf[1024];
  const parley_sim_token_t *rec = NULL;
  const char *cred = parley_sim_meta_credentials(req, buf, sizeof buf);
  switch (parley_sim_auth(sim, m->platform, cred, &rec)) {
  case PARLEY_SIM_AUTH_OK:
    break;
  case PARLEY_SIM_AUTH_MISSING:
    parley_sim_meta_error(sim, req, 400, 104, 0, "OAuthException",
                          "An access token is required to request this resource.");
    return PARLEY_EAUTH;
  case PARLEY_SIM_AUTH_EXPIRED:
    parley_sim_meta_expired(sim, req, rec);
    return PARLEY_EAUTH;
  default:
    parley_sim_meta_error(sim, req, 400, 190, 0, "OAuthException",
                          "Invalid OAuth access token - Cannot parse access token");
    return PARLEY_EAUTH;
  }
  if (parley_sim_meta_check_proof(sim, m, req, parley_sim_meta_bare(cred)) != 0)
    return PARLEY_EAUTH;
  if (tok) *tok = rec;
  return 0;
}

int parley_sim_meta_throttle(parley_sim_t *sim, parley_sim_meta_t *m, parley_httpd_req_t *req,
                             const char *obj_id, parley_sim_headers_t *h) {
  parley_sim_rate_t r;
  int refused = parley_sim_ratelimit_take(sim, m->platform, "graph", obj_id, m->rate_calls,
                                          m->rate_window_s, &r);
  long used = r.limit - r.remaining;
  long pct = r.limit > 0 ? used * 100 / r.limit : 100;
  int64_t wait = r.reset - (int64_t)(parley_sim_now_ms() / 1000u);
  long regain = refused ? (long)((wait + 59) / 60) : 0;
  parley_sim_meta_usage_headers(m, obj_id, refused ? 100 : pct, regain, h);
  if (!refused) return 0;
  json_t *body = parley_sim_meta_error_json(sim, m->throttle_code, 0, "OAuthException",
                                            parley_sim_meta_throttle_message(m->throttle_code),
                                            1, h);
  parley_sim_respond_json(sim, req, 400, body, NULL, h);
  return PARLEY_ERATELIMIT;
}

/* ---- fields= --------------------------------------------------------------- */

typedef struct parley_sim_meta_lex {
  const char *s;
  size_t pos;
  parley_error_t *err;
} parley_sim_meta_lex_t;

static int parley_sim_meta_is_name(int c) {
  return isalnum(c) || c == '_' || c == '$';
}

static char *parley_sim_meta_take(parley_sim_meta_lex_t *lx, int (*ok)(int)) {
  size_t start = lx->pos;
  while (lx->s[lx->pos] && ok((unsigned char)lx->s[lx->pos])) lx->pos++;
  if (lx->pos == start) return NULL;
  return strndup(lx->s + start, lx->pos - start);
}

static int parley_sim_meta_is_arg(int c) { return c && c != ')'; }

static int parley_sim_meta_syntax(parley_sim_meta_lex_t *lx, const char *what) {
  return parley_error_set(lx->err, PARLEY_EPARSE,
                          "(#100) Syntax error \"Expected %s.\" at character %zu: %s", what,
                          lx->pos, lx->s);
}

static int parley_sim_meta_parse_list(parley_sim_meta_lex_t *lx, parley_sim_meta_field_t **out);

/* .name(arg) modifiers after a field name. */
static int parley_sim_meta_parse_mods(parley_sim_meta_lex_t *lx, parley_sim_meta_field_t *f) {
  while (lx->s[lx->pos] == '.') {
    lx->pos++;
    char *key = parley_sim_meta_take(lx, parley_sim_meta_is_name);
    if (!key || lx->s[lx->pos] != '(') {
      free(key);
      return parley_sim_meta_syntax(lx, "modifier name(value)");
    }
    lx->pos++;
    char *val = parley_sim_meta_take(lx, parley_sim_meta_is_arg);
    if (lx->s[lx->pos] != ')' || f->nmods == PARLEY_SIM_META_MAX_MODS) {
      free(key);
      free(val);
      return parley_sim_meta_syntax(lx, "')'");
    }
    lx->pos++;
    f->mods[f->nmods].key = key;
    f->mods[f->nmods++].value = val ? val : strdup("");
  }
  return 0;
}

static int parley_sim_meta_parse_field(parley_sim_meta_lex_t *lx, parley_sim_meta_field_t **out) {
  parley_sim_meta_field_t *f = calloc(1, sizeof *f);
  if (!f) return parley_error_set(lx->err, PARLEY_ENOMEM, "out of memory");
  *out = f;
  while (lx->s[lx->pos] == ' ') lx->pos++;
  f->name = parley_sim_meta_take(lx, parley_sim_meta_is_name);
  if (!f->name) return parley_sim_meta_syntax(lx, "a field name");
  int rc = parley_sim_meta_parse_mods(lx, f);
  if (rc == 0 && lx->s[lx->pos] == '{') {
    lx->pos++;
    rc = parley_sim_meta_parse_list(lx, &f->child);
    if (rc == 0 && lx->s[lx->pos] != '}') rc = parley_sim_meta_syntax(lx, "'}'");
    if (rc == 0) lx->pos++;
  }
  return rc;
}

static int parley_sim_meta_parse_list(parley_sim_meta_lex_t *lx, parley_sim_meta_field_t **out) {
  parley_sim_meta_field_t **tail = out;
  for (;;) {
    int rc = parley_sim_meta_parse_field(lx, tail);
    if (rc != 0) return rc;
    tail = &(*tail)->next;
    while (lx->s[lx->pos] == ' ') lx->pos++;
    if (lx->s[lx->pos] != ',') return 0;
    lx->pos++;
  }
}

int parley_sim_meta_fields_parse(const char *s, parley_sim_meta_field_t **out,
                                 parley_error_t *err) {
  parley_sim_meta_lex_t lx = {s, 0, err};
  *out = NULL;
  if (!s || !*s) return 0;
  int rc = parley_sim_meta_parse_list(&lx, out);
  if (rc == 0 && s[lx.pos] != '\0') rc = parley_sim_meta_syntax(&lx, "',' or the end");
  if (rc != 0) {
    parley_sim_meta_fields_free(*out);
    *out = NULL;
  }
  return rc;
}

void parley_sim_meta_fields_free(parley_sim_meta_field_t *f) {
  while (f) {
    parley_sim_meta_field_t *next = f->next;
    for (size_t i = 0; i < f->nmods; i++) {
      free(f->mods[i].key);
      free(f->mods[i].value);
    }
    parley_sim_meta_fields_free(f->child);
    free(f->name);
    free(f);
    f = next;
  }
}

const parley_sim_meta_field_t *parley_sim_meta_field_find(const parley_sim_meta_field_t *list,
                                                          const char *name) {
  for (; list; list = list->next)
    if (!strcmp(list->name, name)) return list;
  return NULL;
}

const char *parley_sim_meta_field_mod(const parley_sim_meta_field_t *f, const char *key) {
  for (size_t i = 0; f && i < f->nmods; i++)
    if (!strcmp(f->mods[i].key, key)) return f->mods[i].value;
  return NULL;
}

static json_t *parley_sim_meta_select_value(json_t *v, const parley_sim_meta_field_t *child) {
  json_t *data = json_object_get(v, "data");
  if (!child || !json_is_object(v)) return json_incref(v);
  if (!json_is_array(data)) return parley_sim_meta_select(json_incref(v), child, NULL);
  /* An edge: the selection applies to every node of the page. */
  json_t *out = json_deep_copy(v), *arr = json_array(), *e;
  size_t i;
  json_array_foreach(data, i, e) {
    json_array_append_new(arr, json_is_object(e) ? parley_sim_meta_select(json_incref(e), child, NULL)
                                                 : json_incref(e));
  }
  json_object_set_new(out, "data", arr);
  return out;
}

json_t *parley_sim_meta_select(json_t *full, const parley_sim_meta_field_t *sel,
                               const char *defaults) {
  parley_sim_meta_field_t *parsed = NULL;
  if (!sel && defaults) {
    parley_sim_meta_fields_parse(defaults, &parsed, NULL);
    sel = parsed;
  }
  json_t *out = json_object();
  for (const parley_sim_meta_field_t *f = sel; f; f = f->next) {
    json_t *v = json_object_get(full, f->name);
    if (v) json_object_set_new(out, f->name, parley_sim_meta_select_value(v, f->child));
  }
  parley_sim_meta_fields_free(parsed);
  json_decref(full);
  return out;
}

/* ---- paging --------------------------------------------------------------- */

/* Cursors are base64url of the item id: opaque to clients as Meta's are,
 * and stable when newer items arrive in front. */
static void parley_sim_meta_cursor(const char *id, char *buf, size_t len) {
  unsigned char tmp[256];
  size_t n = strlen(id);
  if (n > 180 || len < 4 * ((n + 2) / 3) + 1) {
    buf[0] = '\0';
    return;
  }
  int k = EVP_EncodeBlock(tmp, (const unsigned char *)id, (int)n);
  size_t o = 0;
  for (int i = 0; i < k && tmp[i] != '='; i++)
    buf[o++] = tmp[i] == '+' ? '-' : tmp[i] == '/' ? '_' : (char)tmp[i];
  buf[o] = '\0';
}

static int parley_sim_meta_uncursor(const char *c, char *id, size_t len) {
  char tmp[256];
  unsigned char out[256];
  size_t n = strlen(c);
  if (n == 0 || n + 3 >= sizeof tmp) return PARLEY_EINVAL;
  for (size_t i = 0; i < n; i++) tmp[i] = c[i] == '-' ? '+' : c[i] == '_' ? '/' : c[i];
  while (n % 4) tmp[n++] = '=';
  tmp[n] = '\0';
  int k = EVP_DecodeBlock(out, (unsigned char *)tmp, (int)n);
  if (k < 0) return PARLEY_EINVAL;
  while (k > 0 && out[k - 1] == '\0') k--; /* DecodeBlock counts the padding */
  if ((size_t)k >= len) return PARLEY_EINVAL;
  memcpy(id, out, (size_t)k);
  id[k] = '\0';
  return 0;
}

static long parley_sim_meta_index_of(json_t *items, const char *cursor) {
  char id[256];
  size_t i;
  json_t *it;
  if (parley_sim_meta_uncursor(cursor, id, sizeof id) != 0) return -1;
  json_array_foreach(items, i, it) {
    if (!strcmp(parley_sim_meta_str(it, "id"), id)) return (long)i;
  }
  return -1;
}

/* "host:port" the simulator is reached at (h2o keeps Host out of the
 * header list, so it is rebuilt from the listen address). */
static void parley_sim_meta_authority(parley_sim_t *sim, parley_httpd_req_t *req, char *buf,
                                      size_t len) {
  const char *host = parley_httpd_req_header(req, "Host");
  const char *listen = sim->config.listen ? sim->config.listen : "127.0.0.1:0";
  const char *colon = strrchr(listen, ':');
  if (host) snprintf(buf, len, "%s", host);
  else snprintf(buf, len, "%.*s:%d", colon ? (int)(colon - listen) : 9, colon ? listen : "127.0.0.1",
                parley_sim_port(sim));
}

/* The request's URL with after/before replaced by name=cursor. */
static json_t *parley_sim_meta_link(parley_sim_t *sim, parley_httpd_req_t *req,
                                    const char *name, const char *cursor) {
  char host[300];
  const char *q = parley_httpd_req_query(req);
  size_t cap = strlen(q) + strlen(parley_httpd_req_path(req)) + strlen(cursor) + 400;
  char *url = malloc(cap);
  if (!url) return NULL;
  parley_sim_meta_authority(sim, req, host, sizeof host);
  int n = snprintf(url, cap, "http://%s%s?", host, parley_httpd_req_path(req));
  while (*q) {
    const char *amp = strchr(q, '&');
    size_t seg = amp ? (size_t)(amp - q) : strlen(q);
    if (strncmp(q, "after=", 6) && strncmp(q, "before=", 7) && seg)
      n += snprintf(url + n, cap - (size_t)n, "%.*s&", (int)seg, q);
    q += seg + (amp ? 1 : 0);
  }
  snprintf(url + n, cap - (size_t)n, "%s=%s", name, cursor);
  json_t *j = json_string(url);
  free(url);
  return j;
}

/* since= / until= (unix seconds or an ISO date) into ms bounds; -1 when
 * malformed. */
static int parley_sim_meta_bound(parley_httpd_req_t *req, const char *name, int64_t *ms) {
  char buf[64], *end = NULL;
  if (!req || parley_httpd_req_query_param(req, name, buf, sizeof buf) < 0) return 0;
  long long v = strtoll(buf, &end, 10);
  if (*buf && !*end) {
    *ms = (int64_t)v * 1000;
    return 1;
  }
  return parley_time_parse(buf, ms) == 0 ? 1 : -1;
}

/* The items inside since/until (new reference), or NULL when malformed. */
static json_t *parley_sim_meta_window_filter(json_t *items, parley_httpd_req_t *req) {
  int64_t since = 0, until = 0;
  int hs = parley_sim_meta_bound(req, "since", &since), hu = parley_sim_meta_bound(req, "until", &until);
  if (hs < 0 || hu < 0) return NULL;
  if (!hs && !hu) return json_incref(items);
  json_t *out = json_array(), *it;
  size_t i;
  json_array_foreach(items, i, it) {
    /* Compared in seconds: created_time has no finer grain. */
    int64_t t = (int64_t)json_integer_value(json_object_get(it, "created_ms")) / 1000;
    if ((!hs || t >= since / 1000) && (!hu || t <= until / 1000)) json_array_append(out, it);
  }
  return out;
}

static json_t *parley_sim_meta_page_of(parley_sim_t *sim, json_t *items,
                                       const parley_sim_meta_pager_t *p, parley_error_t *err);

json_t *parley_sim_meta_page(parley_sim_t *sim, json_t *items, const parley_sim_meta_pager_t *p,
                             parley_error_t *err) {
  json_t *in = parley_sim_meta_window_filter(items, p->req);
  if (!in) {
    parley_error_set(err, PARLEY_EINVAL, "(#100) since/until must be unix seconds or a date");
    return NULL;
  }
  json_t *page = parley_sim_meta_page_of(sim, in, p, err);
  json_decref(in);
  return page;
}

static json_t *parley_sim_meta_page_of(parley_sim_t *sim, json_t *items,
                                       const parley_sim_meta_pager_t *p, parley_error_t *err) {
  long n = (long)json_array_size(items), start = 0, end;
  long limit = p->limit > 0 ? p->limit : PARLEY_SIM_META_DEFAULT_LIMIT;
  if (p->after && *p->after) {
    long i = parley_sim_meta_index_of(items, p->after);
    if (i < 0) goto bad_cursor;
    start = i + 1;
  }
  end = start + limit < n ? start + limit : n;
  if (p->before && *p->before) {
    long i = parley_sim_meta_index_of(items, p->before);
    if (i < 0) goto bad_cursor;
    end = i;
    start = end - limit > 0 ? end - limit : 0;
  }
  json_t *data = json_array();
  for (long i = start; i < end; i++)
    json_array_append_new(data, p->render(sim, json_array_get(items, (size_t)i), p->sel, p->data));
  json_t *paging = json_object();
  if (end > start) {
    char before[360], after[360];
    parley_sim_meta_cursor(parley_sim_meta_str(json_array_get(items, (size_t)start), "id"),
                           before, sizeof before);
    parley_sim_meta_cursor(parley_sim_meta_str(json_array_get(items, (size_t)end - 1), "id"),
                           after, sizeof after);
    json_object_set_new(paging, "cursors", json_pack("{s:s,s:s}", "before", before, "after", after));
    /* next is left out on the last page: that is how clients stop. */
    if (p->req && end < n) json_object_set_new(paging, "next", parley_sim_meta_link(sim, p->req, "after", after));
    if (p->req && start > 0)
      json_object_set_new(paging, "previous", parley_sim_meta_link(sim, p->req, "before", before));
  }
  return json_pack("{s:o,s:o}", "data", data, "paging", paging);
bad_cursor:
  parley_error_set(err, PARLEY_EINVAL, "(#100) The parameter cursor is not valid");
  return NULL;
}

int parley_sim_meta_pager_from_req(parley_sim_meta_pager_t *p, parley_httpd_req_t *req,
                                   char *after, char *before, size_t len) {
  char buf[32];
  p->req = req;
  p->after = parley_httpd_req_query_param(req, "after", after, len) >= 0 ? after : NULL;
  p->before = parley_httpd_req_query_param(req, "before", before, len) >= 0 ? before : NULL;
  p->limit = PARLEY_SIM_META_DEFAULT_LIMIT;
  if (parley_httpd_req_query_param(req, "limit", buf, sizeof buf) >= 0) {
    char *end = NULL;
    long v = strtol(buf, &end, 10);
    if (!*buf || *end || v < 0) return PARLEY_EINVAL;
    p->limit = v == 0 ? PARLEY_SIM_META_DEFAULT_LIMIT
                      : v > PARLEY_SIM_META_MAX_LIMIT ? PARLEY_SIM_META_MAX_LIMIT : v;
  }
  return 0;
}

void parley_sim_meta_respond_page(parley_sim_t *sim, parley_httpd_req_t *req, json_t *items,
                                  const parley_sim_meta_field_t *sel,
                                  parley_sim_meta_render_fn render, void *data,
                                  const parley_sim_headers_t *h) {
  char after[256], before[256];
  parley_error_t err = {0};
  parley_sim_meta_pager_t p = {.sel = sel, .render = render, .data = data};
  json_t *page = NULL;
  if (parley_sim_meta_pager_from_req(&p, req, after, before, sizeof after) != 0)
    parley_error_set(&err, PARLEY_EINVAL, "(#100) The parameter limit must be a positive integer");
  else
    page = parley_sim_meta_page(sim, items, &p, &err);
  json_decref(items);
  if (page) {
    parley_sim_respond_json(sim, req, 200, page, NULL, h);
    return;
  }
  parley_sim_meta_error(sim, req, 400, 100, 0, "OAuthException", err.message);
}

static int parley_sim_meta_chrono(const void *a, const void *b) {
  json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
  json_int_t tx = json_integer_value(json_object_get(x, "created_ms"));
  json_int_t ty = json_integer_value(json_object_get(y, "created_ms"));
  if (tx != ty) return tx < ty ? -1 : 1;
  return parley_sim_id_cmp(parley_sim_meta_str(x, "id"), parley_sim_meta_str(y, "id"));
}

json_t *parley_sim_meta_sort(json_t *items, int oldest_first) {
  size_t n = json_array_size(items), i;
  json_t **v = malloc((n ? n : 1) * sizeof *v);
  if (!v) return items;
  for (i = 0; i < n; i++) v[i] = json_incref(json_array_get(items, i));
  qsort(v, n, sizeof *v, parley_sim_meta_chrono);
  json_array_clear(items);
  for (i = 0; i < n; i++) json_array_append_new(items, v[oldest_first ? i : n - 1 - i]);
  free(v);
  return items;
}

/* ---- formats ---------------------------------------------------------------- */

const char *parley_sim_meta_time(uint64_t ms, char *buf, size_t len) {
  time_t t = (time_t)(ms / 1000u);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%S+0000", &tm);
  return buf;
}

json_t *parley_sim_meta_user(parley_sim_t *sim, const char *platform, const char *user_id,
                             int instagram) {
  json_t *u = parley_sim_user_find(sim, platform, user_id);
  const char *handle = parley_sim_meta_str(u, "handle");
  const char *name = parley_sim_meta_str(u, "name");
  if (!user_id) return NULL;
  if (instagram) return json_pack("{s:s,s:s}", "id", user_id, "username", handle ? handle : user_id);
  return json_pack("{s:s,s:s}", "id", user_id, "name", name ? name : handle ? handle : user_id);
}

/* ---- serving ------------------------------------------------------------------ */

void parley_sim_meta_ok(parley_sim_meta_req_t *r, json_t *body) {
  parley_sim_respond_json(r->sim, r->req, 200, body, NULL, &r->h);
}

void parley_sim_meta_fail(parley_sim_meta_req_t *r, int code, int subcode, const char *msg) {
  parley_sim_meta_error(r->sim, r->req, 400, code, subcode, "OAuthException", msg);
}

void parley_sim_meta_no_node(parley_sim_meta_req_t *r) {
  char msg[512];
  snprintf(msg, sizeof msg,
           "Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to "
           "missing permissions, or does not support this operation.",
           !strcmp(r->method, "GET") ? "get" : "post", r->node);
  parley_sim_meta_error(r->sim, r->req, 400, 100, 33, "GraphMethodException", msg);
}

/* "/123/comments" -> node "123", edge "comments"; "me" -> the token's
 * account (its user_id, else the scenario account). */
static int parley_sim_meta_route(parley_sim_meta_req_t *r, const char *path,
                                 const parley_sim_token_t *tok) {
  const char *p = path[0] == '/' ? path + 1 : path;
  const char *slash = strchr(p, '/');
  size_t n = slash ? (size_t)(slash - p) : strlen(p);
  if (n == 0 || n >= sizeof r->node || (slash && strchr(slash + 1, '/')) ||
      (slash && strlen(slash + 1) >= sizeof r->edge))
    return -1;
  snprintf(r->node, sizeof r->node, "%.*s", (int)n, p);
  snprintf(r->edge, sizeof r->edge, "%s", slash ? slash + 1 : "");
  if (!strcmp(r->node, "me")) {
    const char *me = tok && tok->user_id ? tok->user_id
                                         : parley_sim_meta_str(parley_sim_account(r->sim, r->m->platform), "id");
    snprintf(r->node, sizeof r->node, "%s", me ? me : "0");
  }
  return 0;
}

/* Usage counts against the account that owns the node. */
static const char *parley_sim_meta_usage_object(parley_sim_meta_req_t *r) {
  json_t *item = parley_sim_item_find(r->sim, r->m->platform, r->node);
  const char *acct = parley_sim_meta_str(item, "account_id");
  return acct ? acct : r->node;
}

void parley_sim_meta_serve(parley_sim_t *sim, parley_sim_meta_t *m, parley_httpd_req_t *req,
                           const char *subpath, void (*serve)(parley_sim_meta_req_t *r)) {
  char version[16], fields[2048];
  parley_error_t err = {0};
  const parley_sim_token_t *tok = NULL;
  parley_sim_meta_req_t r = {.sim = sim, .m = m, .req = req, .method = parley_httpd_req_method(req)};
  const char *path = parley_sim_meta_strip_version(subpath, version, sizeof version);
  if (parley_sim_meta_auth(sim, m, req, &tok) != 0) return;
  if (parley_sim_meta_route(&r, path, tok) != 0) {
    parley_sim_meta_error(sim, req, 400, 2500, 0, "OAuthException",
                          "Unknown path components: the simulator serves /{node} and "
                          "/{node}/{edge}");
    return;
  }
  parley_sim_headers_add(&r.h, "facebook-api-version: %s", version);
  if (parley_sim_meta_throttle(sim, m, req, parley_sim_meta_usage_object(&r), &r.h) != 0)
    goto out;
  if (parley_sim_meta_param(req, "fields", fields, sizeof fields) >= 0 &&
      parley_sim_meta_fields_parse(fields, &r.fields, &err) != 0) {
    parley_sim_meta_error(sim, req, 400, 100, 0, "OAuthException", err.message);
    goto out;
  }
  if (!strcmp(r.method, "GET") || !strcmp(r.method, "POST") || !strcmp(r.method, "DELETE"))
    serve(&r);
  else
    parley_sim_meta_error(sim, req, 400, 100, 0, "OAuthException", "(#100) Unsupported method");
out:
  parley_sim_meta_fields_free(r.fields);
  parley_sim_headers_free(&r.h);
}

/* ---- items ------------------------------------------------------------------- */

int parley_sim_meta_is(json_t *item, const char *type) {
  const char *t = parley_sim_meta_str(item, "type");
  return t && !strcmp(t, type);
}

int parley_sim_meta_is_comment(json_t *item) {
  return parley_sim_meta_is(item, "comment") || parley_sim_meta_is(item, "reply");
}

uint64_t parley_sim_meta_ms(json_t *item) {
  return (uint64_t)json_integer_value(json_object_get(item, "created_ms"));
}

json_t *parley_sim_meta_find(parley_sim_t *sim, parley_sim_meta_t *m, const char *id) {
  json_t *item = parley_sim_item_find(sim, m->platform, id);
  return item && !json_is_true(json_object_get(item, "deleted")) ? item : NULL;
}

int parley_sim_meta_is_account(parley_sim_t *sim, parley_sim_meta_t *m, const char *id) {
  json_t *u = parley_sim_user_find(sim, m->platform, id);
  return u && json_is_true(json_object_get(u, "brand"));
}

/* ---- comments written by the brand ------------------------------------------------ */

#define PARLEY_SIM_META_COMMENT_BUF 8192

void parley_sim_meta_comment(parley_sim_meta_req_t *r, json_t *parent, const char *in_reply_to,
                             const char *action, size_t max_text) {
  char text[PARLEY_SIM_META_COMMENT_BUF], id[32];
  parley_error_t err = {0};
  int n = parley_sim_meta_param(r->req, "message", text, sizeof text);
  if (n <= 0) {
    parley_sim_meta_fail(r, 100, 0, "(#100) Missing required parameter: message");
    return;
  }
  if ((size_t)n > max_text) {
    parley_sim_meta_fail(r, 100, 0, "(#100) Param message is too long");
    return;
  }
  const char *acct = parley_sim_meta_str(parent, "account_id");
  if (!acct) acct = parley_sim_meta_str(parley_sim_account(r->sim, r->m->platform), "id");
  json_t *item = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "platform", r->m->platform,
                           "type", "comment", "id",
                           parley_sim_next_id(r->sim, r->m->platform, id, sizeof id), "parent_id",
                           parley_sim_meta_str(parent, "id"), "author_id", acct ? acct : "0",
                           "account_id", acct ? acct : "0", "text", text, "from_brand", 1);
  if (!parley_sim_item_add(r->sim, item, &err)) {
    parley_sim_meta_error(r->sim, r->req, 500, 1, 0, "OAuthException", err.message);
    return;
  }
  parley_sim_record(r->sim, r->m->platform,
                    json_pack("{s:s,s:s,s:s,s:s}", "action", action, "in_reply_to", in_reply_to,
                              "id", id, "text", text));
  parley_sim_meta_ok(r, json_pack("{s:s}", "id", id));
}

int parley_sim_meta_hide(parley_sim_meta_req_t *r, json_t *item, int hide, const char *refusal) {
  if (!parley_sim_meta_is_comment(item) || json_is_true(json_object_get(item, "from_brand"))) {
    parley_sim_meta_fail(r, 100, 0, refusal);
    return PARLEY_EPERM;
  }
  json_object_set_new(item, "hidden", json_boolean(hide));
  parley_sim_record(r->sim, r->m->platform,
                    json_pack("{s:s,s:s}", "action", hide ? "hide" : "unhide", "target",
                              parley_sim_meta_str(item, "id")));
  parley_sim_meta_ok(r, json_pack("{s:b}", "success", 1));
  return 0;
}

/* ---- messaging -------------------------------------------------------------------- */

#define PARLEY_SIM_META_PRIVATE_REPLY_MS (7u * 24u * 3600u * 1000u)
#define PARLEY_SIM_META_HUMAN_AGENT_MS (7u * 24u * 3600u * 1000u)

/* The customer of a DM: the side that is not the brand. */
static const char *parley_sim_meta_customer(json_t *msg) {
  return json_is_true(json_object_get(msg, "from_brand")) ? parley_sim_meta_str(msg, "recipient_id")
                                                          : parley_sim_meta_str(msg, "author_id");
}

static void parley_sim_meta_thread_id(const char *acct, const char *customer, char *buf,
                                      size_t len) {
  snprintf(buf, len, "t_%s_%s", acct ? acct : "0", customer ? customer : "0");
}

/* "t_<account>_<customer>" into its parts. */
static int parley_sim_meta_parse_thread(const char *id, char *acct, char *customer, size_t len) {
  const char *us;
  if (strncmp(id, "t_", 2) || !(us = strchr(id + 2, '_'))) return -1;
  snprintf(acct, len, "%.*s", (int)(us - id - 2), id + 2);
  snprintf(customer, len, "%s", us + 1);
  return *acct && *customer ? 0 : -1;
}

/* Messages of one thread, newest first. */
static json_t *parley_sim_meta_thread(parley_sim_t *sim, parley_sim_meta_t *m, const char *acct,
                                      const char *customer) {
  parley_sim_filter_t f = {.platform = m->platform, .type = "message", .account_id = acct};
  json_t *all = parley_sim_items(sim, &f), *out = json_array(), *msg;
  size_t i;
  json_array_foreach(all, i, msg) {
    const char *c = parley_sim_meta_customer(msg);
    if (c && !strcmp(c, customer)) json_array_append(out, msg);
  }
  json_decref(all);
  return parley_sim_meta_sort(out, 0);
}

/* A participant: Messenger adds a (fake) email, Instagram has usernames. */
static json_t *parley_sim_meta_party(parley_sim_t *sim, parley_sim_meta_t *m, const char *id) {
  json_t *u = parley_sim_meta_user(sim, m->platform, id, m->instagram);
  char email[160];
  snprintf(email, sizeof email, "%s@facebook.com", id ? id : "0");
  if (u && !m->instagram) json_object_set_new(u, "email", json_string(email));
  return u;
}

json_t *parley_sim_meta_render_message(parley_sim_t *sim, json_t *item,
                                       const parley_sim_meta_field_t *sel, void *data) {
  parley_sim_meta_t *m = data;
  char t[32];
  const char *text = parley_sim_meta_str(item, "text");
  json_t *o = json_pack("{s:s,s:s,s:s}", "id", parley_sim_meta_str(item, "id"), "message",
                        text ? text : "", "created_time",
                        parley_sim_meta_time(parley_sim_meta_ms(item), t, sizeof t));
  json_t *from = parley_sim_meta_party(sim, m, parley_sim_meta_str(item, "author_id"));
  json_t *to = parley_sim_meta_party(sim, m, parley_sim_meta_str(item, "recipient_id"));
  if (from) json_object_set_new(o, "from", from);
  if (to) json_object_set_new(o, "to", json_pack("{s:[o]}", "data", to));
  return parley_sim_meta_select(o, sel, "id,created_time");
}

json_t *parley_sim_meta_edge(parley_sim_t *sim, json_t *items, const parley_sim_meta_field_t *f,
                             parley_sim_meta_render_fn render, void *data) {
  const char *lim = parley_sim_meta_field_mod(f, "limit");
  parley_sim_meta_pager_t p = {.limit = lim ? atol(lim) : 25, .sel = f->child, .render = render,
                               .data = data};
  /* .limit(0) asks for the summary alone. */
  json_t *page = lim && atol(lim) == 0 ? json_pack("{s:[],s:{}}", "data", "paging")
                                       : parley_sim_meta_page(sim, items, &p, NULL);
  const char *sum = parley_sim_meta_field_mod(f, "summary");
  if (page && sum && !strcmp(sum, "true"))
    json_object_set_new(page, "summary",
                        json_pack("{s:s,s:I,s:b}", "order", "chronological", "total_count",
                                  (json_int_t)json_array_size(items), "can_comment", 1));
  json_decref(items);
  return page;
}

/* A conversation, rendered from its newest message. */
static json_t *parley_sim_meta_render_conversation(parley_sim_t *sim, json_t *newest,
                                                   const parley_sim_meta_field_t *sel,
                                                   void *data) {
  parley_sim_meta_t *m = data;
  char t[32], id[300];
  const char *acct = parley_sim_meta_str(newest, "account_id");
  const char *customer = parley_sim_meta_customer(newest);
  json_t *msgs = parley_sim_meta_thread(sim, m, acct, customer);
  parley_sim_meta_thread_id(acct, customer, id, sizeof id);
  json_t *parts = json_array();
  json_t *pc = parley_sim_meta_party(sim, m, customer), *pa = parley_sim_meta_party(sim, m, acct);
  if (pc) json_array_append_new(parts, pc);
  if (pa) json_array_append_new(parts, pa);
  json_t *o = json_pack("{s:s,s:s,s:{s:o},s:I,s:i}", "id", id, "updated_time",
                        parley_sim_meta_time(parley_sim_meta_ms(newest), t, sizeof t),
                        "participants", "data", parts, "message_count",
                        (json_int_t)json_array_size(msgs), "unread_count", 0);
  const parley_sim_meta_field_t *f = parley_sim_meta_field_find(sel, "messages");
  if (f) {
    json_t *page = parley_sim_meta_edge(sim, json_incref(msgs), f,
                                        parley_sim_meta_render_message, m);
    if (page) json_object_set_new(o, "messages", page);
  }
  json_decref(msgs);
  return parley_sim_meta_select(o, sel, "id,updated_time");
}

void parley_sim_meta_get_conversations(parley_sim_meta_req_t *r, const char *platform_param) {
  char platform[32], user[128];
  if (parley_httpd_req_query_param(r->req, "platform", platform, sizeof platform) >= 0 &&
      strcmp(platform, platform_param)) {
    char msg[160];
    snprintf(msg, sizeof msg, "(#100) platform must be '%s' under /%s", platform_param,
             r->m->platform);
    parley_sim_meta_fail(r, 100, 0, msg);
    return;
  }
  int one = parley_httpd_req_query_param(r->req, "user_id", user, sizeof user) >= 0;
  parley_sim_filter_t f = {.platform = r->m->platform, .type = "message", .account_id = r->node};
  json_t *msgs = parley_sim_meta_sort(parley_sim_items(r->sim, &f), 0);
  json_t *seen = json_object(), *threads = json_array(), *msg;
  size_t i;
  json_array_foreach(msgs, i, msg) {
    const char *c = parley_sim_meta_customer(msg);
    if (!c || (one && strcmp(c, user)) || json_object_get(seen, c)) continue;
    json_object_set_new(seen, c, json_true());
    json_array_append(threads, msg); /* newest message of each thread */
  }
  json_decref(seen);
  json_decref(msgs);
  parley_sim_meta_respond_page(r->sim, r->req, threads, r->fields,
                               parley_sim_meta_render_conversation, r->m, &r->h);
}

int parley_sim_meta_get_thread(parley_sim_meta_req_t *r) {
  char acct[128], customer[128];
  if (parley_sim_meta_parse_thread(r->node, acct, customer, sizeof acct) != 0) return 0;
  json_t *msgs = parley_sim_meta_thread(r->sim, r->m, acct, customer);
  if (!strcmp(r->edge, "messages")) {
    parley_sim_meta_respond_page(r->sim, r->req, msgs, r->fields, parley_sim_meta_render_message,
                                 r->m, &r->h);
    return 1;
  }
  json_t *newest = json_array_get(msgs, 0);
  if (!newest || r->edge[0]) parley_sim_meta_no_node(r);
  else parley_sim_meta_ok(r, parley_sim_meta_render_conversation(r->sim, newest, r->fields, r->m));
  json_decref(msgs);
  return 1;
}

/* The newest inbound message or postback of customer, or NULL. */
static json_t *parley_sim_meta_last_inbound(parley_sim_t *sim, parley_sim_meta_t *m,
                                            const char *acct, const char *customer) {
  parley_sim_filter_t f = {.platform = m->platform, .account_id = acct, .author_id = customer};
  json_t *all = parley_sim_meta_sort(parley_sim_items(sim, &f), 0), *it, *found = NULL;
  size_t i;
  json_array_foreach(all, i, it) {
    if (parley_sim_meta_is(it, "message") || parley_sim_meta_is(it, "postback")) {
      found = it;
      break;
    }
  }
  json_decref(all);
  return found; /* the store keeps it alive */
}

/* Within the messaging window? 0, or answers the documented error. */
static int parley_sim_meta_window(parley_sim_meta_req_t *r, const char *acct,
                                  const char *customer) {
  char type[32] = "", tag[64] = "";
  json_t *last = parley_sim_meta_last_inbound(r->sim, r->m, acct, customer);
  uint64_t window = r->m->window_ms;
  parley_sim_meta_param(r->req, "messaging_type", type, sizeof type);
  parley_sim_meta_param(r->req, "tag", tag, sizeof tag);
  if (!strcmp(type, "MESSAGE_TAG") && !strcmp(tag, "HUMAN_AGENT"))
    window = PARLEY_SIM_META_HUMAN_AGENT_MS;
  if (!last && !parley_sim_user_find(r->sim, r->m->platform, customer)) {
    parley_sim_meta_fail(r, 100, 2018001, "(#100) No matching user found");
    return -1;
  }
  if (!last || parley_sim_now_ms() - parley_sim_meta_ms(last) > window) {
    parley_sim_meta_fail(r, 10, r->m->window_subcode,
                         "(#10) This message is sent outside of allowed window.");
    return -1;
  }
  return 0;
}

/* Store the brand's message (its webhook echo follows), record it, answer. */
static void parley_sim_meta_send_store(parley_sim_meta_req_t *r, const char *acct,
                                       const char *customer, const char *text,
                                       const char *action, const char *in_reply_to) {
  char seq[32], mid[48], conv[300];
  parley_error_t err = {0};
  snprintf(mid, sizeof mid, "m_%s", parley_sim_next_id(r->sim, r->m->platform, seq, sizeof seq));
  parley_sim_meta_thread_id(acct, customer, conv, sizeof conv);
  json_t *item = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "platform", r->m->platform,
                           "type", "message", "id", mid, "author_id", acct, "recipient_id",
                           customer, "account_id", acct, "conversation_id", conv, "text", text,
                           "from_brand", 1);
  if (!parley_sim_item_add(r->sim, item, &err)) {
    parley_sim_meta_error(r->sim, r->req, 500, 1, 0, "OAuthException", err.message);
    return;
  }
  json_t *rec = json_pack("{s:s,s:s,s:s,s:s}", "action", action, "recipient_id", customer, "id",
                          mid, "text", text);
  if (in_reply_to) json_object_set_new(rec, "in_reply_to", json_string(in_reply_to));
  parley_sim_record(r->sim, r->m->platform, rec);
  parley_sim_meta_ok(r, json_pack("{s:s,s:s}", "recipient_id", customer, "message_id", mid));
}

static void parley_sim_meta_private_reply(parley_sim_meta_req_t *r, const char *acct,
                                          const char *comment_id, const char *text) {
  json_t *c = parley_sim_meta_find(r->sim, r->m, comment_id);
  const char *author = parley_sim_meta_str(c, "author_id");
  if (!c || !parley_sim_meta_is_comment(c) || !author) {
    parley_sim_meta_fail(r, 100, 33, "(#100) recipient.comment_id does not name a comment");
  } else if (json_is_true(json_object_get(c, "from_brand"))) {
    parley_sim_meta_fail(r, 10, 0, "(#10) Cannot send a private reply to the account's own comment");
  } else if (json_is_true(json_object_get(c, "meta_private_replied"))) {
    parley_sim_meta_fail(r, 10900, 0, "Activity already replied to");
  } else if (parley_sim_now_ms() - parley_sim_meta_ms(c) > PARLEY_SIM_META_PRIVATE_REPLY_MS) {
    parley_sim_meta_fail(r, 10, r->m->window_subcode,
                         "(#10) This message is sent outside of allowed window.");
  } else {
    json_object_set_new(c, "meta_private_replied", json_true());
    parley_sim_meta_send_store(r, acct, author, text, "private_reply", comment_id);
  }
}

int parley_sim_meta_can_reply_privately(json_t *comment) {
  return !json_is_true(json_object_get(comment, "from_brand")) &&
         !json_is_true(json_object_get(comment, "meta_private_replied")) &&
         parley_sim_now_ms() - parley_sim_meta_ms(comment) <= PARLEY_SIM_META_PRIVATE_REPLY_MS;
}

void parley_sim_meta_send(parley_sim_meta_req_t *r, const char *acct) {
  json_t *rcpt = parley_sim_meta_param_json(r->req, "recipient");
  json_t *msg = parley_sim_meta_param_json(r->req, "message");
  const char *id = parley_sim_meta_str(rcpt, "id"), *cid = parley_sim_meta_str(rcpt, "comment_id");
  const char *text = parley_sim_meta_str(msg, "text");
  char action[32], limit[128];
  snprintf(limit, sizeof limit,
           "(#100) Length of param message[text] must be less than or equal to %zu",
           r->m->text_max);
  if (!id && !cid) {
    parley_sim_meta_fail(r, 100, 0, "(#100) param recipient must be non-empty.");
  } else if (!text && parley_sim_meta_param(r->req, "sender_action", action, sizeof action) > 0) {
    parley_sim_meta_ok(r, json_pack("{s:s}", "recipient_id", id ? id : cid));
  } else if (!text || !*text) {
    parley_sim_meta_fail(r, 100, 0, "(#100) param message[text] must be non-empty.");
  } else if (strlen(text) > r->m->text_max) {
    parley_sim_meta_fail(r, 100, 0, limit);
  } else if (cid) {
    parley_sim_meta_private_reply(r, acct, cid, text);
  } else if (parley_sim_meta_window(r, acct, id) == 0) {
    parley_sim_meta_send_store(r, acct, id, text, "dm", NULL);
  }
  json_decref(rcpt);
  json_decref(msg);
}

/* Messenger-style events: sender/recipient/timestamp plus one payload. */
static void parley_sim_meta_messaging(parley_sim_t *sim, parley_sim_meta_t *m, json_t *item,
                                      const char *key, json_t *payload) {
  const char *acct = parley_sim_meta_str(item, "account_id");
  int brand = json_is_true(json_object_get(item, "from_brand"));
  const char *customer = parley_sim_meta_customer(item);
  if (!customer) customer = "0";
  json_t *ev = json_pack("{s:{s:s},s:{s:s},s:I,s:o}", "sender", "id", brand ? acct : customer,
                         "recipient", "id", brand ? customer : acct, "timestamp",
                         (json_int_t)parley_sim_meta_ms(item), key, payload);
  parley_sim_meta_webhook(sim, m, acct, "messaging", ev);
}

int parley_sim_meta_is_messaging(parley_sim_t *sim, parley_sim_meta_t *m, json_t *item) {
  if (parley_sim_meta_is(item, "message") || parley_sim_meta_is(item, "postback")) return 1;
  json_t *target = parley_sim_meta_find(sim, m, parley_sim_meta_str(item, "parent_id"));
  return parley_sim_meta_is(item, "reaction") && (!target || parley_sim_meta_is(target, "message"));
}

void parley_sim_meta_on_messaging_item(parley_sim_t *sim, parley_sim_meta_t *m, json_t *item) {
  const char *text = parley_sim_meta_str(item, "text"), *id = parley_sim_meta_str(item, "id");
  if (parley_sim_meta_is(item, "message")) {
    json_t *msg = json_pack("{s:s}", "mid", id);
    if (text) json_object_set_new(msg, "text", json_string(text));
    /* The brand's own messages come back as echoes (sent here or in the app). */
    if (json_is_true(json_object_get(item, "from_brand"))) {
      json_object_set_new(msg, "is_echo", json_true());
      json_object_set_new(msg, "app_id", json_integer(1000000001));
    }
    parley_sim_meta_messaging(sim, m, item, "message", msg);
  } else if (parley_sim_meta_is(item, "postback")) {
    const char *payload = parley_sim_meta_str(item, "payload");
    parley_sim_meta_messaging(sim, m, item, "postback",
                              json_pack("{s:s,s:s,s:s}", "mid", id, "title", text ? text : "",
                                        "payload", payload ? payload : ""));
  } else {
    const char *reaction = parley_sim_meta_str(item, "reaction");
    const char *mid = parley_sim_meta_str(item, "parent_id");
    parley_sim_meta_messaging(sim, m, item, "reaction",
                              json_pack("{s:s,s:s,s:s,s:s}", "mid", mid ? mid : "", "action",
                                        "react", "emoji", "\xe2\x9d\xa4", "reaction",
                                        reaction ? reaction : "love"));
  }
}

/* ---- webhooks ---------------------------------------------------------------- */

static void parley_sim_meta_post(parley_sim_t *sim, parley_sim_meta_t *m, const char *body) {
  char sig256[80], sig1[48];
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  size_t len = strlen(body);
  parley_sim_hmac_sha256_hex(m->app_secret, body, len, sig256, sizeof sig256);
  /* The legacy SHA-1 header Meta still sends next to the SHA-256 one. */
  HMAC(EVP_sha1(), m->app_secret, (int)strlen(m->app_secret), (const unsigned char *)body, len,
       md, &mdlen);
  for (unsigned i = 0; i < mdlen && i < 20; i++) snprintf(sig1 + 2 * i, 3, "%02x", md[i]);
  char h256[128], h1[96];
  snprintf(h256, sizeof h256, "X-Hub-Signature-256: sha256=%s", sig256);
  snprintf(h1, sizeof h1, "X-Hub-Signature: sha1=%s", sig1);
  const char *headers[] = {"Content-Type: application/json", h256, h1, NULL};
  int times = m->duplicates ? 2 : 1;
  for (int i = 0; i < times; i++) parley_sim_webhook_post(sim, m->platform, body, len, headers);
}

static void parley_sim_meta_flush(parley_sim_t *sim, parley_sim_meta_t *m) {
  size_t i;
  json_t *b;
  json_array_foreach(m->waiting, i, b) parley_sim_meta_post(sim, m, json_string_value(b));
  json_array_clear(m->waiting);
}

typedef struct parley_sim_meta_verify_ctx {
  parley_sim_meta_t *m;
  char challenge[24];
} parley_sim_meta_verify_ctx_t;

static void parley_sim_meta_verified(parley_sim_t *sim, long status, const char *body,
                                     size_t len, void *data) {
  parley_sim_meta_verify_ctx_t *ctx = data;
  parley_sim_meta_t *m = ctx->m;
  size_t clen = strlen(ctx->challenge);
  /* An answer to an older verification (the target changed meanwhile). */
  int current = !strcmp(ctx->challenge, m->challenge);
  int ok = status == 200 && len == clen && !memcmp(body, ctx->challenge, clen);
  free(ctx);
  if (!current) return;
  m->verify = ok ? PARLEY_SIM_META_VERIFIED : PARLEY_SIM_META_REFUSED;
  parley_sim_webhook_log(sim, m->platform,
                         json_pack("{s:s,s:b,s:s}", "kind", "verify_result", "ok", ok, "reason",
                                   ok ? "challenge echoed"
                                      : "the target did not answer 200 with hub.challenge"));
  if (ok) {
    parley_sim_meta_flush(sim, m);
  } else {
    parley_sim_log(sim, "%s: webhook target failed the hub.challenge verification; %zu "
                        "waiting deliveries dropped", m->platform, json_array_size(m->waiting));
    json_array_clear(m->waiting);
  }
}

void parley_sim_meta_verify_target(parley_sim_t *sim, parley_sim_meta_t *m, const char *url) {
  char full[2048];
  parley_sim_meta_verify_ctx_t *ctx = calloc(1, sizeof *ctx);
  if (!ctx) return;
  ctx->m = m;
  snprintf(ctx->challenge, sizeof ctx->challenge, "%llu",
           (unsigned long long)(parley_sim_random(sim) % 9000000000ULL + 1000000000ULL));
  snprintf(m->challenge, sizeof m->challenge, "%s", ctx->challenge);
  m->verify = PARLEY_SIM_META_VERIFYING;
  /* verify_token is a test value of the scenario; it goes in the URL as
   * Meta sends it, and the URL is logged by the framework like Meta's. */
  snprintf(full, sizeof full, "%s%shub.mode=subscribe&hub.challenge=%s&hub.verify_token=%s", url,
           strchr(url, '?') ? "&" : "?", ctx->challenge, m->verify_token);
  if (parley_sim_webhook_get(sim, m->platform, full, parley_sim_meta_verified, ctx) != 0) {
    m->verify = PARLEY_SIM_META_REFUSED;
    free(ctx);
  }
}

void parley_sim_meta_webhook(parley_sim_t *sim, parley_sim_meta_t *m, const char *entry_id,
                             const char *list_key, json_t *event) {
  uint64_t now = parley_sim_event_ms(sim);
  int messaging = !strcmp(list_key, "messaging");
  json_t *entry = json_pack("{s:s,s:I}", "id", entry_id ? entry_id : "0", "time",
                            (json_int_t)(messaging ? now : now / 1000u));
  json_object_set_new(entry, list_key, json_pack("[o]", event));
  json_t *env = json_pack("{s:s,s:[o]}", "object", m->object, "entry", entry);
  if (!parley_sim_webhook_target(sim, m->platform) || !env) {
    json_decref(env);
    return;
  }
  /* Meta escapes "/" and non-ASCII: receivers must hash the raw bytes. */
  char *body = json_dumps(env, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ESCAPE_SLASH);
  json_decref(env);
  if (!body) return;
  if (m->verify == PARLEY_SIM_META_VERIFIED) parley_sim_meta_post(sim, m, body);
  else if (m->verify != PARLEY_SIM_META_REFUSED) json_array_append_new(m->waiting, json_string(body));
  else parley_sim_webhook_log(sim, m->platform,
                              json_pack("{s:s,s:b,s:s}", "kind", "delivery", "ok", 0, "skipped",
                                        "target failed the hub.challenge verification"));
  free(body);
}
