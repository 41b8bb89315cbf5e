/* parley-sim — answering requests, with the body-level faults applied in
 * one place (truncated, invalid UTF-8, duplicate and out-of-order items,
 * oversized bodies), and request-body parsing helpers. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

#define PARLEY_SIM_OVERSIZED_BYTES (21u << 20) /* > the 16-20 MiB client limits */
#define PARLEY_SIM_OVERSIZED_CHUNK (1u << 20)

/* Take the request's fault and forget the context (answering ends it). */
static parley_sim_fault_t parley_sim_take_ctx(parley_httpd_req_t *req) {
  parley_sim_fault_t f = {PARLEY_SIM_FAULT_NONE, 0, 0};
  parley_sim_reqctx_t *ctx = parley_httpd_req_data(req);
  if (ctx) {
    f = ctx->fault;
    parley_sim_reqctx_release(ctx);
  }
  return f;
}

parley_sim_fault_t parley_sim_req_fault(parley_httpd_req_t *req) {
  parley_sim_fault_t none = {PARLEY_SIM_FAULT_NONE, 0, 0};
  parley_sim_reqctx_t *ctx = parley_httpd_req_data(req);
  return ctx ? ctx->fault : none;
}

/* The page: first array member at the top level, then one level down. */
static json_t *parley_sim_find_page(json_t *body) {
  const char *k;
  json_t *v;
  if (json_is_array(body)) return body;
  json_object_foreach(body, k, v) if (json_is_array(v)) return v;
  json_object_foreach(body, k, v) {
    const char *k2;
    json_t *v2;
    if (!json_is_object(v)) continue;
    json_object_foreach(v, k2, v2) if (json_is_array(v2)) return v2;
  }
  return NULL;
}

static void parley_sim_shuffle(parley_sim_t *sim, json_t *page) {
  size_t n = json_array_size(page);
  if (n < 2) return;
  json_t *first = json_incref(json_array_get(page, 0));
  for (size_t i = n - 1; i > 0; i--) {
    size_t j = (size_t)(parley_sim_random(sim) % (i + 1));
    json_t *a = json_incref(json_array_get(page, i));
    json_array_set(page, i, json_array_get(page, j));
    json_array_set_new(page, j, a);
  }
  /* A shuffle may leave the order as it was: then swap the first two, so
   * the fault always shows. */
  if (json_array_get(page, 0) == first) {
    json_t *b = json_incref(json_array_get(page, 1));
    json_array_set(page, 1, first);
    json_array_set_new(page, 0, b);
  }
  json_decref(first);
}

static void parley_sim_apply_page_fault(parley_sim_t *sim, parley_sim_fault_kind_t kind,
                                        json_t *body) {
  json_t *page = parley_sim_find_page(body);
  if (!page || json_array_size(page) == 0) return;
  if (kind == PARLEY_SIM_FAULT_DUPLICATE)
    json_array_insert(page, 1, json_array_get(page, 0));
  else if (kind == PARLEY_SIM_FAULT_OUT_OF_ORDER)
    parley_sim_shuffle(sim, page);
}

/* Insert an invalid UTF-8 sequence (a lone continuation byte and an
 * overlong lead) inside the first JSON string value. */
static char *parley_sim_break_utf8(const char *s, size_t *len) {
  static const char bad[] = "\xc0\xaf\xff";
  const char *at = strstr(s, ":\"");
  size_t pos = at ? (size_t)(at - s) + 2 : 0;
  size_t n = strlen(s), blen = sizeof bad - 1;
  char *out = malloc(n + blen + 1);
  if (!out) return NULL;
  memcpy(out, s, pos);
  memcpy(out + pos, bad, blen);
  memcpy(out + pos + blen, s + pos, n - pos + 1);
  *len = n + blen;
  return out;
}

/* An oversized body is written a chunk per loop turn: the server queues at
 * most a few MiB per stream, and a real slow client would see it so too. */
typedef struct parley_sim_oversized {
  parley_httpd_req_t *req;
  parley_sim_timer_t *timer;
  size_t written;
  char *chunk;
} parley_sim_oversized_t;

