/* parley fuzzing — the test host table (see fuzz_host.h for what it checks).
 *
 * The opaque ABI types are the host's own here: parley_instance_t is a
 * fuzz_inst_t, parley_webhook_t a fuzz_msg_t, parley_timer_t and
 * parley_http_t are defined below. Nothing of the router is used; the
 * plugin is loaded and its options bound by the core's own loader and
 * option binder (core/loader.c, core/options.c), as parleyd does. */
#include "fuzz_host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "loader.h"
#include "options.h"
#include "parley/sdk/query.h"

#define FUZZ_MONO_START_MS 1000000ULL
#define FUZZ_DRAIN_STEPS 4096 /* stop() must drain within this many host steps */
#define FUZZ_LOG_MAX 4096

struct parley_timer {
  fuzz_inst_t *fi;
  uint64_t due, repeat;
  parley_timer_cb cb;
  void *data;
  int active; /* armed: fires at due */
  int dead;   /* timer_stop()ed: freed at the next sweep */
  struct parley_timer *next;
};

struct parley_http {
  fuzz_inst_t *fi;
  char *method, *url;
  parley_http_cb cb;
  parley_stream_cb on_chunk;
  void *data;
  int canceled, done;
  const fuzz_msg_t *resp; /* during the callbacks */
  struct parley_http *next;
};

typedef struct fuzz_commit {
  parley_commit_cb cb;
  void *data;
} fuzz_commit_t;

typedef struct fuzz_kv {
  char *key, *value;
} fuzz_kv_t;

struct fuzz_inst {
  void *config, *state;
  int started, stopping, stopped_calls;
  uint64_t now;
  struct parley_timer *timers;
  struct parley_http *https;
  fuzz_commit_t *commits;
  size_t ncommits, capcommits;
  fuzz_kv_t *cps;
  size_t ncps;
  size_t events;
  int healthy;
  const uint8_t *data; /* the input, for the secret checks */
  size_t size;
};

static const parley_connector_t *g_desc;
static parley_plugin_t *g_plugin;
static fuzz_inst_t *g_current;

static fuzz_inst_t *FI(parley_instance_t *inst) { return (fuzz_inst_t *)(void *)inst; }
static parley_instance_t *INST(fuzz_inst_t *fi) { return (parley_instance_t *)(void *)fi; }

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p)
    abort();
  return p;
}

static char *xstrdup(const char *s) {
  char *d = strdup(s ? s : "");
  if (!d)
    abort();
  return d;
}

/* ------------------------------------------------------------------ */
/* Messages split out of the input                                     */
/* ------------------------------------------------------------------ */

static char *next_line(char **p, char *end) {
  char *s = *p;
  if (s >= end)
    return NULL;
  char *nl = memchr(s, '\n', (size_t)(end - s));
  char *e = nl ? nl : end;
  if (e > s && e[-1] == '\r')
    e[-1] = '\0';
  *e = '\0';
  *p = nl ? nl + 1 : end;
  return s;
}

void fuzz_msg_parse(fuzz_msg_t *m, const uint8_t *data, size_t size, int is_response) {
  memset(m, 0, sizeof *m);
  m->buf = fuzz_strndup(data, size);
  char *p = m->buf, *end = m->buf + size;
  char *line = next_line(&p, end);
  m->line = line ? line : "";
  m->method = m->path = m->query = m->match = "";
  m->status = 200;
  if (line) {
    char *sp = strchr(line, ' ');
    if (sp)
      *sp++ = '\0';
    if (is_response) {
      char *e;
      long st = strtol(line, &e, 10);
      if (e != line && *e == '\0')
        m->status = st;
      m->match = sp ? sp : "";
    } else {
      m->method = line;
      if (sp) {
        char *q = strchr(sp, '?');
        if (q)
          *q++ = '\0';
        m->path = sp;
        m->query = q ? q : "";
      }
    }
  }
  for (char *h; (h = next_line(&p, end)) && *h;) {
    char *colon = strchr(h, ':');
    if (!colon || m->nheaders >= FUZZ_MAX_HEADERS)
      continue;
    *colon = '\0';
    char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
      v++;
    m->headers[m->nheaders++] = (fuzz_header_t){h, v};
  }
  m->body = p;
  m->body_len = (size_t)(end - p);
}

