/* parleyctl — HTTP to parleyd with libcurl's easy interface: one request
 * and its answer, or a text/event-stream followed until it ends. Errors
 * become the exit codes of ctl.h with one clear line on stderr: a server
 * that cannot be reached names the URL, an error answer names the HTTP
 * status and the server's own error. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "ctl.h"

#define CONNECT_TIMEOUT_S 5L
#define REQUEST_TIMEOUT_S 120L /* an action waits for the platform's answer */

void parley_ctl_err(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("parleyctl: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

typedef struct buf {
  char *p;
  size_t n, cap;
} buf_t;

static int buf_add(buf_t *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->n + n + 1)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
      return -1;
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
  return 0;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *data) {
  return buf_add(data, ptr, size * nmemb) == 0 ? size * nmemb : 0;
}

/* The exit code for a failed transfer, with its message. */
static int transfer_error(const parley_ctl_t *ctl, CURLcode rc, const char *errbuf) {
  const char *why = *errbuf ? errbuf : curl_easy_strerror(rc);
  switch (rc) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING:
    parley_ctl_err("cannot connect to parleyd at %s: %s (is parleyd running? set --url or "
                   "PARLEY_URL)", ctl->url, why);
    return PARLEY_CTL_ECONNECT;
  case CURLE_URL_MALFORMAT:
  case CURLE_UNSUPPORTED_PROTOCOL:
    parley_ctl_err("bad URL %s: %s", ctl->url, why);
    return PARLEY_CTL_EUSAGE;
  default:
    parley_ctl_err("request to %s failed: %s", ctl->url, why);
    return PARLEY_CTL_EAPI;
  }
}

/* An easy handle for ctl->url + path with the token header in *hdrs. */
static CURL *easy_for(const parley_ctl_t *ctl, const char *path, struct curl_slist **hdrs,
                      char *errbuf) {
  CURL *c = curl_easy_init();
  if (!c)
    return NULL;
  size_t n = strlen(ctl->url) + strlen(path) + 1;
  char *url = malloc(n);
  char *auth = ctl->token ? malloc(strlen(ctl->token) + 32) : NULL;
  if (!url || (ctl->token && !auth)) {
    free(url);
    free(auth);
    curl_easy_cleanup(c);
    return NULL;
  }
  snprintf(url, n, "%s%s", ctl->url, path);
  curl_easy_setopt(c, CURLOPT_URL, url); /* copied by libcurl */
  free(url);
  *hdrs = curl_slist_append(NULL, "Accept: application/json, text/event-stream");
  if (auth) {
    sprintf(auth, "Authorization: Bearer %s", ctl->token);
    *hdrs = curl_slist_append(*hdrs, auth);
    memset(auth, 0, strlen(auth));
    free(auth);
  }
  errbuf[0] = '\0';
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "parleyctl");
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  return c;
}

int parley_ctl_request(parley_ctl_t *ctl, const char *method, const char *path,
                       const char *body, parley_ctl_response_t *res) {
  char errbuf[CURL_ERROR_SIZE];
  struct curl_slist *hdrs = NULL;
  buf_t b = {0};
  memset(res, 0, sizeof *res);
  CURL *c = easy_for(ctl, path, &hdrs, errbuf);
  if (!c) {
    parley_ctl_err("out of memory");
    return PARLEY_CTL_EAPI;
  }
  if (body) {
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  }
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, REQUEST_TIMEOUT_S);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  CURLcode rc = curl_easy_perform(c);
  int out = PARLEY_CTL_OK;
  if (rc != CURLE_OK) {
    out = transfer_error(ctl, rc, errbuf);
    free(b.p);
  } else {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
    res->body = b.p ? b.p : calloc(1, 1);
    res->len = b.n;
  }
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(c);
  return out;
}

void parley_ctl_response_free(parley_ctl_response_t *res) {
  free(res->body);
  memset(res, 0, sizeof *res);
}

char *parley_ctl_error_text(const char *body, size_t len) {
  json_t *j = body && len ? json_loadb(body, len, 0, NULL) : NULL;
  const char *e = j ? json_string_value(json_object_get(j, "error")) : NULL;
  const char *m = j ? json_string_value(json_object_get(j, "message")) : NULL;
  buf_t b = {0};
  if (e || m) {
    if (e)
      buf_add(&b, e, strlen(e));
    if (e && m)
      buf_add(&b, ": ", 2);
    if (m)
      buf_add(&b, m, strlen(m));
  } else if (body) {
    size_t n = strcspn(body, "\r\n");
    buf_add(&b, body, n < len ? n : len);
  }
  json_decref(j);
  if (!b.p || !*b.p) {
    free(b.p);
    return strdup("(no error text)");
  }
  return b.p;
}

int parley_ctl_check(const parley_ctl_t *ctl, const char *method, const char *path,
                     const parley_ctl_response_t *res) {
  if (res->status >= 200 && res->status < 300)
    return PARLEY_CTL_OK;
  char *text = parley_ctl_error_text(res->body, res->len);
  parley_ctl_err("%s %s%s: HTTP %ld: %s%s%s", method, ctl->url, path, res->status,
                 text ? text : "", res->status == 401 ? "; token from " : "",
                 res->status == 401 ? ctl->token_from : "");
  free(text);
  return PARLEY_CTL_EAPI;
}

