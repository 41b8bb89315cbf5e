/* parley core — outgoing HTTP on the router's loop.
 *
 * libcurl's multi interface does the protocol work; libuv tells it when a
 * socket is ready (one uv_poll_t per socket curl asks us to watch, via
 * CURLMOPT_SOCKETFUNCTION) and when its timeout expires (one uv_timer_t,
 * via CURLMOPT_TIMERFUNCTION). Finished transfers are read with
 * curl_multi_info_read() after each curl_multi_socket_action().
 *
 * User callbacks never run inside a libcurl call that the user made, nor
 * inside parley_httpc_request(): cancellations are completed from a uv_idle
 * callback, since curl forbids removing a handle from within its own
 * callbacks (where a cancel may well come from, e.g. inside on_chunk). */
#include "http_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#define PARLEY_HTTPC_DEFAULT_TIMEOUT_MS 30000u
#define PARLEY_HTTPC_DEFAULT_MAX_RESPONSE ((size_t)16 << 20)

/* A socket curl asked us to watch; poll first for the uv close callback. */
typedef struct parley_httpc_sock {
  uv_poll_t poll;
  curl_socket_t fd;
  parley_httpc_t *c;
  struct parley_httpc_sock *prev, *next;
} parley_httpc_sock_t;

struct parley_http {
  parley_httpc_t *c;
  CURL *easy;
  struct parley_http *prev, *next;
  struct curl_slist *req_headers;
  parley_stream_cb on_chunk;
  parley_http_cb cb;
  void *data;
  char *body;
  size_t body_len, body_cap, max_response;
  char **headers; /* "name\0value" each */
  size_t nheaders, headers_cap;
  int result;   /* our own failure (PARLEY_ETOOBIG, PARLEY_ECANCELED), or 0 */
  int canceled;
  int done;     /* its callback is running: cancel is a no-op */
  char errbuf[CURL_ERROR_SIZE];
};

struct parley_httpc {
  uv_loop_t *loop;
  CURLM *multi;
  uv_timer_t timer;  /* curl's timeout */
  uv_idle_t later;   /* completes cancellations, finishes close */
  parley_http_t *transfers;
  size_t active;
  size_t ncanceled;
  parley_httpc_sock_t *socks;
  int tls_verify;    /* for transfers started from now on */
  char *ca_file;     /* NULL: the system store */
  int closing;
  int pending_closes; /* uv handles whose close callback has not run */
  void (*close_cb)(void *data);
  void *close_data;
};

static void parley_httpc_check_done(parley_httpc_t *c);
static void parley_httpc_schedule(parley_httpc_t *c);

/* ------------------------------------------------------------------ */
/* Sockets and timer: curl -> uv                                       */
/* ------------------------------------------------------------------ */

static void parley_httpc_on_sock_closed(uv_handle_t *h) {
  parley_httpc_sock_t *s = (parley_httpc_sock_t *)h;
  parley_httpc_t *c = s->c;

  free(s);
  if (--c->pending_closes == 0 && c->closing && !c->multi && c->close_cb)
    c->close_cb(c->close_data);
}

static void parley_httpc_sock_close(parley_httpc_sock_t *s) {
  parley_httpc_t *c = s->c;

  if (s->prev)
    s->prev->next = s->next;
  else
    c->socks = s->next;
  if (s->next)
    s->next->prev = s->prev;
  uv_poll_stop(&s->poll);
  c->pending_closes++;
  uv_close((uv_handle_t *)&s->poll, parley_httpc_on_sock_closed);
}

static void parley_httpc_on_poll(uv_poll_t *p, int status, int events) {
  parley_httpc_sock_t *s = (parley_httpc_sock_t *)p;
  parley_httpc_t *c = s->c;
  int flags = 0, running;

  if (status < 0)
    flags = CURL_CSELECT_ERR;
  if (events & UV_READABLE)
    flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE)
    flags |= CURL_CSELECT_OUT;
  /* s stays valid: a socket curl drops is only freed in its close callback */
  curl_multi_socket_action(c->multi, s->fd, flags, &running);
  parley_httpc_check_done(c);
}