static void parley_sim_oversized_done(parley_sim_oversized_t *o) {
  parley_sim_timer_stop(o->timer);
  parley_httpd_stream_end(o->req);
  free(o->chunk);
  free(o);
}

static void parley_sim_oversized_closed(parley_httpd_req_t *r, void *data) {
  parley_sim_oversized_done(data);
}

static void parley_sim_oversized_tick(parley_sim_t *sim, parley_sim_timer_t *t, void *data) {
  parley_sim_oversized_t *o = data;
  while (o->written < PARLEY_SIM_OVERSIZED_BYTES) {
    int rc = parley_httpd_stream_write(o->req, o->chunk, PARLEY_SIM_OVERSIZED_CHUNK);
    if (rc == PARLEY_EBUSY) return; /* the client reads slower: next tick */
    if (rc != 0) break;
    o->written += PARLEY_SIM_OVERSIZED_CHUNK;
  }
  parley_httpd_stream_write(o->req, "\"end\"]}", 7);
  parley_sim_oversized_done(o);
}

static void parley_sim_respond_oversized(parley_sim_t *sim, parley_httpd_req_t *req, int status,
                                         const char *ctype, const parley_sim_headers_t *headers) {
  parley_sim_oversized_t *o = calloc(1, sizeof *o);
  char *chunk = malloc(PARLEY_SIM_OVERSIZED_CHUNK);
  if (!o || !chunk) {
    free(o);
    free(chunk);
    parley_httpd_respond(req, 503, "text/plain", "out of memory", 13, NULL);
    return;
  }
  o->req = req;
  o->chunk = chunk;
  /* {"data":["xxxx...","xxxx...", ... ,"end"]}: valid JSON, just too big. */
  memset(chunk, 'x', PARLEY_SIM_OVERSIZED_CHUNK);
  chunk[0] = '"';
  chunk[PARLEY_SIM_OVERSIZED_CHUNK - 2] = '"';
  chunk[PARLEY_SIM_OVERSIZED_CHUNK - 1] = ',';
  parley_httpd_stream_start(req, status, ctype ? ctype : "application/json",
                            headers ? parley_sim_headers_list(headers) : NULL,
                            parley_sim_oversized_closed, o);
  parley_httpd_stream_write(req, "{\"data\":[", 9);
  o->timer = parley_sim_timer_start(sim, 1, 1, parley_sim_oversized_tick, o);
  if (!o->timer) parley_sim_oversized_done(o);
}

void parley_sim_respond_json(parley_sim_t *sim, parley_httpd_req_t *req, int status,
                             json_t *body, const char *ctype,
                             const parley_sim_headers_t *headers) {
  parley_sim_fault_t f = parley_sim_take_ctx(req);
  const char *ct = ctype ? ctype : "application/json; charset=utf-8";
  const char *const *hl = headers ? parley_sim_headers_list(headers) : NULL;
  if (f.kind == PARLEY_SIM_FAULT_OVERSIZED) {
    json_decref(body);
    parley_sim_respond_oversized(sim, req, status, ct, headers);
    return;
  }
  if (!body) {
    parley_httpd_respond(req, status, ct, "", 0, hl);
    return;
  }
  if (f.kind == PARLEY_SIM_FAULT_DUPLICATE || f.kind == PARLEY_SIM_FAULT_OUT_OF_ORDER)
    parley_sim_apply_page_fault(sim, f.kind, body);
  char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(body);
  if (!text) {
    parley_httpd_respond(req, 500, "text/plain", "cannot encode JSON", 18, NULL);
    return;
  }
  size_t len = strlen(text);
  if (f.kind == PARLEY_SIM_FAULT_TRUNCATED) {
    len /= 2;
  } else if (f.kind == PARLEY_SIM_FAULT_INVALID_UTF8) {
    char *broken = parley_sim_break_utf8(text, &len);
    if (broken) {
      free(text);
      text = broken;
    }
  }
  parley_httpd_respond(req, status, ct, text, len, hl);
  free(text);
}

