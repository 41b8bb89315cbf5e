/* parley core — the Server-Sent Events hub (router_sse.h). Subscribers sit
 * in one doubly linked list; a message is framed once and written to each.
 * Dropping a subscriber while the list is being walked only marks it (its
 * stream is ended at once); the walk unlinks the marked ones at its end, so
 * a client that goes away during a write cannot pull the list from under
 * the walk. */
#include <stdlib.h>
#include <string.h>

#include "router_sse.h"

typedef struct parley_sse_sub {
  parley_sse_t *hub;
  parley_httpd_req_t *req;
  int channel;
  int dead;                  /* stream ended, still linked (a walk is running) */
  parley_sse_filter filter;
  void *data;
  void (*free_data)(void *);
  struct parley_sse_sub *prev, *next;
} parley_sse_sub_t;

struct parley_sse {
  uv_timer_t timer;
  uint64_t keepalive_ms;
  parley_sse_sub_t *subs;
  int walking;               /* nesting depth of walks over subs */
  int closed;
  void (*close_cb)(void *data);
  void *close_data;
};

static const char *const sse_headers[] = {"Cache-Control: no-cache", "X-Accel-Buffering: no",
                                          NULL};

/* ---- framing ---- */

static size_t put_field(char *out, const char *name, const char *v, size_t n) {
  size_t k = strlen(name);
  memcpy(out, name, k);
  for (size_t i = 0; i < n; i++)
    if (v[i] != '\r' && v[i] != '\n')
      out[k++] = v[i];
  out[k++] = '\n';
  return k;
}

char *parley_sse_frame(const char *id, const char *event, const char *data, size_t len,
                       size_t *out_len) {
  size_t lines = 1;
  for (size_t i = 0; i < len; i++)
    if (data[i] == '\n' || (data[i] == '\r' && (i + 1 == len || data[i + 1] != '\n')))
      lines++;
  size_t idn = id ? strlen(id) : 0, evn = event ? strlen(event) : 0;
  size_t cap = (id ? idn + 5 : 0) + (event ? evn + 8 : 0) + len + lines * 7 + 2;
  char *out = malloc(cap), *p = out;
  if (!out)
    return NULL;
  if (id)
    p += put_field(p, "id: ", id, idn);
  if (event)
    p += put_field(p, "event: ", event, evn);
  memcpy(p, "data: ", 6);
  p += 6;
  for (size_t i = 0; i < len; i++) {
    if (data[i] != '\r' && data[i] != '\n') {
      *p++ = data[i];
      continue;
    }
    if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
      i++;
    memcpy(p, "\ndata: ", 7);
    p += 7;
  }
  *p++ = '\n';
  *p++ = '\n';
  *out_len = (size_t)(p - out);
  return out;
}

/* ---- subscribers ---- */

static void sub_unlink_free(parley_sse_sub_t *s) {
  parley_sse_t *h = s->hub;
  if (s->prev)
    s->prev->next = s->next;
  else
    h->subs = s->next;
  if (s->next)
    s->next->prev = s->prev;
  if (s->free_data)
    s->free_data(s->data);
  free(s);
}

/* End the stream (once) and forget the subscriber, now or after the walk. */
static void sub_drop(parley_sse_sub_t *s) {
  if (!s->dead) {
    s->dead = 1;
    parley_httpd_stream_end(s->req);
    s->req = NULL;
  }
  if (!s->hub->walking)
    sub_unlink_free(s);
}

static void sweep(parley_sse_t *h) {
  if (h->walking)
    return;
  for (parley_sse_sub_t *s = h->subs, *next; s; s = next) {
    next = s->next;
    if (s->dead)
      sub_unlink_free(s);
  }
}

/* The client went away (or the server closed): after this the request
 * only waits for stream_end to be released. */
static void sub_on_close(parley_httpd_req_t *req, void *data) {
  (void)req;
  sub_drop(data);
}

static int sub_write(parley_sse_sub_t *s, const char *buf, size_t len) {
  int rc = parley_httpd_stream_write(s->req, buf, len);
  if (rc != 0)
    sub_drop(s); /* gone, or too far behind (EBUSY): it reconnects */
  return rc;
}

int parley_sse_subscribe(parley_sse_t *h, parley_httpd_req_t *req, int channel,
                         parley_sse_filter filter, void *data, void (*free_data)(void *)) {
  return parley_sse_subscribe_replay(h, req, channel, filter, data, free_data, NULL, NULL);
}

int parley_sse_send(parley_sse_sub_t *s, const char *id, const char *event, const char *data,
                    size_t len) {
  size_t flen;
  if (s->dead)
    return PARLEY_ESTATE;
  char *frame = parley_sse_frame(id, event, data, len, &flen);
  if (!frame) {
    sub_drop(s); /* a gap the client cannot see: end it, it reconnects */
    return PARLEY_ENOMEM;
  }
  int rc = sub_write(s, frame, flen);
  free(frame);
  return rc;
}