static int parley_httpc_on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
                                  void *socketp) {
  parley_httpc_t *c = userp;
  parley_httpc_sock_t *s = socketp;
  int events = 0;

  if (what == CURL_POLL_REMOVE) {
    if (s) {
      curl_multi_assign(c->multi, fd, NULL);
      parley_httpc_sock_close(s);
    }
    return 0;
  }
  if (!s) {
    if (!(s = calloc(1, sizeof *s)))
      return -1;
    if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
      free(s);
      return -1;
    }
    s->fd = fd;
    s->c = c;
    s->next = c->socks;
    if (c->socks)
      c->socks->prev = s;
    c->socks = s;
    curl_multi_assign(c->multi, fd, s);
  }
  if (what & CURL_POLL_IN)
    events |= UV_READABLE;
  if (what & CURL_POLL_OUT)
    events |= UV_WRITABLE;
  uv_poll_start(&s->poll, events, parley_httpc_on_poll);
  return 0;
}

static void parley_httpc_on_timer(uv_timer_t *t) {
  parley_httpc_t *c = t->data;
  int running;

  curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  parley_httpc_check_done(c);
}

/* curl forbids calling it back from here: just arm the uv timer. */
static int parley_httpc_on_timeout(CURLM *multi, long timeout_ms, void *userp) {
  parley_httpc_t *c = userp;

  if (timeout_ms < 0)
    uv_timer_stop(&c->timer);
  else
    uv_timer_start(&c->timer, parley_httpc_on_timer, (uint64_t)timeout_ms, 0);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Transfers                                                           */
/* ------------------------------------------------------------------ */

static void parley_httpc_free_headers(parley_http_t *t) {
  size_t i;

  for (i = 0; i < t->nheaders; i++)
    free(t->headers[i]);
  t->nheaders = 0;
}

static void parley_httpc_transfer_free(parley_http_t *t) {
  parley_httpc_free_headers(t);
  free(t->headers);
  free(t->body);
  curl_slist_free_all(t->req_headers);
  curl_easy_cleanup(t->easy);
  free(t);
}

static int parley_httpc_status_of(parley_http_t *t, CURLcode rc) {
  if (t->result)
    return t->result;
  switch (rc) {
  case CURLE_OK: return 0;
  case CURLE_OPERATION_TIMEDOUT: return PARLEY_ETIMEDOUT;
  case CURLE_FILESIZE_EXCEEDED: return PARLEY_ETOOBIG;
  case CURLE_OUT_OF_MEMORY: return PARLEY_ENOMEM;
  case CURLE_URL_MALFORMAT:
  case CURLE_UNSUPPORTED_PROTOCOL: return PARLEY_EINVAL;
  default: return PARLEY_ENETWORK;
  }
}

/* Failures of the TLS layer, whose curl messages ("SSL certificate
 * problem: ...") do not always say so to someone who reads only the
 * status page. */
static int parley_httpc_is_tls_error(CURLcode rc) {
  switch (rc) {
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CLIENTCERT: return 1;
  default: return 0;
  }
}

/* Finishes t: out of curl, out of the list, one callback, freed. */
static void parley_httpc_complete(parley_http_t *t, CURLcode rc) {
  parley_httpc_t *c = t->c;
  parley_http_response_t res;
  char msg[CURL_ERROR_SIZE + 64];

  curl_multi_remove_handle(c->multi, t->easy);
  if (t->prev)
    t->prev->next = t->next;
  else
    c->transfers = t->next;
  if (t->next)
    t->next->prev = t->prev;
  c->active--;
  if (t->canceled)
    c->ncanceled--;
  t->done = 1;

  memset(&res, 0, sizeof res);
  res.status = parley_httpc_status_of(t, rc);
  if (res.status == 0) {
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &res.http_status);
    if (!t->on_chunk) {
      res.body = t->body ? t->body : "";
      res.body_len = t->body_len;
    }
  } else if (res.status == PARLEY_ECANCELED) {
    res.error = "request canceled";
  } else if (res.status == PARLEY_ETOOBIG) {
    snprintf(msg, sizeof msg, "response body larger than %zu bytes", t->max_response);
    res.error = msg;
  } else {
    const char *why = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
    if (parley_httpc_is_tls_error(rc)) {
      snprintf(msg, sizeof msg, "TLS: %s", why);
      why = msg;
    }
    res.error = why;
  }
  t->cb(t, &res, t->data);
  parley_httpc_transfer_free(t);
}

