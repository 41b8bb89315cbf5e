/* parley core — the HTTP server on the router's loop (h2o, libuv build).
 *
 * h2o parses HTTP/1.1, enforces the body limit (413) and keep-alive; this file
 * owns the listening socket (so it can count and refuse connections and close
 * them at shutdown), dispatches by longest prefix and bridges h2o's request
 * lifetime to ours: a parley_httpd_req_t is plain malloc'ed memory that lives
 * until the handler releases it, while h2o's request (and its pool) may vanish
 * earlier when the client goes away. A small link allocated in h2o's pool
 * with a dispose callback tells us when that happens.
 *
 * Hostile clients. h2o 2.2 has a single request timeout (from the end of the
 * previous answer to a complete request) and fixed head limits (100 headers,
 * about 400 KiB, beyond which it closes without an answer). So this file
 * does its own accounting on top: every connection is in one phase (idle,
 * reading a head, reading a body, busy with a request) and a sweep timer
 * closes those that stay too long in a reading phase; it reads the phase
 * from h2o's public socket fields (the input buffer) and a marker allocated
 * in each request's pool (busy until the pool goes). Heads that arrived
 * whole are checked in on_req (414/431); heads that grow without end are
 * caught by the sweep's scan. In the accept path: per-address counts, and
 * at max_connections the oldest idle (else stalled) connection is closed
 * to make room, so a flood of idle sockets cannot lock out real clients.
 * A connection is closed by shutting its socket down underneath h2o, which
 * then sees EOF and tears down its own state. */
#include "http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <h2o.h>

#include "http_server_limits.h"
#include "log.h"

/* A stream whose client reads slower than the producer writes gets
 * PARLEY_EBUSY past this many queued bytes instead of growing forever. */
#define PARLEY_HTTPD_STREAM_QUEUE_MAX (8u << 20)
/* At close, connections still open this long after their read side was shut
 * (a client that does not read its response) are shut both ways. */
#define PARLEY_HTTPD_CLOSE_GRACE_MS 2000
/* A burst of webhook connections (or a loaded loop) must not overflow the
 * accept queue: an overflow drops the client's handshake and it retries
 * after 1 s, 2 s, ... The kernel caps this at net.core.somaxconn. */
#define PARLEY_HTTPD_BACKLOG 1024
#define PARLEY_HTTPD_DEFAULT_MAX_BODY ((size_t)1 << 20) /* when max_body is 0 */
#define PARLEY_HTTPD_DEFAULT_HEADER_TIMEOUT_MS 10000
#define PARLEY_HTTPD_DEFAULT_BODY_TIMEOUT_MS 30000
#define PARLEY_HTTPD_DEFAULT_IDLE_TIMEOUT_MS 15000
#define PARLEY_HTTPD_DEFAULT_MAX_HEADER_BYTES (16u << 10)
#define PARLEY_HTTPD_DEFAULT_MAX_REQUEST_LINE (8u << 10)

enum { PARLEY_CONN_IDLE, PARLEY_CONN_HEAD, PARLEY_CONN_BODY, PARLEY_CONN_BUSY };

typedef struct parley_httpd_route_entry {
  char *prefix;
  size_t len;
  parley_httpd_handler handler;
  void *data;
} parley_httpd_route_entry_t;

/* One accepted connection; tcp first so the uv close callback finds us. */
struct parley_httpd_mark;

typedef struct parley_httpd_conn {
  uv_tcp_t tcp;
  parley_httpd_t *server;
  struct parley_httpd_conn *prev, *next;
  h2o_socket_t *sock;
  struct parley_httpd_mark *mark; /* in the current request's pool, or NULL */
  uint64_t since;                 /* uv_now() when the phase began */
  int phase;                      /* PARLEY_CONN_* */
  int closing;                    /* shut down by us, close callback pending */
  int fd;
  int has_peer;
  uint8_t peer[16];
  size_t requests; /* dispatched on this connection */
  parley_head_scan_t scan;
} parley_httpd_conn_t;

/* Lives in a request's pool: while it does, the connection is busy. */
typedef struct parley_httpd_mark {
  parley_httpd_conn_t *conn; /* NULL once the connection went */
} parley_httpd_mark_t;

/* Lives in h2o's request pool: valid exactly as long as h2o's request. The
 * generator sits here (not in our request) because h2o may call it until
 * the pool goes. */
typedef struct parley_httpd_link {
  h2o_generator_t gen;
  h2o_req_t *req;
  parley_httpd_req_t *st; /* NULL once we detached */
} parley_httpd_link_t;

typedef struct parley_httpd_hdr {
  const char *name;
  const char *value;
} parley_httpd_hdr_t;

struct parley_httpd_req {
  parley_httpd_t *server;     /* NULL once unlinked from the server's list */
  parley_httpd_link_t *link;  /* NULL once h2o's request is gone or answered */
  struct parley_httpd_req *prev, *next;
  char *method, *path, *query, *body;
  size_t body_len;
  parley_httpd_hdr_t *headers;
  size_t nheaders;
  void *user;
  int has_peer;
  uint8_t peer[16];  /* the client's address (parley_peer_key) */
  int streaming;
  int user_done;     /* respond()/stream_end() was called */
  int gone;          /* client went away or server closed */
  int busy;          /* h2o is writing `inflight` */
  int final_pending; /* finish once `inflight` is written */
  int chunked;       /* we frame chunks (HTTP/1.1) */
  char chunk_hdr[24];
  char *inflight;
  char *queue;
  size_t queue_len, queue_cap;
  void (*on_close)(parley_httpd_req_t *r, void *data);
  void *on_close_data;
};

typedef struct parley_httpd_h2o_handler {
  h2o_handler_t super;
  parley_httpd_t *server;
} parley_httpd_h2o_handler_t;

enum { PARLEY_HTTPD_RUNNING, PARLEY_HTTPD_CLOSING, PARLEY_HTTPD_CLOSED };