int parley_sse_subscribe_replay(parley_sse_t *h, parley_httpd_req_t *req, int channel,
                                parley_sse_filter filter, void *data,
                                void (*free_data)(void *), parley_sse_replay_fn replay,
                                void *replay_data) {
  parley_sse_sub_t *s = h && !h->closed ? calloc(1, sizeof *s) : NULL;
  if (!s) {
    if (free_data)
      free_data(data);
    int closed = !h || h->closed;
    const char *why = closed ? "shutting down\n" : "out of memory\n";
    parley_httpd_respond(req, closed ? 503 : 500, "text/plain; charset=utf-8", why,
                         strlen(why), NULL);
    return closed ? PARLEY_ESTATE : PARLEY_ENOMEM;
  }
  if (strcmp(parley_httpd_req_method(req), "HEAD") == 0) { /* the head only: no stream */
    free(s);
    if (free_data)
      free_data(data);
    parley_httpd_respond(req, 200, "text/event-stream; charset=utf-8", "", 0, sse_headers);
    return 0;
  }
  *s = (parley_sse_sub_t){.hub = h, .req = req, .channel = channel, .filter = filter,
                          .data = data, .free_data = free_data, .next = h->subs};
  if (h->subs)
    h->subs->prev = s;
  h->subs = s;
  h->walking++; /* on_close may run inside start (client already gone) */
  parley_httpd_stream_start(req, 200, "text/event-stream; charset=utf-8", sse_headers,
                            sub_on_close, s);
  /* tells EventSource how long to wait before it reconnects */
  if (!s->dead)
    sub_write(s, "retry: 3000\n\n", 13);
  /* still walking: a drop during the replay only marks s */
  if (!s->dead && replay)
    replay(s, replay_data);
  h->walking--;
  sweep(h);
  return 0;
}

size_t parley_sse_count(const parley_sse_t *h, int channel) {
  size_t n = 0;
  for (const parley_sse_sub_t *s = h ? h->subs : NULL; s; s = s->next)
    if (!s->dead && s->channel == channel)
      n++;
  return n;
}

size_t parley_sse_publish(parley_sse_t *h, int channel, const char *id, const char *event,
                          const char *data, size_t len, const void *msg) {
  if (!h || h->closed || parley_sse_count(h, channel) == 0)
    return 0;
  size_t n = 0, flen;
  char *frame = parley_sse_frame(id, event, data, len, &flen);
  if (!frame)
    return 0;
  h->walking++;
  for (parley_sse_sub_t *s = h->subs; s; s = s->next)
    if (!s->dead && s->channel == channel && (!s->filter || s->filter(s->data, msg)) &&
        sub_write(s, frame, flen) == 0)
      n++;
  h->walking--;
  sweep(h);
  free(frame);
  return n;
}

static void keepalive(uv_timer_t *t) {
  parley_sse_t *h = t->data;
  h->walking++;
  for (parley_sse_sub_t *s = h->subs; s; s = s->next)
    if (!s->dead)
      sub_write(s, ": keepalive\n\n", 13);
  h->walking--;
  sweep(h);
}

int parley_sse_new(parley_sse_t **out, uv_loop_t *loop, uint64_t keepalive_ms) {
  parley_sse_t *h = calloc(1, sizeof *h);
  if (!h)
    return PARLEY_ENOMEM;
  h->keepalive_ms = keepalive_ms ? keepalive_ms : PARLEY_SSE_KEEPALIVE_MS;
  if (uv_timer_init(loop, &h->timer) != 0) {
    free(h);
    return PARLEY_EIO;
  }
  h->timer.data = h;
  uv_timer_start(&h->timer, keepalive, h->keepalive_ms, h->keepalive_ms);
  uv_unref((uv_handle_t *)&h->timer); /* a keepalive alone keeps no loop running */
  *out = h;
  return 0;
}

static void end_all(parley_sse_t *h) {
  h->walking++;
  for (parley_sse_sub_t *s = h->subs; s; s = s->next)
    sub_drop(s);
  h->walking--;
  sweep(h);
}

static void timer_closed(uv_handle_t *t) {
  parley_sse_t *h = t->data;
  if (h->close_cb)
    h->close_cb(h->close_data);
}

static void timer_closed_free(uv_handle_t *t) { free(t->data); }

void parley_sse_close(parley_sse_t *h, void (*cb)(void *data), void *data) {
  if (!h || h->closed)
    return;
  h->closed = 1;
  h->close_cb = cb;
  h->close_data = data;
  end_all(h);
  uv_close((uv_handle_t *)&h->timer, timer_closed);
}

void parley_sse_free(parley_sse_t *h) {
  if (!h)
    return;
  if (h->closed) {
    free(h);
    return;
  }
  /* never closed (a router freed without stopping): the streams still end
   * before the server goes; the timer frees the hub once it is closed */
  h->closed = 1;
  end_all(h);
  uv_close((uv_handle_t *)&h->timer, timer_closed_free);
}