static void parley_httpc_check_done(parley_httpc_t *c) {
  CURLMsg *m;
  int left;

  while (c->multi && (m = curl_multi_info_read(c->multi, &left)) != NULL) {
    parley_http_t *t = NULL;
    if (m->msg != CURLMSG_DONE)
      continue;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
    parley_httpc_complete(t, m->data.result);
  }
}

static size_t parley_httpc_on_body(char *p, size_t size, size_t n, void *userp) {
  parley_http_t *t = userp;
  size_t len = size * n;

  if (t->canceled)
    return 0; /* aborts; completed as canceled */
  if (t->on_chunk) {
    t->on_chunk(t, p, len, t->data);
    return t->canceled ? 0 : len;
  }
  if (len > t->max_response - t->body_len) {
    t->result = PARLEY_ETOOBIG;
    return 0;
  }
  if (t->body_len + len + 1 > t->body_cap) {
    size_t cap = t->body_cap ? t->body_cap : 4096;
    char *b;
    while (cap < t->body_len + len + 1)
      cap *= 2;
    if (!(b = realloc(t->body, cap))) {
      t->result = PARLEY_ENOMEM;
      return 0;
    }
    t->body = b;
    t->body_cap = cap;
  }
  memcpy(t->body + t->body_len, p, len);
  t->body_len += len;
  t->body[t->body_len] = '\0';
  return len;
}

/* Keeps the headers of the last response (a 100 Continue or a proxy's
 * answer comes first and is dropped when the next status line arrives). */
static size_t parley_httpc_on_header(char *p, size_t size, size_t n, void *userp) {
  parley_http_t *t = userp;
  size_t len = size * n, nlen, vlen;
  const char *colon, *v, *end = p + len;
  char *h;

  if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
    parley_httpc_free_headers(t);
    return len;
  }
  if (!(colon = memchr(p, ':', len)) || colon == p)
    return len; /* the blank line, or junk */
  nlen = (size_t)(colon - p);
  for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
    ;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
    end--;
  vlen = (size_t)(end - v);
  if (t->nheaders == t->headers_cap) {
    size_t cap = t->headers_cap ? t->headers_cap * 2 : 16;
    char **hs = realloc(t->headers, cap * sizeof *hs);
    if (!hs)
      return len; /* a header is lost, the transfer goes on */
    t->headers = hs;
    t->headers_cap = cap;
  }
  if (!(h = malloc(nlen + vlen + 2)))
    return len;
  memcpy(h, p, nlen);
  h[nlen] = '\0';
  memcpy(h + nlen + 1, v, vlen);
  h[nlen + 1 + vlen] = '\0';
  t->headers[t->nheaders++] = h;
  return len;
}

const char *parley_httpc_header(parley_http_t *h, const char *name) {
  size_t i;

  if (!h || !name)
    return NULL;
  for (i = h->nheaders; i-- > 0;) /* the last one wins if repeated */
    if (strcasecmp(h->headers[i], name) == 0)
      return h->headers[i] + strlen(h->headers[i]) + 1;
  return NULL;
}