struct parley_httpd {
  uv_loop_t *loop;
  h2o_globalconf_t conf;
  h2o_context_t ctx;
  h2o_accept_ctx_t accept;
  uv_tcp_t listener;
  uv_timer_t grace;  /* close grace period, then first close stage */
  uv_idle_t last;    /* second close stage (see finish_close) */
  int port;
  int state;
  int listener_open;
  int finishing; /* all connections gone, h2o being disposed */
  int self_free; /* parley_httpd_new() failed late: free s after closing */
  size_t max_connections;
  size_t nconns;
  size_t nclosing; /* of nconns, shut down by us and about to go */
  parley_httpd_conn_t *conns;
  parley_httpd_conn_t **byfd; /* connection by socket descriptor */
  size_t nbyfd;
  parley_httpd_limits_t limits; /* defaults filled in */
  uv_timer_t sweep;
  uint64_t sweep_ms;
  parley_peer_table_t *peers;
  parley_httpd_stats_t stats;
  parley_httpd_req_t *reqs;
  parley_httpd_route_entry_t *routes;
  size_t nroutes;
  void (*close_cb)(void *data);
  void *close_data;
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

static const char *parley_httpd_reason(int status) {
  switch (status) {
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 304: return "Not Modified";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 409: return "Conflict";
  case 413: return "Payload Too Large";
  case 414: return "URI Too Long";
  case 415: return "Unsupported Media Type";
  case 422: return "Unprocessable Entity";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 501: return "Not Implemented";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  default: return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error"
                                                                                : "Server Error";
  }
}

/* Parses "host:port" or "[v6]:port" into addr. */
static int parley_httpd_parse_listen(const char *spec, struct sockaddr_storage *addr,
                                     parley_error_t *err) {
  char host[64];
  const char *colon, *hs = spec, *he;
  char *end;
  long port;

  if (!spec || !*spec)
    return parley_error_set(err, PARLEY_EINVAL, "http server: listen address is empty");
  if (*spec == '[') {
    hs = spec + 1;
    he = strchr(hs, ']');
    if (!he || he[1] != ':')
      return parley_error_set(err, PARLEY_EINVAL,
                              "http server: listen address '%s' is not [ipv6]:port", spec);
    colon = he + 1;
  } else {
    colon = strrchr(spec, ':');
    if (!colon)
      return parley_error_set(err, PARLEY_EINVAL,
                              "http server: listen address '%s' is not host:port", spec);
    he = colon;
  }
  if ((size_t)(he - hs) >= sizeof host || he == hs)
    return parley_error_set(err, PARLEY_EINVAL, "http server: listen address '%s' has a bad host",
                            spec);
  memcpy(host, hs, (size_t)(he - hs));
  host[he - hs] = '\0';
  errno = 0;
  port = strtol(colon + 1, &end, 10);
  if (colon[1] == '\0' || *end != '\0' || errno || port < 0 || port > 65535)
    return parley_error_set(err, PARLEY_EINVAL, "http server: listen address '%s' has a bad port",
                            spec);
  memset(addr, 0, sizeof *addr);
  if (*spec == '[') {
    if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)addr) != 0)
      return parley_error_set(err, PARLEY_EINVAL,
                              "http server: '%s' in listen address is not an IPv6 address", host);
  } else if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)addr) != 0) {
    return parley_error_set(err, PARLEY_EINVAL,
                            "http server: '%s' in listen address is not an IPv4 address", host);
  }
  return 0;
}

/* Binds and listens on a plain socket first, so a failure leaves no uv
 * handle behind that would need the loop to run to be released. */
static int parley_httpd_bind(const char *spec, int *fd_out, int *port_out, parley_error_t *err) {
  struct sockaddr_storage addr, bound;
  socklen_t alen = sizeof bound;
  int fd, one = 1, rc;

  if ((rc = parley_httpd_parse_listen(spec, &addr, err)) != 0)
    return rc;
  fd = socket(addr.ss_family, SOCK_STREAM, 0);
  if (fd < 0)
    return parley_error_set(err, PARLEY_EIO, "http server: socket() for %s: %s", spec,
                            strerror(errno));
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&addr,
           addr.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) !=
          0 ||
      listen(fd, PARLEY_HTTPD_BACKLOG) != 0) {
    int e = errno;
    close(fd);
    return parley_error_set(err, PARLEY_EIO, "http server: cannot listen on %s: %s", spec,
                            strerror(e));
  }
  getsockname(fd, (struct sockaddr *)&bound, &alen);
  *port_out = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
  *fd_out = fd;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Request state                                                       */
/* ------------------------------------------------------------------ */

static void parley_httpd_req_unlink(parley_httpd_req_t *st) {
  if (!st->server)
    return;
  if (st->prev)
    st->prev->next = st->next;
  else
    st->server->reqs = st->next;
  if (st->next)
    st->next->prev = st->prev;
  st->prev = st->next = NULL;
  st->server = NULL;
}

/* Forget h2o's request: after this nothing of ours is reachable from h2o. */
static void parley_httpd_req_detach(parley_httpd_req_t *st) {
  if (st->link) {
    st->link->st = NULL;
    st->link = NULL;
  }
  parley_httpd_req_unlink(st);
}

static void parley_httpd_req_release(parley_httpd_req_t *st) {
  parley_httpd_req_detach(st);
  free(st->inflight);
  free(st->queue);
  free(st);
}

/* h2o clears the request pool when it is done with the request: after our
 * final answer was written, or when the connection closed first. */
static void parley_httpd_on_pool_dispose(void *p) {
  parley_httpd_link_t *link = p;
  parley_httpd_req_t *st = link->st;

  if (!st)
    return; /* already answered and detached */
  parley_httpd_req_detach(st);
  st->busy = 0; /* h2o no longer reads the in-flight buffer */
  free(st->inflight);
  st->inflight = NULL;
  if (st->user_done) {
    parley_httpd_req_release(st);
    return;
  }
  if (!st->gone) {
    st->gone = 1;
    if (st->streaming && st->on_close)
      st->on_close(st, st->on_close_data); /* may release st */
  }
}

/* Copies everything the accessors hand out, since h2o's request (and its
 * pool) can disappear before the handler answers. */
