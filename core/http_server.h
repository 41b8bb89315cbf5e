/* parley core — the HTTP server on the router's loop (h2o, libuv build).
 * Serves prefixes registered by the router (/hooks/, /healthz, /metrics,
 * /v1/...) with a body-size limit (413), keep-alive, and defences against
 * hostile clients (parley_httpd_limits_t: timeouts per phase, connection
 * limits overall and per address, head limits; docs/http.md).
 * A handler may answer later (asynchronously): the request stays valid until
 * parley_httpd_respond() is called; if the client went away meanwhile,
 * respond() just releases it. Internal. */
#ifndef PARLEY_CORE_HTTP_SERVER_H
#define PARLEY_CORE_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "parley/error.h"

typedef struct parley_httpd parley_httpd_t;
typedef struct parley_httpd_req parley_httpd_req_t;

/* Called on the loop thread with the whole body read. The handler must call
 * parley_httpd_respond() exactly once, now or later. */
typedef void (*parley_httpd_handler)(parley_httpd_req_t *req, void *data);

/* Defences against hostile clients; 0 in any field means its default.
 * Timeouts are enforced by a sweep every quarter of the shortest one
 * (between 50 ms and 1 s), so a connection may live that much longer. */
typedef struct parley_httpd_limits {
  uint64_t header_timeout_ms; /* first byte of a request to the end of its head; 10 s */
  uint64_t body_timeout_ms;   /* end of the head to the end of the body; 30 s */
  uint64_t idle_timeout_ms;   /* keep-alive (or new) connection without a request; 15 s */
  size_t max_per_client;      /* connections per client address; default no limit */
  size_t max_header_bytes;    /* header lines after the request line; 16 KiB -> 431 */
  size_t max_headers;         /* header lines; 100 (h2o's own ceiling) -> 431 */
  size_t max_request_line;    /* method, target and version; 8 KiB -> 414 */
  size_t max_requests;        /* per keep-alive connection, then Connection: close;
                                 default no limit */
} parley_httpd_limits_t;

typedef struct parley_httpd_options {
  const char *listen;       /* "127.0.0.1:8080", "[::1]:0" (port 0: any free port) */
  size_t max_body;          /* bytes; larger bodies get 413 without calling handlers */
  size_t max_connections;   /* at the limit the oldest idle connection makes room,
                               else the new one is refused */
  parley_httpd_limits_t limits;
} parley_httpd_options_t;

/* What the server counted since it started (for /metrics). */
typedef struct parley_httpd_stats {
  size_t connections;          /* open now */
  size_t addresses;            /* distinct client addresses connected now */
  uint64_t accepted;           /* connections taken */
  uint64_t evicted;            /* idle (or stalled) connections closed to make room */
  uint64_t rejected_max_connections, rejected_per_client, rejected_fd_limit;
  uint64_t rejected_line_too_long, rejected_header_too_large, rejected_too_many_headers;
  uint64_t closed_max_requests; /* answers sent with Connection: close at max_requests */
  uint64_t timeouts_idle, timeouts_header, timeouts_body;
} parley_httpd_stats_t;

void parley_httpd_stats(const parley_httpd_t *s, parley_httpd_stats_t *out);

int parley_httpd_new(parley_httpd_t **out, uv_loop_t *loop, const parley_httpd_options_t *o,
                     parley_error_t *err);
/* The port actually bound (useful with port 0). */
int parley_httpd_port(parley_httpd_t *s);
/* Route requests whose path starts with prefix (longest prefix wins). */
int parley_httpd_route(parley_httpd_t *s, const char *prefix, parley_httpd_handler h,
                       void *data);
/* Added: registering the same prefix twice gives PARLEY_EDUP; unroute
 * removes a prefix (PARLEY_ENOENT if it was not registered). Requests
 * already dispatched are not affected. */
int parley_httpd_unroute(parley_httpd_t *s, const char *prefix);
/* Added notes on the options: max_body 0 means 1 MiB, max_connections 0
 * means no limit. A refused connection is accepted and closed at once.
 * parley_httpd_new() sets SIGPIPE to SIG_IGN if it still has its default
 * action (a client hanging up must not kill the process). Requests are
 * routed on the raw path (before any percent-decoding). */
/* Stop listening, close connections (pending requests get 503), then
 * call cb. Free with parley_httpd_free after cb. */
void parley_httpd_close(parley_httpd_t *s, void (*cb)(void *data), void *data);
void parley_httpd_free(parley_httpd_t *s);

/* Request accessors, valid until respond(). Strings are NUL-terminated copies. */
const char *parley_httpd_req_method(const parley_httpd_req_t *r);
const char *parley_httpd_req_path(const parley_httpd_req_t *r);   /* without query */
const char *parley_httpd_req_query(const parley_httpd_req_t *r);  /* after '?', "" if none */
const char *parley_httpd_req_header(const parley_httpd_req_t *r, const char *name);
const char *parley_httpd_req_body(const parley_httpd_req_t *r, size_t *len);
/* The client's address as a peer key (http_server_limits.h: IPv4 as
 * IPv4-mapped IPv6) into key: 0, or PARLEY_ENOENT when it is unknown. */
int parley_httpd_req_peer(const parley_httpd_req_t *r, uint8_t key[16]);
/* Decoded query parameter into buf: length, PARLEY_ENOENT or PARLEY_ENOBUFS. */
int parley_httpd_req_query_param(const parley_httpd_req_t *r, const char *name, char *buf,
                                 size_t buflen);
/* Per-request slot for the handler's use. */
void parley_httpd_req_set_data(parley_httpd_req_t *r, void *data);
void *parley_httpd_req_data(const parley_httpd_req_t *r);

/* Answer and release the request. headers: "Name: value" strings,
 * NULL-terminated, may be NULL. body is copied. */
void parley_httpd_respond(parley_httpd_req_t *r, int status, const char *content_type,
                          const char *body, size_t len, const char *const *headers);


/* Streaming answers (long-lived chunked responses such as a filtered
 * stream): start() sends the status and headers, write() sends a chunk
 * (copied), end() finishes and releases the request. on_close (may be NULL)
 * runs if the client goes away first; after it, write() and end() are no-ops
 * that only release. */
void parley_httpd_stream_start(parley_httpd_req_t *r, int status, const char *content_type,
                               const char *const *headers,
                               void (*on_close)(parley_httpd_req_t *r, void *data),
                               void *data);
int parley_httpd_stream_write(parley_httpd_req_t *r, const char *chunk, size_t len);
void parley_httpd_stream_end(parley_httpd_req_t *r);
/* Added notes on streams: stream_write() returns 0, PARLEY_ECANCELED once
 * the client is gone or the server closed (end() must still be called to
 * release), PARLEY_EBUSY when more than 8 MiB wait for a slow client (the
 * chunk is not queued), PARLEY_EINVAL before start() or after end().
 * HTTP/1.1 clients get chunked transfer; HTTP/1.0 clients get the raw bytes
 * and the connection closes at the end.
 * On parley_httpd_close(), pending requests are answered 503 and open
 * streams are ended and their on_close runs; handlers still release their
 * requests with respond()/stream_end() (no-ops that only free). */

#endif