void parley_sim_respond(parley_sim_t *sim, parley_httpd_req_t *req, int status,
                        const char *ctype, const char *body, size_t len,
                        const parley_sim_headers_t *headers) {
  parley_sim_fault_t f = parley_sim_take_ctx(req);
  if (f.kind == PARLEY_SIM_FAULT_OVERSIZED) {
    parley_sim_respond_oversized(sim, req, status, ctype, headers);
    return;
  }
  parley_httpd_respond(req, status, ctype ? ctype : "text/plain", body ? body : "", len,
                       headers ? parley_sim_headers_list(headers) : NULL);
}

void parley_sim_respond_error(parley_sim_t *sim, parley_httpd_req_t *req, const char *platform,
                              int status) {
  const parley_sim_platform_t *p = parley_sim_platform(sim, platform);
  parley_sim_headers_t h = {0};
  const char *ctype = NULL;
  json_t *body = NULL;
  parley_sim_take_ctx(req); /* an error answer gets no further faults */
  if (p && p->error_body) {
    body = p->error_body(sim, status, &h, &ctype);
  } else {
    body = json_pack("{s:i,s:s}", "status", status, "error", "simulated error");
  }
  parley_sim_respond_json(sim, req, status, body, ctype, &h);
  parley_sim_headers_free(&h);
}

void parley_sim_stream_start(parley_sim_t *sim, parley_httpd_req_t *req, int status,
                             const char *ctype, const parley_sim_headers_t *headers,
                             void (*on_close)(parley_httpd_req_t *r, void *data), void *data) {
  parley_sim_take_ctx(req);
  parley_httpd_stream_start(req, status, ctype, headers ? parley_sim_headers_list(headers) : NULL,
                            on_close, data);
}

json_t *parley_sim_req_json(parley_httpd_req_t *req, parley_error_t *err) {
  size_t len = 0;
  const char *body = parley_httpd_req_body(req, &len);
  json_error_t je;
  if (!body || len == 0) {
    parley_error_set(err, PARLEY_EPARSE, "request body is empty, expected a JSON object");
    return NULL;
  }
  json_t *j = json_loadb(body, len, 0, &je);
  if (!j) {
    parley_error_set(err, PARLEY_EPARSE, "request body is not JSON: line %d column %d: %s",
                     je.line, je.column, je.text);
    return NULL;
  }
  if (!json_is_object(j)) {
    json_decref(j);
    parley_error_set(err, PARLEY_EPARSE, "request body must be a JSON object");
    return NULL;
  }
  return j;
}

static int parley_sim_hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = tolower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Decode application/x-www-form-urlencoded value s[0..n) into buf. */
static int parley_sim_form_decode(const char *s, size_t n, char *buf, size_t buflen) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    int c = (unsigned char)s[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%') {
      int hi = i + 1 < n ? parley_sim_hexval(s[i + 1]) : -1;
      int lo = i + 2 < n ? parley_sim_hexval(s[i + 2]) : -1;
      if (hi >= 0 && lo >= 0) {
        c = hi * 16 + lo;
        i += 2;
      }
    }
    if (o + 1 >= buflen) return PARLEY_ENOBUFS;
    buf[o++] = (char)c;
  }
  buf[o] = '\0';
  return (int)o;
}

int parley_sim_form_param(const char *body, size_t len, const char *name, char *buf,
                          size_t buflen) {
  size_t nlen = strlen(name);
  size_t i = 0;
  if (!body || buflen == 0) return PARLEY_ENOENT;
  while (i < len) {
    size_t end = i;
    while (end < len && body[end] != '&') end++;
    const char *eq = memchr(body + i, '=', end - i);
    size_t klen = eq ? (size_t)(eq - (body + i)) : end - i;
    if (klen == nlen && !memcmp(body + i, name, nlen)) {
      const char *v = eq ? eq + 1 : body + end;
      return parley_sim_form_decode(v, (size_t)(body + end - v), buf, buflen);
    }
    i = end + 1;
  }
  return PARLEY_ENOENT;
}