static parley_httpd_req_t *parley_httpd_req_copy(h2o_req_t *req) {
  size_t path_len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
  size_t query_len = req->query_at != SIZE_MAX ? req->path.len - req->query_at - 1 : 0;
  size_t need = sizeof(parley_httpd_req_t) + req->headers.size * sizeof(parley_httpd_hdr_t);
  size_t i;
  parley_httpd_req_t *st;
  char *p;

  need += req->method.len + 1 + path_len + 1 + query_len + 1 + req->entity.len + 1;
  for (i = 0; i < req->headers.size; i++)
    need += req->headers.entries[i].name->len + 1 + req->headers.entries[i].value.len + 1;
  if (!(st = calloc(1, need)))
    return NULL;
  st->headers = (parley_httpd_hdr_t *)(st + 1);
  st->nheaders = req->headers.size;
  p = (char *)(st->headers + st->nheaders);
#define PARLEY_HTTPD_COPY_(dst, src, n)                                                            \
  do {                                                                                             \
    (dst) = p;                                                                                     \
    if (n)                                                                                         \
      memcpy(p, (src), (n));                                                                       \
    p[n] = '\0';                                                                                   \
    p += (n) + 1;                                                                                  \
  } while (0)
  PARLEY_HTTPD_COPY_(st->method, req->method.base, req->method.len);
  PARLEY_HTTPD_COPY_(st->path, req->path.base, path_len);
  PARLEY_HTTPD_COPY_(st->query, query_len ? req->path.base + path_len + 1 : "", query_len);
  PARLEY_HTTPD_COPY_(st->body, req->entity.base, req->entity.len);
  st->body_len = req->entity.len;
  for (i = 0; i < st->nheaders; i++) {
    h2o_header_t *h = &req->headers.entries[i];
    char *name, *value;
    PARLEY_HTTPD_COPY_(name, h->name->base, h->name->len);
    PARLEY_HTTPD_COPY_(value, h->value.base, h->value.len);
    st->headers[i].name = name;
    st->headers[i].value = value;
  }
#undef PARLEY_HTTPD_COPY_
  return st;
}

/* Adds "Name: value" strings to the response; malformed ones (no colon, or
 * CR/LF that would split the response) are skipped. */
static void parley_httpd_add_headers(h2o_req_t *req, const char *const *headers) {
  for (; headers && *headers; headers++) {
    const char *h = *headers, *colon = strchr(h, ':'), *v;
    size_t nlen, i;
    char *name;

    if (!colon || colon == h || strpbrk(h, "\r\n"))
      continue;
    nlen = (size_t)(colon - h);
    name = h2o_mem_alloc_pool(&req->pool, nlen + 1);
    for (i = 0; i < nlen; i++)
      name[i] = (char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] + 32 : h[i]);
    name[nlen] = '\0';
    for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
      ;
    h2o_iovec_t value = h2o_strdup(&req->pool, v, strlen(v));
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, nlen, 1, NULL, value.base,
                          value.len);
  }
}

static void parley_httpd_set_head(h2o_req_t *req, int status, const char *content_type,
                                  const char *const *headers) {
  if (!content_type)
    content_type = "text/plain; charset=utf-8";
  req->res.status = status;
  req->res.reason = parley_httpd_reason(status);
  h2o_iovec_t ct = h2o_strdup(&req->pool, content_type, strlen(content_type));
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ct.base, ct.len);
  parley_httpd_add_headers(req, headers);
}

/* Sends a whole answer for st's h2o request and detaches st from it. */
static void parley_httpd_answer(parley_httpd_req_t *st, int status, const char *content_type,
                                const char *body, size_t len, const char *const *headers) {
  h2o_req_t *req = st->link->req;

  parley_httpd_req_detach(st);
  parley_httpd_set_head(req, status, content_type, headers);
  req->res.content_length = len;
  h2o_send_inline(req, body ? body : "", body ? len : 0); /* copies body into the pool */
}

/* ------------------------------------------------------------------ */
/* Streaming                                                           */
/* ------------------------------------------------------------------ */

/* We frame chunks ourselves (h2o's chunked filter holds back the head until
 * the first non-empty write, and a stream must show its head at once). */
static size_t parley_httpd_frame(parley_httpd_req_t *st, char *hdr, size_t len) {
  return st->chunked && len ? (size_t)sprintf(hdr, "%zx\r\n", len) : 0;
}

static void parley_httpd_stream_flush(parley_httpd_req_t *st) {
  h2o_iovec_t bufs[3];
  size_t n = 0, len = st->queue_len;

  if (st->busy || !st->link || len == 0)
    return;
  st->inflight = st->queue;
  st->queue = NULL;
  st->queue_len = st->queue_cap = 0;
  bufs[n++] = h2o_iovec_init(st->chunk_hdr, parley_httpd_frame(st, st->chunk_hdr, len));
  bufs[n++] = h2o_iovec_init(st->inflight, len);
  if (st->chunked)
    bufs[n++] = h2o_iovec_init(H2O_STRLIT("\r\n"));
  st->busy = 1;
  h2o_send(st->link->req, bufs, n, H2O_SEND_STATE_IN_PROGRESS);
}

/* Sends what is queued as the last piece; st is detached (and released if
 * the handler already ended it). */
static void parley_httpd_stream_finish(parley_httpd_req_t *st) {
  h2o_req_t *req = st->link->req;
  char *out = h2o_mem_alloc_pool(&req->pool, st->queue_len + 32);
  size_t n = parley_httpd_frame(st, out, st->queue_len);

  if (st->queue_len)
    memcpy(out + n, st->queue, st->queue_len);
  n += st->queue_len;
  if (st->chunked) {
    if (st->queue_len)
      out[n++] = '\r', out[n++] = '\n';
    memcpy(out + n, "0\r\n\r\n", 5);
    n += 5;
  }
  h2o_iovec_t buf = h2o_iovec_init(out, n);
  free(st->queue);
  st->queue = NULL;
  st->queue_len = st->queue_cap = 0;
  st->final_pending = 0;
  parley_httpd_req_detach(st);
  if (st->user_done)
    parley_httpd_req_release(st);
  h2o_send(req, &buf, n ? 1 : 0, H2O_SEND_STATE_FINAL);
}

static void parley_httpd_on_proceed(h2o_generator_t *gen, h2o_req_t *req) {
  parley_httpd_req_t *st = ((parley_httpd_link_t *)gen)->st;

  if (!st)
    return;
  st->busy = 0;
  free(st->inflight);
  st->inflight = NULL;
  if (st->final_pending)
    parley_httpd_stream_finish(st);
  else
    parley_httpd_stream_flush(st);
}

/* h2o stops a generator only when it drops the request; the pool dispose
 * callback that follows does the bookkeeping. */
static void parley_httpd_on_stop(h2o_generator_t *gen, h2o_req_t *req) {}