const char *fuzz_msg_header(const fuzz_msg_t *m, const char *name) {
  for (size_t i = 0; i < m->nheaders; i++)
    if (strcasecmp(m->headers[i].name, name) == 0)
      return m->headers[i].value;
  return NULL;
}

void fuzz_msg_add_header(fuzz_msg_t *m, const char *name, const char *value) {
  if (m->nheaders >= FUZZ_MAX_HEADERS || m->nextra >= sizeof m->extra / sizeof *m->extra)
    return;
  char *v = xstrdup(value);
  m->extra[m->nextra++] = v;
  m->headers[m->nheaders++] = (fuzz_header_t){name, v};
}

void fuzz_msg_free(fuzz_msg_t *m) {
  for (size_t i = 0; i < m->nextra; i++)
    free(m->extra[i]);
  free(m->buf);
  memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */
/* ------------------------------------------------------------------ */

static void no_secret(const fuzz_inst_t *fi, const char *s, size_t len, const char *where) {
  if (!s || len < strlen(FUZZ_SECRET))
    return;
  char *copy = fuzz_strndup((const uint8_t *)s, len);
  int leaks = strstr(copy, FUZZ_SECRET) != NULL;
  if (leaks && !fuzz_contains(fi->data, fi->size, FUZZ_SECRET))
    fuzz_fail("a secret of the instance appears in %s: %s", where, copy);
  free(copy);
}

/* What the core's metrics accept as a name ([a-zA-Z_:][a-zA-Z0-9_:]*). */
static void metric_name(const fuzz_inst_t *fi, const char *name) {
  fuzz_require(name && *name, "empty metric name");
  for (const char *c = name; *c; c++) {
    int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_' || *c == ':' ||
             (c != name && *c >= '0' && *c <= '9');
    fuzz_require(ok, "metric name \"%s\" is not a Prometheus name", name);
  }
  no_secret(fi, name, strlen(name), "a metric name");
}

/* ------------------------------------------------------------------ */
/* The host table                                                      */
/* ------------------------------------------------------------------ */

static void h_log(parley_instance_t *inst, parley_log_level_t level, const char *fmt, ...) {
  char line[FUZZ_LOG_MAX];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fuzz_require(n >= 0, "a log format failed");
  fuzz_require(level >= PARLEY_LOG_ERROR && level <= PARLEY_LOG_TRACE, "bad log level %d",
               (int)level);
  no_secret(FI(inst), line, strlen(line), "a log line");
  if (getenv("FUZZ_HOST_LOG"))
    fprintf(stderr, "log %d: %s\n", (int)level, line);
}

static int h_emit(parley_instance_t *inst, parley_event_t *ev) {
  fuzz_inst_t *fi = FI(inst);
  fuzz_require(ev != NULL, "emit(NULL)");
  parley_event_set_connector(ev, "fuzz");
  if (!parley_event_received_at(ev))
    parley_event_set_received_at(ev, FUZZ_WALL_START_MS + (int64_t)(fi->now - FUZZ_MONO_START_MS));
  parley_error_t err = {0};
  if (parley_event_validate(ev, &err) == 0) {
    fi->events++;
    fuzz_check_event(ev);
    char *json = NULL;
    size_t len = 0;
    if (parley_event_to_json(ev, &json, &len) == 0) {
      no_secret(fi, json, len, "an emitted event");
      if (getenv("FUZZ_HOST_LOG"))
        fprintf(stderr, "event: %s\n", json);
    }
    free(json);
  } else {
    /* the core would count it invalid and drop it: whatever the platform
     * sent, a connector maps it to a valid event or reports why not (a
     * log line, a counter) instead of handing the core an event to lose */
    fuzz_check_error(&err, fi->data, fi->size);
    fuzz_fail("the connector emitted an event the core refuses (and loses): %s", err.message);
  }
  parley_event_free(ev);
  return 0;
}

static int h_checkpoint_set(parley_instance_t *inst, const char *key, const char *value) {
  fuzz_inst_t *fi = FI(inst);
  if (!key || !value)
    return PARLEY_EINVAL;
  for (size_t i = 0; i < fi->ncps; i++)
    if (strcmp(fi->cps[i].key, key) == 0) {
      free(fi->cps[i].value);
      fi->cps[i].value = xstrdup(value);
      return 0;
    }
  fuzz_kv_t *v = realloc(fi->cps, (fi->ncps + 1) * sizeof *v);
  if (!v)
    abort();
  fi->cps = v;
  fi->cps[fi->ncps++] = (fuzz_kv_t){xstrdup(key), xstrdup(value)};
  return 0;
}

static int h_checkpoint_get(parley_instance_t *inst, const char *key, char *buf, size_t buflen) {
  fuzz_inst_t *fi = FI(inst);
  for (size_t i = 0; key && i < fi->ncps; i++)
    if (strcmp(fi->cps[i].key, key) == 0) {
      size_t n = strlen(fi->cps[i].value);
      if (n + 1 > buflen)
        return PARLEY_ENOBUFS;
      memcpy(buf, fi->cps[i].value, n + 1);
      return (int)n;
    }
  return PARLEY_ENOENT;
}

static int h_commit(parley_instance_t *inst, parley_commit_cb cb, void *data) {
  fuzz_inst_t *fi = FI(inst);
  if (!cb)
    return 0;
  if (fi->ncommits == fi->capcommits) {
    size_t cap = fi->capcommits ? fi->capcommits * 2 : 8;
    fuzz_commit_t *c = realloc(fi->commits, cap * sizeof *c);
    if (!c)
      abort();
    fi->commits = c;
    fi->capcommits = cap;
  }
  fi->commits[fi->ncommits++] = (fuzz_commit_t){cb, data};
  return 0;
}

static void h_counter_add(parley_instance_t *inst, const char *name, uint64_t n) {
  metric_name(FI(inst), name);
}

static void h_gauge_set(parley_instance_t *inst, const char *name, double value) {
  metric_name(FI(inst), name);
}

static void h_set_health(parley_instance_t *inst, int healthy, const char *reason) {
  FI(inst)->healthy = healthy != 0;
  if (reason)
    no_secret(FI(inst), reason, strlen(reason), "a health reason");
}

static int h_paused(parley_instance_t *inst) { return 0; }

static int http_start(parley_instance_t *inst, const parley_http_request_t *req,
                      parley_stream_cb on_chunk, parley_http_cb cb, void *data,
                      parley_http_t **out) {
  fuzz_inst_t *fi = FI(inst);
  fuzz_require(req && req->url && cb, "http_request without a request, URL or callback");
  fuzz_require(!fi->stopped_calls, "http_request after stopped()");
  /* everything is copied by the call: read it all now, as the core does */
  for (const char *const *h = req->headers; h && *h; h++)
    (void)strlen(*h);
  if (req->body && req->body_len) {
    char *copy = malloc(req->body_len);
    if (!copy)
      abort();
    memcpy(copy, req->body, req->body_len);
    free(copy);
  }
  struct parley_http *h = xcalloc(1, sizeof *h);
  h->fi = fi;
  h->method = xstrdup(req->method ? req->method : "GET");
  h->url = xstrdup(req->url);
  h->cb = cb;
  h->on_chunk = on_chunk;
  h->data = data;
  if (getenv("FUZZ_HOST_LOG"))
    fprintf(stderr, "http: %s %s\n", h->method, h->url);
  struct parley_http **tail = &fi->https;
  while (*tail)
    tail = &(*tail)->next;
  *tail = h;
  if (out)
    *out = h;
  return 0;
}

static int h_http_request(parley_instance_t *inst, const parley_http_request_t *req,
                          parley_http_cb cb, void *data, parley_http_t **out) {
  return http_start(inst, req, NULL, cb, data, out);
}

static int h_http_stream(parley_instance_t *inst, const parley_http_request_t *req,
                         parley_stream_cb on_chunk, parley_http_cb cb, void *data,
                         parley_http_t **out) {
  fuzz_require(on_chunk != NULL, "http_stream without on_chunk");
  return http_start(inst, req, on_chunk, cb, data, out);
}

static const char *h_http_header(parley_http_t *req, const char *name) {
  fuzz_require(req && req->done, "http_header outside the request's callbacks");
  return req->resp ? fuzz_msg_header(req->resp, name) : NULL;
}

static void h_http_cancel(parley_http_t *req) {
  fuzz_require(req != NULL, "http_cancel(NULL)");
  if (req->done || req->canceled)
    return;
  req->canceled = 1; /* completed later, as the core does (from an idle) */
}

static parley_timer_t *h_timer_start(parley_instance_t *inst, uint64_t timeout_ms,
                                     uint64_t repeat_ms, parley_timer_cb cb, void *data) {
  fuzz_inst_t *fi = FI(inst);
  fuzz_require(cb != NULL, "timer_start without a callback");
  struct parley_timer *t = xcalloc(1, sizeof *t);
  t->fi = fi;
  t->due = fi->now + timeout_ms;
  t->repeat = repeat_ms;
  t->cb = cb;
  t->data = data;
  t->active = 1;
  t->next = fi->timers;
  fi->timers = t;
  return t;
}

static void h_timer_stop(parley_timer_t *t) {
  if (!t)
    return;
  fuzz_require(!t->dead, "timer_stop on a timer already stopped");
  t->dead = 1;
  t->active = 0;
}

static uint64_t h_now_ms(parley_instance_t *inst) { return FI(inst)->now; }

static int64_t h_wall_ms(parley_instance_t *inst) {
  return FUZZ_WALL_START_MS + (int64_t)(FI(inst)->now - FUZZ_MONO_START_MS);
}

static const fuzz_msg_t *WH(const parley_webhook_t *wh) {
  fuzz_require(wh != NULL, "webhook accessor without a request");
  return (const fuzz_msg_t *)(const void *)wh;
}

static const char *h_webhook_method(const parley_webhook_t *wh) { return WH(wh)->method; }
static const char *h_webhook_path(const parley_webhook_t *wh) { return WH(wh)->path; }
static const char *h_webhook_header(const parley_webhook_t *wh, const char *name) {
  return fuzz_msg_header(WH(wh), name);
}

/* The core decodes parameters of the raw query (http_server.c); the SDK's
 * parser does the same job here. */
static int h_webhook_query(const parley_webhook_t *wh, const char *name, char *buf,
                           size_t buflen) {
  const fuzz_msg_t *m = WH(wh);
  size_t n = strlen(m->query);
  char *url = malloc(n + 2);
  if (!url)
    abort();
  url[0] = '?';
  memcpy(url + 1, m->query, n + 1);
  int rc = parley_sdk_query_param(url, name, buf, buflen);
  free(url);
  if (rc == PARLEY_EPARSE)
    rc = PARLEY_ENOENT;
  return rc;
}

static const char *h_webhook_body(const parley_webhook_t *wh, size_t *len) {
  const fuzz_msg_t *m = WH(wh);
  if (len)
    *len = m->body_len;
  return m->body;
}

static const parley_action_t *h_action_get(parley_action_req_t *req) {
  fuzz_fail("action_get without an action");
}

static void h_action_done(parley_action_req_t *req, const parley_action_result_t *result) {
  fuzz_fail("action_done without an action");
}

static void h_stopped(parley_instance_t *inst) {
  fuzz_inst_t *fi = FI(inst);
  fuzz_require(fi->stopping, "stopped() before stop()");
  fuzz_require(fi->stopped_calls == 0, "stopped() called twice");
  fi->stopped_calls++;
}

static const char *h_instance_name(parley_instance_t *inst) { return "fuzz"; }

static const parley_host_t fuzz_host_table = {
    .abi_major = PARLEY_ABI_MAJOR,
    .abi_minor = PARLEY_ABI_MINOR,
    .size = sizeof(parley_host_t),
    .log = h_log,
    .emit = h_emit,
    .checkpoint_set = h_checkpoint_set,
    .checkpoint_get = h_checkpoint_get,
    .commit = h_commit,
    .counter_add = h_counter_add,
    .gauge_set = h_gauge_set,
    .set_health = h_set_health,
    .paused = h_paused,
    .http_request = h_http_request,
    .http_stream = h_http_stream,
    .http_header = h_http_header,
    .http_cancel = h_http_cancel,
    .timer_start = h_timer_start,
    .timer_stop = h_timer_stop,
    .now_ms = h_now_ms,
    .wall_ms = h_wall_ms,
    .webhook_method = h_webhook_method,
    .webhook_path = h_webhook_path,
    .webhook_header = h_webhook_header,
    .webhook_query = h_webhook_query,
    .webhook_body = h_webhook_body,
    .action_get = h_action_get,
    .action_done = h_action_done,
    .stopped = h_stopped,
    .instance_name = h_instance_name,
};

/* ------------------------------------------------------------------ */
/* Driving the instance                                                */
/* ------------------------------------------------------------------ */

static void sweep_timers(fuzz_inst_t *fi) {
  for (struct parley_timer **p = &fi->timers; *p;) {
    struct parley_timer *t = *p;
    if (t->dead) {
      *p = t->next;
      free(t);
    } else {
      p = &t->next;
    }
  }
}

static void unlink_http(fuzz_inst_t *fi, struct parley_http *h) {
  for (struct parley_http **p = &fi->https; *p; p = &(*p)->next)
    if (*p == h) {
      *p = h->next;
      return;
    }
}

/* Run a request's callbacks once: with resp (an answer), else with status. */
static void complete(fuzz_inst_t *fi, struct parley_http *h, int status, const fuzz_msg_t *resp) {
  h->done = 1;
  h->resp = resp;
  parley_http_response_t res = {.status = status};
  char *body = NULL;
  if (resp && status == 0) {
    if (resp->status < 0) { /* "-7": a transport failure, no HTTP answer */
      res.status = resp->status < -40 ? PARLEY_ENETWORK : (int)resp->status;
      res.error = "fuzz: transport failure";
    } else {
      res.http_status = resp->status;
    }
  } else {
    res.error = status == PARLEY_ECANCELED ? "request canceled" : "fuzz: no answer";
  }
  if (h->on_chunk && resp && res.status == 0) {
    /* a stream: its body arrives in reads that end at each line's end or
     * after at most `most` bytes (set by the body's length), so lines are
     * also split in the middle as networks split them; then the end */
    const char *p = resp->body, *end = resp->body + resp->body_len;
    size_t most = 1 + resp->body_len % 61;
    while (p < end && !h->canceled) {
      const char *nl = memchr(p, '\n', (size_t)(end - p));
      size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
      if (n > most)
        n = most;
      char *chunk = fuzz_strndup((const uint8_t *)p, n);
      h->on_chunk(h, chunk, n, h->data);
      free(chunk);
      p += n;
    }
    if (h->canceled) {
      res.status = PARLEY_ECANCELED;
      res.http_status = 0;
    }
  } else if (resp && res.status == 0) {
    body = fuzz_strndup((const uint8_t *)resp->body, resp->body_len);
    res.body = body;
    res.body_len = resp->body_len;
  }
  h->cb(h, &res, h->data);
  free(body);
  unlink_http(fi, h);
  free(h->method);
  free(h->url);
  free(h);
}

static struct parley_http *pending(fuzz_inst_t *fi, const char *match) {
  struct parley_http *first = NULL;
  for (struct parley_http *h = fi->https; h; h = h->next) {
    if (h->canceled || h->done)
      continue;
    if (!first)
      first = h;
    if (match && *match && strstr(h->url, match))
      return h;
  }
  return first;
}

typedef struct responses {
  const uint8_t *data;
  size_t size, at;
} responses_t;

/* The next response of the input into m; 0 when there is none left. */
static int next_response(responses_t *r, fuzz_msg_t *m) {
  if (!r || r->at >= r->size)
    return 0;
  const uint8_t *p = r->data + r->at;
  size_t left = r->size - r->at, n = left, sep = strlen(FUZZ_RESPONSE_SEP);
  for (size_t i = 0; i + sep <= left; i++)
    if (p[i] == '\n' && memcmp(p + i, FUZZ_RESPONSE_SEP, sep) == 0) {
      n = i;
      break;
    }
  fuzz_msg_parse(m, p, n, 1);
  r->at += n + (n < left ? sep : 0);
  return 1;
}

static int has_response(const responses_t *r) { return r && r->at < r->size; }

/* One step of the host's loop; 0 when there was nothing to do. */
static int step(fuzz_inst_t *fi, responses_t *src, int fail_pending) {
  if (fi->ncommits) {
    fuzz_commit_t c = fi->commits[0];
    memmove(fi->commits, fi->commits + 1, --fi->ncommits * sizeof *fi->commits);
    c.cb(INST(fi), 0, c.data);
    return 1;
  }
  for (struct parley_http *h = fi->https; h; h = h->next)
    if (h->canceled && !h->done) {
      complete(fi, h, PARLEY_ECANCELED, NULL);
      return 1;
    }
  if (has_response(src)) {
    fuzz_msg_t m;
    int ok = 0;
    /* peek: the response names (part of) the URL it answers */
    responses_t peek = *src;
    if (next_response(&peek, &m)) {
      struct parley_http *h = pending(fi, m.match);
      if (h) {
        *src = peek;
        complete(fi, h, 0, &m);
        ok = 1;
      }
      fuzz_msg_free(&m);
      if (ok)
        return 1;
    }
  }
  if (fail_pending) {
    struct parley_http *h = pending(fi, NULL);
    if (h) {
      complete(fi, h, PARLEY_ENETWORK, NULL);
      return 1;
    }
  }
  struct parley_timer *next = NULL;
  for (struct parley_timer *t = fi->timers; t; t = t->next)
    if (t->active && !t->dead && (!next || t->due < next->due))
      next = t;
  if (next && (has_response(src) || fail_pending)) {
    if (next->due > fi->now)
      fi->now = next->due;
    if (next->repeat)
      next->due = fi->now + next->repeat;
    else
      next->active = 0;
    next->cb(next, next->data);
    sweep_timers(fi);
    return 1;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Public                                                              */
/* ------------------------------------------------------------------ */

const parley_connector_t *fuzz_host_load(const char *plugin) {
  if (g_desc)
    return g_desc;
  const char *dir = getenv("PARLEY_FUZZ_PLUGIN_DIR");
  const char *dirs[] = {dir && *dir ? dir : PARLEY_FUZZ_PLUGIN_DIR};
  parley_error_t err = {0};
  if (parley_plugin_load(&g_plugin, plugin, dirs, 1, &err) != 0)
    fuzz_fail("cannot load plugin %s from %s: %s", plugin, dirs[0], err.message);
  g_desc = g_plugin->desc;
  fuzz_secret_setup();
  return g_desc;
}

int64_t fuzz_wall_ms(void) {
  return g_current ? h_wall_ms(INST(g_current)) : FUZZ_WALL_START_MS;
}

fuzz_inst_t *fuzz_inst_new(const char *options_yaml, const uint8_t *data, size_t size) {
  fuzz_require(g_desc != NULL, "fuzz_inst_new before fuzz_host_load");
  parley_error_t err = {0};
  parley_node_t *opts = NULL;
  if (parley_config_parse_yaml(options_yaml, strlen(options_yaml), "fuzz-options", &opts, &err))
    fuzz_fail("the target's options do not parse: %s", err.message);
  fuzz_inst_t *fi = xcalloc(1, sizeof *fi);
  fi->now = FUZZ_MONO_START_MS;
  fi->data = data;
  fi->size = size;
  fi->healthy = 1;
  int rc = parley_options_bind(g_desc->options, g_desc->config_size, opts, "fuzz-options",
                               "options", &fi->config, &err);
  parley_node_free(opts);
  if (rc)
    fuzz_fail("the target's options do not bind: %s", err.message);
  g_current = fi;
  rc = g_desc->create(&fuzz_host_table, INST(fi), fi->config, &fi->state, &err);
  if (rc) {
    fuzz_check_error(&err, data, size);
    parley_options_free(g_desc->options, fi->config);
    free(fi);
    g_current = NULL;
    return NULL;
  }
  if (g_desc->start(fi->state) != 0) {
    while (step(fi, NULL, 1))
      ;
    g_desc->destroy(fi->state);
    fi->state = NULL;
    fuzz_inst_free(fi);
    return NULL;
  }
  fi->started = 1;
  return fi;
}

void fuzz_inst_webhook(fuzz_inst_t *fi, const fuzz_msg_t *req, parley_webhook_reply_t *rep) {
  fuzz_require(g_desc->webhook != NULL, "the plugin has no webhook handler");
  *rep = (parley_webhook_reply_t){0};
  g_desc->webhook(fi->state, (const parley_webhook_t *)(const void *)req, rep);
  if (getenv("FUZZ_HOST_LOG"))
    fprintf(stderr, "webhook answer: %d %.*s\n", rep->status, rep->body ? (int)rep->body_len : 0,
            rep->body ? rep->body : "");
  /* the core copies the answer after the handler returns: it must be readable */
  if (rep->body) {
    char *copy = fuzz_strndup((const uint8_t *)rep->body, rep->body_len);
    no_secret(fi, copy, rep->body_len, "a webhook answer");
    free(copy);
  }
  if (rep->content_type)
    (void)strlen(rep->content_type);
  /* the events are committed at the end of the loop turn */
  while (fi->ncommits && step(fi, NULL, 0))
    ;
}

void fuzz_inst_serve(fuzz_inst_t *fi, const uint8_t *data, size_t size, size_t max_steps) {
  responses_t src = {data, size, 0};
  for (size_t i = 0; i < max_steps && step(fi, &src, 0); i++)
    ;
}

size_t fuzz_inst_events(const fuzz_inst_t *fi) { return fi->events; }

void fuzz_inst_free(fuzz_inst_t *fi) {
  if (!fi)
    return;
  if (fi->started && !fi->stopping) {
    fi->stopping = 1;
    g_desc->stop(fi->state);
    size_t steps = 0;
    /* done once stopped() came and nothing is in flight any more */
    while (steps < FUZZ_DRAIN_STEPS && !(fi->stopped_calls && !fi->ncommits && !fi->https) &&
           step(fi, NULL, 1))
      steps++;
    size_t live = 0;
    for (struct parley_timer *t = fi->timers; t; t = t->next)
      live += t->active && !t->dead;
    fuzz_require(fi->stopped_calls == 1,
                 "stop() did not drain: stopped() never came (%zu steps, %zu timers armed)", steps,
                 live);
  }
  if (fi->state)
    g_desc->destroy(fi->state);
  /* the core closes timers a connector left at destroy (instance.c) */
  for (struct parley_timer *t = fi->timers, *next; t; t = next) {
    next = t->next;
    free(t);
  }
  fuzz_require(fi->https == NULL, "requests left in flight after destroy");
  free(fi->commits);
  for (size_t i = 0; i < fi->ncps; i++) {
    free(fi->cps[i].key);
    free(fi->cps[i].value);
  }
  free(fi->cps);
  if (fi->config)
    parley_options_free(g_desc->options, fi->config);
  if (g_current == fi)
    g_current = NULL;
  free(fi);
}