static int parley_httpc_setup(parley_http_t *t, const parley_http_request_t *req) {
  const char *const *h;
  const char *m = req->method ? req->method : "GET";
  CURL *e = t->easy;
  int has_expect = 0;

  for (h = req->headers; h && *h; h++) {
    struct curl_slist *l = curl_slist_append(t->req_headers, *h);
    if (!l)
      return PARLEY_ENOMEM;
    t->req_headers = l;
    if (strncasecmp(*h, "Expect:", 7) == 0)
      has_expect = 1;
  }
  if (!has_expect) { /* no 100-continue round trip before the body */
    struct curl_slist *l = curl_slist_append(t->req_headers, "Expect:");
    if (!l)
      return PARLEY_ENOMEM;
    t->req_headers = l;
  }
  if (curl_easy_setopt(e, CURLOPT_URL, req->url) != CURLE_OK)
    return PARLEY_ENOMEM;
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PRIVATE, t);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->req_headers);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "parley");
  if (!t->c->tls_verify) { /* both: a wrong name is as unchecked as a wrong CA */
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (t->c->ca_file) {
    /* instead of the system store, not beside it: CAPATH NULL drops the
     * built-in directory (/etc/ssl/certs on Debian) */
    if (curl_easy_setopt(e, CURLOPT_CAINFO, t->c->ca_file) != CURLE_OK)
      return PARLEY_ENOMEM;
    curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
  }
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                   (long)(req->timeout_ms ? req->timeout_ms : PARLEY_HTTPC_DEFAULT_TIMEOUT_MS));
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, parley_httpc_on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, parley_httpc_on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
  if (!t->on_chunk) /* refuse early when Content-Length already says too big */
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->max_response);
  if (req->body) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    if (curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body) != CURLE_OK)
      return PARLEY_ENOMEM;
  }
  if (strcmp(m, "HEAD") == 0)
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  else if (strcmp(m, "GET") == 0 && !req->body)
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  else if (strcmp(m, "POST") != 0)
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
  else if (!req->body) /* a POST without a body still says Content-Length: 0 */
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
  return 0;
}

int parley_httpc_request(parley_httpc_t *c, const parley_http_request_t *req,
                         parley_stream_cb on_chunk, parley_http_cb cb, void *data,
                         parley_http_t **out) {
  parley_http_t *t;
  int rc;

  if (out)
    *out = NULL;
  if (!c || !req || !req->url || !cb)
    return PARLEY_EINVAL;
  if (c->closing)
    return PARLEY_ESTATE;
  if (!(t = calloc(1, sizeof *t)))
    return PARLEY_ENOMEM;
  t->c = c;
  t->on_chunk = on_chunk;
  t->cb = cb;
  t->data = data;
  t->max_response = req->max_response ? req->max_response : PARLEY_HTTPC_DEFAULT_MAX_RESPONSE;
  rc = PARLEY_ENOMEM;
  if (!(t->easy = curl_easy_init()) || (rc = parley_httpc_setup(t, req)) != 0 ||
      (rc = curl_multi_add_handle(c->multi, t->easy) == CURLM_OK ? 0 : PARLEY_ENOMEM) != 0) {
    parley_httpc_transfer_free(t);
    return rc;
  }
  t->next = c->transfers;
  if (c->transfers)
    c->transfers->prev = t;
  c->transfers = t;
  c->active++;
  if (out)
    *out = t;
  return 0;
}

void parley_httpc_cancel(parley_http_t *h) {
  if (!h || h->canceled || h->done)
    return;
  h->canceled = 1;
  h->result = PARLEY_ECANCELED;
  h->c->ncanceled++;
  parley_httpc_schedule(h->c);
}

size_t parley_httpc_active(parley_httpc_t *c) { return c ? c->active : 0; }

int parley_httpc_set_tls(parley_httpc_t *c, int verify, const char *ca_file,
                         parley_error_t *err) {
  char *copy = NULL;

  if (!c)
    return parley_error_set(err, PARLEY_EINVAL, "http client: set_tls without a client");
  if (ca_file && !(copy = strdup(ca_file)))
    return parley_error_set(err, PARLEY_ENOMEM, "http client: out of memory copying ca_file");
  free(c->ca_file);
  c->ca_file = copy;
  c->tls_verify = verify != 0;
  return 0;
}

/* curl's URL API parses the way the transfer will, so what is cut here is
 * what curl would have sent as user info or query. */