void parley_httpd_stream_start(parley_httpd_req_t *r, int status, const char *content_type,
                               const char *const *headers,
                               void (*on_close)(parley_httpd_req_t *r, void *data), void *data) {
  h2o_req_t *req;

  if (!r || r->streaming)
    return;
  r->streaming = 1;
  r->on_close = on_close;
  r->on_close_data = data;
  if (!r->link)
    return; /* client already gone: writes report PARLEY_ECANCELED */
  req = r->link->req;
  parley_httpd_set_head(req, status, content_type, headers);
  if (req->version >= 0x101) { /* HTTP/1.0 gets raw bytes and a close instead */
    r->chunked = 1;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_TRANSFER_ENCODING, NULL,
                   H2O_STRLIT("chunked"));
  }
  r->link->gen.proceed = parley_httpd_on_proceed;
  r->link->gen.stop = parley_httpd_on_stop;
  h2o_start_response(req, &r->link->gen);
  r->busy = 1; /* sends the head now so the client sees it before any chunk */
  h2o_send(req, NULL, 0, H2O_SEND_STATE_IN_PROGRESS);
}

int parley_httpd_stream_write(parley_httpd_req_t *r, const char *chunk, size_t len) {
  if (!r || !r->streaming || r->user_done)
    return PARLEY_EINVAL;
  if (!r->link || r->gone || r->final_pending)
    return PARLEY_ECANCELED;
  if (len == 0)
    return 0;
  if (len > PARLEY_HTTPD_STREAM_QUEUE_MAX - r->queue_len)
    return PARLEY_EBUSY;
  if (r->queue_len + len > r->queue_cap) {
    size_t cap = r->queue_cap ? r->queue_cap : 4096;
    char *q;
    while (cap < r->queue_len + len)
      cap *= 2;
    if (!(q = realloc(r->queue, cap)))
      return PARLEY_ENOMEM;
    r->queue = q;
    r->queue_cap = cap;
  }
  memcpy(r->queue + r->queue_len, chunk, len);
  r->queue_len += len;
  parley_httpd_stream_flush(r);
  return 0;
}

void parley_httpd_stream_end(parley_httpd_req_t *r) {
  if (!r)
    return;
  r->user_done = 1;
  if (!r->link) {
    parley_httpd_req_release(r);
    return;
  }
  if (!r->streaming) { /* ended without a start: an empty 200 */
    parley_httpd_answer(r, 200, NULL, NULL, 0, NULL);
    parley_httpd_req_release(r);
    return;
  }
  if (r->busy)
    r->final_pending = 1; /* finished by on_proceed */
  else
    parley_httpd_stream_finish(r);
}

/* ------------------------------------------------------------------ */
/* Answers                                                             */
/* ------------------------------------------------------------------ */

void parley_httpd_respond(parley_httpd_req_t *r, int status, const char *content_type,
                          const char *body, size_t len, const char *const *headers) {
  if (!r)
    return;
  if (r->streaming) { /* a streamed answer is finished with stream_end() */
    parley_httpd_stream_end(r);
    return;
  }
  r->user_done = 1;
  if (r->link)
    parley_httpd_answer(r, status, content_type, body, len, headers);
  parley_httpd_req_release(r);
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */
/* ------------------------------------------------------------------ */

static const parley_httpd_route_entry_t *parley_httpd_match(parley_httpd_t *s, const char *path,
                                                            size_t len) {
  const parley_httpd_route_entry_t *best = NULL;
  size_t i;

  for (i = 0; i < s->nroutes; i++) {
    const parley_httpd_route_entry_t *r = &s->routes[i];
    if (r->len <= len && memcmp(r->prefix, path, r->len) == 0 && (!best || r->len > best->len))
      best = r;
  }
  return best;
}

static void parley_httpd_send_simple(h2o_req_t *req, int status, const char *msg) {
  parley_httpd_set_head(req, status, NULL, NULL);
  req->res.content_length = strlen(msg);
  h2o_send_inline(req, msg, strlen(msg));
}

static parley_httpd_conn_t *parley_httpd_conn_of(parley_httpd_t *s, h2o_req_t *req) {
  h2o_socket_t *sock =
      req->conn->callbacks->get_socket ? req->conn->callbacks->get_socket(req->conn) : NULL;
  int fd = sock ? h2o_socket_get_fd(sock) : -1;

  if (fd >= 0 && (size_t)fd < s->nbyfd && s->byfd[fd] && s->byfd[fd]->sock == sock)
    return s->byfd[fd];
  return NULL;
}

static void parley_httpd_on_mark_dispose(void *p) {
  parley_httpd_conn_t *c = ((parley_httpd_mark_t *)p)->conn;

  if (!c)
    return;
  c->mark = NULL;
  c->phase = PARLEY_CONN_IDLE;
  c->since = uv_now(c->server->loop);
  memset(&c->scan, 0, sizeof c->scan);
}

/* The connection is busy until this request's pool goes; at max_requests
 * the answer carries Connection: close. */
static void parley_httpd_mark_busy(parley_httpd_t *s, h2o_req_t *req) {
  parley_httpd_conn_t *c = parley_httpd_conn_of(s, req);
  parley_httpd_mark_t *m;

  if (!c)
    return;
  m = h2o_mem_alloc_shared(&req->pool, sizeof *m, parley_httpd_on_mark_dispose);
  m->conn = c;
  c->mark = m;
  c->phase = PARLEY_CONN_BUSY;
  if (++c->requests >= s->limits.max_requests && s->limits.max_requests) {
    req->http1_is_persistent = 0;
    s->stats.closed_max_requests++;
  }
}

/* A head h2o accepted whole may still exceed our limits: 414 or 431, and
 * the connection closes after the answer. 0 when within them. */
static int parley_httpd_head_status(parley_httpd_t *s, h2o_req_t *req) {
  size_t line = req->input.method.len + req->input.path.len + sizeof " HTTP/1.1" - 1;
  size_t bytes = 0, count = req->headers.size, i;

  if (line > s->limits.max_request_line) {
    s->stats.rejected_line_too_long++;
    return 414;
  }
  for (i = 0; i < req->headers.size; i++)
    bytes += req->headers.entries[i].name->len + req->headers.entries[i].value.len + 4;
  if (req->input.authority.len) { /* h2o keeps Host apart from the others */
    bytes += sizeof "host: \r\n" - 1 + req->input.authority.len;
    count++;
  }
  if (count > s->limits.max_headers) {
    s->stats.rejected_too_many_headers++;
    return 431;
  }
  if (bytes > s->limits.max_header_bytes) {
    s->stats.rejected_header_too_large++;
    return 431;
  }
  return 0;
}

/* The client's address: the connection's, found when it was accepted. */
static void parley_httpd_req_peer_of(parley_httpd_t *s, h2o_req_t *req, parley_httpd_req_t *st) {
  parley_httpd_conn_t *c = parley_httpd_conn_of(s, req);
  struct sockaddr_storage addr;

  if (c && c->has_peer) {
    memcpy(st->peer, c->peer, sizeof st->peer);
    st->has_peer = 1;
  } else if (req->conn->callbacks->get_peername &&
             req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&addr) > 0 &&
             parley_peer_key((struct sockaddr *)&addr, st->peer) == 0) {
    st->has_peer = 1;
  }
}