int parley_ctl_get_json(parley_ctl_t *ctl, const char *path, json_t **out) {
  parley_ctl_response_t res;
  int rc = parley_ctl_request(ctl, "GET", path, NULL, &res);
  if (rc == PARLEY_CTL_OK)
    rc = parley_ctl_check(ctl, "GET", path, &res);
  if (rc == PARLEY_CTL_OK) {
    json_error_t jerr;
    *out = json_loadb(res.body, res.len, 0, &jerr);
    if (!*out) {
      parley_ctl_err("GET %s%s: the answer is not JSON: %s", ctl->url, path, jerr.text);
      rc = PARLEY_CTL_EAPI;
    }
  }
  parley_ctl_response_free(&res);
  return rc;
}

char *parley_ctl_urlencode(const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  char *out = malloc(strlen(s) * 3 + 1), *p = out;
  if (!out)
    return NULL;
  for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
    if ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
        strchr("-._~", *q)) {
      *p++ = (char)*q;
    } else {
      *p++ = '%';
      *p++ = hex[*q >> 4];
      *p++ = hex[*q & 15];
    }
  }
  *p = '\0';
  return out;
}

/* ---- the event stream ---- */

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

typedef struct stream {
  CURL *c;
  long status;          /* 0 until the first body bytes */
  buf_t err;            /* the body of an error answer */
  parley_ctl_sse_t sse;
  parley_ctl_event_cb cb;
  void *data;
  int stopped;          /* the callback asked to stop */
} stream_t;

static size_t on_stream(char *ptr, size_t size, size_t nmemb, void *data) {
  stream_t *s = data;
  size_t n = size * nmemb;
  if (!s->status)
    curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->status);
  if (s->status != 200)
    return buf_add(&s->err, ptr, n) == 0 ? n : 0;
  int rc = parley_ctl_sse_feed(&s->sse, ptr, n, s->cb, s->data);
  if (rc != 0)
    s->stopped = 1;
  return rc == 0 ? n : 0;
}

static int on_progress(void *data, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
  (void)data, (void)a, (void)b, (void)c, (void)d;
  return stop_requested ? 1 : 0;
}

static int stream_result(parley_ctl_t *ctl, const char *path, stream_t *s, CURLcode rc,
                         const char *errbuf, int *resumable) {
  *resumable = 0;
  if (stop_requested || s->stopped)
    return PARLEY_CTL_OK;
  if (rc == CURLE_OK && !s->status)
    curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->status);
  if (s->status && s->status != 200) {
    parley_ctl_response_t res = {s->status, s->err.p, s->err.n};
    /* 503: parleyd is stopping or not yet serving */
    *resumable = s->status == 503;
    return parley_ctl_check(ctl, "GET", path, &res);
  }
  if (rc != CURLE_OK && !s->status) {
    int out = transfer_error(ctl, rc, errbuf);
    *resumable = out == PARLEY_CTL_ECONNECT;
    return out;
  }
  *resumable = 1;
  parley_ctl_err("GET %s%s: the server closed the event stream%s%s", ctl->url, path,
                 rc != CURLE_OK ? ": " : "", rc != CURLE_OK ? curl_easy_strerror(rc) : "");
  return PARLEY_CTL_EAPI;
}

int parley_ctl_stream_pause(unsigned ms) {
  struct timespec left = {ms / 1000, (long)(ms % 1000) * 1000000L};
  /* a signal interrupts the sleep (EINTR) and sets stop_requested */
  while (!stop_requested && nanosleep(&left, &left) != 0 && errno == EINTR)
    ;
  return stop_requested != 0;
}

int parley_ctl_stream(parley_ctl_t *ctl, const char *path, const char *last_id,
                      int *resumable, parley_ctl_event_cb on_event, void *data) {
  char errbuf[CURL_ERROR_SIZE], last[96];
  struct curl_slist *hdrs = NULL;
  stream_t s = {.cb = on_event, .data = data};
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  s.c = easy_for(ctl, path, &hdrs, errbuf);
  if (!s.c) {
    parley_ctl_err("out of memory");
    return PARLEY_CTL_EAPI;
  }
  if (last_id && *last_id) {
    snprintf(last, sizeof last, "Last-Event-ID: %s", last_id);
    struct curl_slist *more = curl_slist_append(hdrs, last);
    if (more) /* a failed append leaves the list as it was */
      curl_easy_setopt(s.c, CURLOPT_HTTPHEADER, hdrs = more);
  }
  curl_easy_setopt(s.c, CURLOPT_WRITEFUNCTION, on_stream);
  curl_easy_setopt(s.c, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(s.c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(s.c, CURLOPT_XFERINFOFUNCTION, on_progress);
  /* no overall timeout: the stream lasts; a dead peer is noticed by TCP
   * keepalive, the server's keepalive comments keep it busy */
  curl_easy_setopt(s.c, CURLOPT_TCP_KEEPALIVE, 1L);
  CURLcode rc = curl_easy_perform(s.c);
  int out = stream_result(ctl, path, &s, rc, errbuf, resumable);
  free(s.err.p);
  parley_ctl_sse_free(&s.sse);
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(s.c);
  return out;
}