const char *parley_httpc_url_for_log(const char *url, char *out, size_t outlen) {
  static const CURLUPart drop[] = {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS,
                                   CURLUPART_QUERY, CURLUPART_FRAGMENT};
  CURLU *u = curl_url();
  char *s = NULL;
  size_t i;

  if (!out || outlen == 0)
    return out;
  if (u && url && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
    for (i = 0; i < sizeof drop / sizeof drop[0]; i++)
      curl_url_set(u, drop[i], NULL, 0);
    if (curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
      s = NULL;
  }
  snprintf(out, outlen, "%s", s ? s : "(unparsable URL)");
  curl_free(s);
  curl_url_cleanup(u);
  return out;
}

/* ------------------------------------------------------------------ */
/* Deferred work: cancellations and close                              */
/* ------------------------------------------------------------------ */

static void parley_httpc_on_handle_closed(uv_handle_t *h) {
  parley_httpc_t *c = h->data;

  if (--c->pending_closes == 0 && c->close_cb)
    c->close_cb(c->close_data);
}

/* Everything is canceled and completed: release curl and the uv handles. */
static void parley_httpc_finish_close(parley_httpc_t *c) {
  curl_multi_cleanup(c->multi); /* may still ask to stop watching sockets */
  c->multi = NULL;
  while (c->socks)
    parley_httpc_sock_close(c->socks);
  uv_timer_stop(&c->timer);
  c->pending_closes += 2;
  uv_close((uv_handle_t *)&c->timer, parley_httpc_on_handle_closed);
  uv_close((uv_handle_t *)&c->later, parley_httpc_on_handle_closed);
}

static void parley_httpc_on_later(uv_idle_t *idle) {
  parley_httpc_t *c = idle->data;
  parley_http_t *t;

  uv_idle_stop(idle);
  /* restart the scan after each callback: it may cancel or add transfers */
  while (c->ncanceled > 0) {
    for (t = c->transfers; t && !t->canceled; t = t->next)
      ;
    if (!t)
      break;
    parley_httpc_complete(t, CURLE_ABORTED_BY_CALLBACK);
  }
  if (c->closing && c->active == 0 && c->multi)
    parley_httpc_finish_close(c);
}

static void parley_httpc_schedule(parley_httpc_t *c) {
  if (!uv_is_closing((uv_handle_t *)&c->later))
    uv_idle_start(&c->later, parley_httpc_on_later);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

int parley_httpc_new(parley_httpc_t **out, uv_loop_t *loop, parley_error_t *err) {
  parley_httpc_t *c;

  if (!out || !loop)
    return parley_error_set(err, PARLEY_EINVAL, "http client: missing argument");
  *out = NULL;
  /* Thread-safe since libcurl 7.84; later calls only count references. */
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return parley_error_set(err, PARLEY_EIO, "http client: libcurl failed to initialise");
  if (!(c = calloc(1, sizeof *c)) || !(c->multi = curl_multi_init())) {
    free(c);
    curl_global_cleanup();
    return parley_error_set(err, PARLEY_ENOMEM, "http client: out of memory");
  }
  c->loop = loop;
  c->tls_verify = 1;
  curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, parley_httpc_on_socket);
  curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
  curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, parley_httpc_on_timeout);
  curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
  uv_timer_init(loop, &c->timer);
  c->timer.data = c;
  uv_idle_init(loop, &c->later);
  c->later.data = c;
  *out = c;
  return 0;
}

void parley_httpc_close(parley_httpc_t *c, void (*cb)(void *data), void *data) {
  parley_http_t *t;

  if (!c || c->closing)
    return;
  c->closing = 1;
  c->close_cb = cb;
  c->close_data = data;
  for (t = c->transfers; t; t = t->next)
    parley_httpc_cancel(t);
  parley_httpc_schedule(c); /* also when nothing is in flight */
}

void parley_httpc_free(parley_httpc_t *c) {
  if (!c)
    return;
  free(c->ca_file);
  free(c);
  curl_global_cleanup();
}