static int parley_httpd_on_req(h2o_handler_t *self, h2o_req_t *req) {
  parley_httpd_t *s = ((parley_httpd_h2o_handler_t *)self)->server;
  size_t path_len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
  const parley_httpd_route_entry_t *route;
  parley_httpd_link_t *link;
  parley_httpd_req_t *st;
  int status;

  parley_httpd_mark_busy(s, req);
  if ((status = parley_httpd_head_status(s, req)) != 0) {
    req->http1_is_persistent = 0;
    parley_httpd_send_simple(req, status, status == 414 ? "request line too long\n"
                                                        : "request header fields too large\n");
    return 0;
  }
  if (s->state != PARLEY_HTTPD_RUNNING) {
    parley_httpd_send_simple(req, 503, "server shutting down\n");
    return 0;
  }
  if (!(route = parley_httpd_match(s, req->path.base, path_len))) {
    parley_httpd_send_simple(req, 404, "not found\n");
    return 0;
  }
  if (!(st = parley_httpd_req_copy(req))) {
    parley_httpd_send_simple(req, 500, "out of memory\n");
    return 0;
  }
  link = h2o_mem_alloc_shared(&req->pool, sizeof *link, parley_httpd_on_pool_dispose);
  memset(link, 0, sizeof *link);
  link->req = req;
  link->st = st;
  st->link = link;
  parley_httpd_req_peer_of(s, req, st);
  st->server = s;
  st->next = s->reqs;
  if (s->reqs)
    s->reqs->prev = st;
  s->reqs = st;
  route->handler(st, route->data);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Connections                                                         */
/* ------------------------------------------------------------------ */

static void parley_httpd_maybe_finish(parley_httpd_t *s);

static void parley_httpd_on_conn_close(uv_handle_t *h) {
  parley_httpd_conn_t *c = (parley_httpd_conn_t *)h;
  parley_httpd_t *s = c->server;

  if (c->prev)
    c->prev->next = c->next;
  else
    s->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  s->nconns--;
  if (c->closing)
    s->nclosing--;
  if (c->mark)
    c->mark->conn = NULL;
  if (c->fd >= 0 && (size_t)c->fd < s->nbyfd && s->byfd[c->fd] == c)
    s->byfd[c->fd] = NULL;
  if (c->has_peer)
    parley_peer_remove(s->peers, c->peer);
  free(c);
  parley_httpd_maybe_finish(s);
}

static void parley_httpd_on_refused_close(uv_handle_t *h) { free(h); }

/* Closes c underneath h2o (see the header comment) and counts why. */
static void parley_httpd_drop(parley_httpd_t *s, parley_httpd_conn_t *c, uint64_t *counter) {
  if (c->closing)
    return;
  c->closing = 1;
  s->nclosing++;
  (*counter)++;
  if (c->fd >= 0)
    shutdown(c->fd, SHUT_RDWR);
}

/* The connection to close when the limit is reached: the longest idle,
 * else the one stalled longest in reading a request; NULL if every
 * connection is busy with a request. */
static parley_httpd_conn_t *parley_httpd_victim(parley_httpd_t *s) {
  parley_httpd_conn_t *c, *idle = NULL, *reading = NULL;

  for (c = s->conns; c; c = c->next) {
    if (c->closing || c->phase == PARLEY_CONN_BUSY)
      continue;
    if (c->phase == PARLEY_CONN_IDLE && (!c->sock || c->sock->input->size == 0)) {
      if (!idle || c->since < idle->since)
        idle = c;
    } else if (!reading || c->since < reading->since) {
      reading = c;
    }
  }
  return idle ? idle : reading;
}

static int parley_httpd_index_fd(parley_httpd_t *s, parley_httpd_conn_t *c) {
  if ((size_t)c->fd >= s->nbyfd) {
    size_t n = s->nbyfd ? s->nbyfd : 1024;
    parley_httpd_conn_t **t;
    while (n <= (size_t)c->fd)
      n *= 2;
    if (!(t = realloc(s->byfd, n * sizeof *t)))
      return PARLEY_ENOMEM;
    memset(t + s->nbyfd, 0, (n - s->nbyfd) * sizeof *t);
    s->byfd = t;
    s->nbyfd = n;
  }
  s->byfd[c->fd] = c;
  return 0;
}

/* 0 to take c, or the counter of the reason to refuse it. */
static uint64_t *parley_httpd_admit(parley_httpd_t *s, parley_httpd_conn_t *c) {
  struct sockaddr_storage addr;
  int alen = sizeof addr;
  parley_httpd_conn_t *victim;

  if (s->state != PARLEY_HTTPD_RUNNING)
    return &s->stats.rejected_max_connections;
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&addr, &alen) == 0 &&
      parley_peer_key((struct sockaddr *)&addr, c->peer) == 0) {
    if (s->limits.max_per_client && parley_peer_count(s->peers, c->peer) >= s->limits.max_per_client)
      return &s->stats.rejected_per_client;
  }
  if (s->nconns - s->nclosing >= s->max_connections) {
    if (!(victim = parley_httpd_victim(s)))
      return &s->stats.rejected_max_connections;
    parley_httpd_drop(s, victim, &s->stats.evicted);
  }
  return NULL;
}

static void parley_httpd_on_connection(uv_stream_t *listener, int status) {
  parley_httpd_t *s = listener->data;
  parley_httpd_conn_t *c;
  h2o_socket_t *sock;
  uint64_t *refused;
  uv_os_fd_t fd;

  if (status != 0) { /* out of descriptors: libuv drops the pending connection */
    s->stats.rejected_fd_limit++;
    return;
  }
  if (!(c = calloc(1, sizeof *c)))
    return;
  uv_tcp_init(s->loop, &c->tcp);
  if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
    uv_close((uv_handle_t *)&c->tcp, parley_httpd_on_refused_close);
    return;
  }
  if ((refused = parley_httpd_admit(s, c)) != NULL) {
    /* closing right away is the cheapest refusal */
    (*refused)++;
    uv_close((uv_handle_t *)&c->tcp, parley_httpd_on_refused_close);
    return;
  }
  c->fd = uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0 ? fd : -1;
  if (c->fd < 0 || parley_httpd_index_fd(s, c) != 0 ||
      parley_peer_add(s->peers, c->peer) < 0) {
    uv_close((uv_handle_t *)&c->tcp, parley_httpd_on_refused_close);
    return;
  }
  c->has_peer = 1;
  c->server = s;
  c->since = uv_now(s->loop);
  c->phase = PARLEY_CONN_IDLE;
  c->next = s->conns;
  if (s->conns)
    s->conns->prev = c;
  s->conns = c;
  s->nconns++;
  s->stats.accepted++;
  sock = h2o_uv_socket_create((uv_stream_t *)&c->tcp, parley_httpd_on_conn_close);
  c->sock = sock;
  h2o_accept(&s->accept, sock);
}

/* One connection's check in the sweep: see the header comment. */
static void parley_httpd_sweep_conn(parley_httpd_t *s, parley_httpd_conn_t *c, uint64_t now) {
  const parley_httpd_limits_t *l = &s->limits;
  size_t in;

  if (c->closing || c->phase == PARLEY_CONN_BUSY || !c->sock)
    return;
  in = c->sock->input->size;
  if (c->phase == PARLEY_CONN_IDLE) {
    if (in == 0) {
      if (now - c->since >= l->idle_timeout_ms)
        parley_httpd_drop(s, c, &s->stats.timeouts_idle);
      return;
    }
    c->phase = PARLEY_CONN_HEAD;
    c->since = now;
    memset(&c->scan, 0, sizeof c->scan);
  }
  if (c->phase == PARLEY_CONN_HEAD) {
    switch (parley_head_scan(&c->scan, c->sock->input->bytes, in, l->max_request_line,
                             l->max_header_bytes, l->max_headers)) {
    case PARLEY_HEAD_PARTIAL:
      if (now - c->since >= l->header_timeout_ms)
        parley_httpd_drop(s, c, &s->stats.timeouts_header);
      return;
    case PARLEY_HEAD_COMPLETE:
      c->phase = PARLEY_CONN_BODY;
      c->since = now;
      return;
    case PARLEY_HEAD_LINE_TOO_LONG:
      parley_httpd_drop(s, c, &s->stats.rejected_line_too_long);
      return;
    case PARLEY_HEAD_TOO_LARGE:
      parley_httpd_drop(s, c, &s->stats.rejected_header_too_large);
      return;
    case PARLEY_HEAD_TOO_MANY:
      parley_httpd_drop(s, c, &s->stats.rejected_too_many_headers);
      return;
    }
  }
  if (c->phase == PARLEY_CONN_BODY && now - c->since >= l->body_timeout_ms)
    parley_httpd_drop(s, c, &s->stats.timeouts_body);
}

static void parley_httpd_on_sweep(uv_timer_t *t) {
  parley_httpd_t *s = t->data;
  uint64_t now = uv_now(s->loop);
  parley_httpd_conn_t *c;

  for (c = s->conns; c; c = c->next)
    parley_httpd_sweep_conn(s, c, now);
}

void parley_httpd_stats(const parley_httpd_t *s, parley_httpd_stats_t *out) {
  if (!s || !out)
    return;
  *out = s->stats;
  out->connections = s->nconns;
  out->addresses = parley_peer_addresses(s->peers);
}

/* Shuts the socket underneath h2o rather than closing it: h2o then sees
 * EOF (or a write error) and tears the connection down itself, so none of
 * its state is freed behind its back. */
static void parley_httpd_shutdown_conns(parley_httpd_t *s, int how) {
  parley_httpd_conn_t *c;
  uv_os_fd_t fd;

  for (c = s->conns; c; c = c->next)
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0)
      shutdown(fd, how);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

/* libuv writes with write(2): a client that hung up would kill the whole
 * process with SIGPIPE. Ignore it unless the program installed a handler. */
static void parley_httpd_ignore_sigpipe(void) {
  struct sigaction sa;

  if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGPIPE, &sa, NULL);
  }
}

static uint64_t parley_httpd_or(uint64_t v, uint64_t dflt) { return v ? v : dflt; }

/* The options' limits with defaults in place of zeros. */
static parley_httpd_limits_t parley_httpd_resolve(const parley_httpd_limits_t *in) {
  parley_httpd_limits_t l;

  l.header_timeout_ms = parley_httpd_or(in->header_timeout_ms, PARLEY_HTTPD_DEFAULT_HEADER_TIMEOUT_MS);
  l.body_timeout_ms = parley_httpd_or(in->body_timeout_ms, PARLEY_HTTPD_DEFAULT_BODY_TIMEOUT_MS);
  l.idle_timeout_ms = parley_httpd_or(in->idle_timeout_ms, PARLEY_HTTPD_DEFAULT_IDLE_TIMEOUT_MS);
  l.max_per_client = in->max_per_client;
  l.max_header_bytes = parley_httpd_or(in->max_header_bytes, PARLEY_HTTPD_DEFAULT_MAX_HEADER_BYTES);
  l.max_headers = parley_httpd_or(in->max_headers, H2O_MAX_HEADERS);
  l.max_request_line = parley_httpd_or(in->max_request_line, PARLEY_HTTPD_DEFAULT_MAX_REQUEST_LINE);
  l.max_requests = in->max_requests;
  return l;
}

/* A quarter of the shortest timeout, within [50 ms, 1 s]. */
static uint64_t parley_httpd_sweep_interval(const parley_httpd_limits_t *l) {
  uint64_t m = l->header_timeout_ms;

  if (l->body_timeout_ms < m)
    m = l->body_timeout_ms;
  if (l->idle_timeout_ms < m)
    m = l->idle_timeout_ms;
  m /= 4;
  return m < 50 ? 50 : m > 1000 ? 1000 : m;
}

int parley_httpd_new(parley_httpd_t **out, uv_loop_t *loop, const parley_httpd_options_t *o,
                     parley_error_t *err) {
  parley_httpd_t *s;
  parley_httpd_h2o_handler_t *handler;
  h2o_hostconf_t *host;
  h2o_pathconf_t *path;
  int fd, port, rc;

  if (!out || !loop || !o)
    return parley_error_set(err, PARLEY_EINVAL, "http server: missing argument");
  *out = NULL;
  if ((rc = parley_httpd_bind(o->listen, &fd, &port, err)) != 0)
    return rc;
  parley_httpd_ignore_sigpipe();
  if (!(s = calloc(1, sizeof *s))) {
    close(fd);
    return parley_error_set(err, PARLEY_ENOMEM, "http server: out of memory");
  }
  s->loop = loop;
  s->port = port;
  s->max_connections = o->max_connections ? o->max_connections : SIZE_MAX;
  s->limits = parley_httpd_resolve(&o->limits);
  s->sweep_ms = parley_httpd_sweep_interval(&s->limits);
  if (!(s->peers = parley_peer_table_new())) {
    close(fd);
    free(s);
    return parley_error_set(err, PARLEY_ENOMEM, "http server: out of memory");
  }
  if (uv_tcp_init(loop, &s->listener) != 0 || uv_tcp_open(&s->listener, fd) != 0) {
    close(fd); /* only reachable if libuv runs out of memory; handle not yet open */
    parley_peer_table_free(s->peers);
    free(s);
    return parley_error_set(err, PARLEY_EIO, "http server: cannot adopt socket for %s",
                            o->listen);
  }
  s->listener.data = s;
  s->listener_open = 1;
  rc = uv_listen((uv_stream_t *)&s->listener, PARLEY_HTTPD_BACKLOG, parley_httpd_on_connection);

  h2o_config_init(&s->conf);
  s->conf.server_name = h2o_iovec_init(H2O_STRLIT("parley"));
  s->conf.max_request_entity_size = o->max_body ? o->max_body : PARLEY_HTTPD_DEFAULT_MAX_BODY;
  s->conf.http1.upgrade_to_http2 = 0;
  /* h2o's one timeout runs from the end of an answer to a complete next
   * request: a backstop behind our phases (two sweeps late). */
  s->conf.http1.req_timeout = s->limits.idle_timeout_ms + s->limits.header_timeout_ms +
                              s->limits.body_timeout_ms + 2 * s->sweep_ms;
  host = h2o_config_register_host(&s->conf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  path = h2o_config_register_path(host, "/", 0);
  handler = (parley_httpd_h2o_handler_t *)h2o_create_handler(path, sizeof *handler);
  handler->super.on_req = parley_httpd_on_req;
  handler->server = s;
  h2o_context_init(&s->ctx, loop, &s->conf);
  s->accept.ctx = &s->ctx;
  s->accept.hosts = s->conf.hosts;
  uv_timer_init(loop, &s->grace);
  s->grace.data = s;
  uv_idle_init(loop, &s->last);
  s->last.data = s;
  uv_timer_init(loop, &s->sweep);
  s->sweep.data = s;
  if (rc == 0)
    uv_timer_start(&s->sweep, parley_httpd_on_sweep, s->sweep_ms, s->sweep_ms);
  *out = s;
  if (rc != 0) {
    parley_httpd_close(s, NULL, NULL);
    s->self_free = 1;
    *out = NULL; /* released on the loop's next turn */
    return parley_error_set(err, PARLEY_EIO, "http server: cannot listen on %s: %s", o->listen,
                            uv_strerror(rc));
  }
  return 0;
}

int parley_httpd_port(parley_httpd_t *s) { return s ? s->port : PARLEY_EINVAL; }

int parley_httpd_route(parley_httpd_t *s, const char *prefix, parley_httpd_handler h,
                       void *data) {
  parley_httpd_route_entry_t *routes;
  size_t i;

  if (!s || !prefix || !h)
    return PARLEY_EINVAL;
  for (i = 0; i < s->nroutes; i++)
    if (strcmp(s->routes[i].prefix, prefix) == 0)
      return PARLEY_EDUP;
  if (!(routes = realloc(s->routes, (s->nroutes + 1) * sizeof *routes)))
    return PARLEY_ENOMEM;
  s->routes = routes;
  if (!(routes[s->nroutes].prefix = strdup(prefix)))
    return PARLEY_ENOMEM;
  routes[s->nroutes].len = strlen(prefix);
  routes[s->nroutes].handler = h;
  routes[s->nroutes].data = data;
  s->nroutes++;
  return 0;
}

int parley_httpd_unroute(parley_httpd_t *s, const char *prefix) {
  size_t i;

  if (!s || !prefix)
    return PARLEY_EINVAL;
  for (i = 0; i < s->nroutes; i++) {
    if (strcmp(s->routes[i].prefix, prefix) == 0) {
      free(s->routes[i].prefix);
      s->routes[i] = s->routes[--s->nroutes];
      return 0;
    }
  }
  return PARLEY_ENOENT;
}

static void parley_httpd_on_last_closed(uv_handle_t *h) {
  parley_httpd_t *s = h->data;

  s->state = PARLEY_HTTPD_CLOSED;
  if (s->self_free)
    parley_httpd_free(s); /* failed parley_httpd_new(): nobody holds s */
  else if (s->close_cb)
    s->close_cb(s->close_data);
}

static void parley_httpd_on_sweep_closed(uv_handle_t *h) {
  parley_httpd_t *s = h->data;
  uv_close((uv_handle_t *)&s->last, parley_httpd_on_last_closed);
}

static void parley_httpd_on_grace_closed(uv_handle_t *h) {
  parley_httpd_t *s = h->data;
  uv_close((uv_handle_t *)&s->sweep, parley_httpd_on_sweep_closed);
}

/* h2o_context_dispose() (libuv build) runs uv_run(NOWAIT) itself to finish
 * closing its timers, so it is called from an idle callback, where a nested
 * loop turn is harmless, rather than from deep inside a close callback. */
static void parley_httpd_on_finish_idle(uv_idle_t *idle) {
  parley_httpd_t *s = idle->data;

  uv_idle_stop(idle);
  h2o_context_dispose(&s->ctx);
  uv_close((uv_handle_t *)&s->grace, parley_httpd_on_grace_closed);
}

static void parley_httpd_maybe_finish(parley_httpd_t *s) {
  if (s->state != PARLEY_HTTPD_CLOSING || s->listener_open || s->nconns > 0 ||
      s->finishing)
    return;
  s->finishing = 1;
  uv_timer_stop(&s->grace);
  uv_idle_start(&s->last, parley_httpd_on_finish_idle);
}

static void parley_httpd_on_listener_closed(uv_handle_t *h) {
  parley_httpd_t *s = h->data;
  s->listener_open = 0;
  parley_httpd_maybe_finish(s);
}

static void parley_httpd_on_grace(uv_timer_t *t) {
  parley_httpd_shutdown_conns(t->data, SHUT_RDWR);
}

/* Pending requests get 503; running streams are finished and their owner
 * told through on_close. Both stay allocated until the handler releases them. */
static void parley_httpd_abort_requests(parley_httpd_t *s) {
  parley_httpd_req_t *st;

  while ((st = s->reqs) != NULL) {
    parley_httpd_req_unlink(st);
    if (!st->link || st->user_done)
      continue; /* an ended stream still flushing finishes by itself */
    if (!st->streaming) {
      parley_httpd_answer(st, 503, NULL, "server shutting down\n", 21, NULL);
      st->gone = 1;
      continue;
    }
    st->gone = 1;
    if (st->busy)
      st->final_pending = 1;
    else
      parley_httpd_stream_finish(st);
    if (st->on_close)
      st->on_close(st, st->on_close_data);
  }
}

void parley_httpd_close(parley_httpd_t *s, void (*cb)(void *data), void *data) {
  if (!s || s->state != PARLEY_HTTPD_RUNNING)
    return;
  s->state = PARLEY_HTTPD_CLOSING;
  uv_timer_stop(&s->sweep);
  s->close_cb = cb;
  s->close_data = data;
  uv_close((uv_handle_t *)&s->listener, parley_httpd_on_listener_closed);
  parley_httpd_abort_requests(s);
  /* No h2o_context_request_shutdown(): it only matters to HTTP/2 (off
   * here) and leaves a timer entry that h2o_context_dispose asserts on. */
  /* Idle keep-alive connections see EOF at once; busy ones after their
   * answer is written. */
  parley_httpd_shutdown_conns(s, SHUT_RD);
  uv_timer_start(&s->grace, parley_httpd_on_grace, PARLEY_HTTPD_CLOSE_GRACE_MS, 0);
  uv_unref((uv_handle_t *)&s->grace);
}

void parley_httpd_free(parley_httpd_t *s) {
  size_t i;

  if (!s)
    return;
  for (i = 0; i < s->nroutes; i++)
    free(s->routes[i].prefix);
  free(s->routes);
  free(s->byfd);
  parley_peer_table_free(s->peers);
  h2o_config_dispose(&s->conf);
  free(s);
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */
/* ------------------------------------------------------------------ */

const char *parley_httpd_req_method(const parley_httpd_req_t *r) { return r ? r->method : NULL; }
const char *parley_httpd_req_path(const parley_httpd_req_t *r) { return r ? r->path : NULL; }
const char *parley_httpd_req_query(const parley_httpd_req_t *r) { return r ? r->query : NULL; }

int parley_httpd_req_peer(const parley_httpd_req_t *r, uint8_t key[16]) {
  if (!r || !r->has_peer)
    return PARLEY_ENOENT;
  memcpy(key, r->peer, 16);
  return 0;
}

const char *parley_httpd_req_header(const parley_httpd_req_t *r, const char *name) {
  size_t i;

  if (!r || !name)
    return NULL;
  for (i = 0; i < r->nheaders; i++)
    if (strcasecmp(r->headers[i].name, name) == 0)
      return r->headers[i].value;
  return NULL;
}

const char *parley_httpd_req_body(const parley_httpd_req_t *r, size_t *len) {
  if (len)
    *len = r ? r->body_len : 0;
  return r ? r->body : NULL;
}

void parley_httpd_req_set_data(parley_httpd_req_t *r, void *data) {
  if (r)
    r->user = data;
}

void *parley_httpd_req_data(const parley_httpd_req_t *r) { return r ? r->user : NULL; }

static int parley_httpd_hex(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes s[0..n) (%XX and '+') into out (NULL to only measure); returns
 * the decoded length. A '%' not followed by two hex digits stays as is. */
static size_t parley_httpd_unescape(const char *s, size_t n, char *out) {
  size_t i, o = 0;

  for (i = 0; i < n; i++, o++) {
    char c = s[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%' && i + 2 < n && parley_httpd_hex(s[i + 1]) >= 0 &&
               parley_httpd_hex(s[i + 2]) >= 0) {
      c = (char)(parley_httpd_hex(s[i + 1]) * 16 + parley_httpd_hex(s[i + 2]));
      i += 2;
    }
    if (out)
      out[o] = c;
  }
  return o;
}

static int parley_httpd_name_is(const char *s, size_t n, const char *name) {
  size_t len = parley_httpd_unescape(s, n, NULL);
  char small[256], *buf = small;
  int eq;

  if (len != strlen(name))
    return 0;
  if (len >= sizeof small && !(buf = malloc(len + 1)))
    return 0;
  parley_httpd_unescape(s, n, buf);
  eq = memcmp(buf, name, len) == 0;
  if (buf != small)
    free(buf);
  return eq;
}

int parley_httpd_req_query_param(const parley_httpd_req_t *r, const char *name, char *buf,
                                 size_t buflen) {
  const char *p, *end, *amp, *eq;
  size_t vlen;

  if (!r || !name || (!buf && buflen))
    return PARLEY_EINVAL;
  for (p = r->query; *p; p = *amp ? amp + 1 : amp) {
    amp = strchr(p, '&');
    if (!amp)
      amp = p + strlen(p);
    eq = memchr(p, '=', (size_t)(amp - p));
    end = eq ? eq : amp;
    if (!parley_httpd_name_is(p, (size_t)(end - p), name))
      continue;
    p = eq ? eq + 1 : amp;
    vlen = parley_httpd_unescape(p, (size_t)(amp - p), NULL);
    if (vlen + 1 > buflen)
      return PARLEY_ENOBUFS;
    parley_httpd_unescape(p, (size_t)(amp - p), buf);
    buf[vlen] = '\0';
    return (int)vlen;
  }
  return PARLEY_ENOENT;
}
