/* parley core — Server-Sent Events on top of the HTTP server's streams
 * (parley_httpd_stream_*): a hub keeps the open event streams, frames each
 * message once (id/event/data lines) and writes it to every subscriber of
 * its channel whose filter wants it. A comment line ": keepalive" goes to
 * every subscriber at a fixed interval so that proxies and clients see the
 * connection alive. A subscriber is dropped when its client goes away or
 * falls more than the server's stream queue (8 MiB) behind (PARLEY_EBUSY):
 * its stream is ended and it reconnects. Loop thread only. Internal. */
#ifndef PARLEY_CORE_ROUTER_SSE_H
#define PARLEY_CORE_ROUTER_SSE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "http_server.h"

#define PARLEY_SSE_KEEPALIVE_MS 15000

typedef struct parley_sse parley_sse_t;

/* What a subscriber wants: 1 to send msg (the publisher's own pointer) to
 * the subscriber with this data. */
typedef int (*parley_sse_filter)(const void *sub_data, const void *msg);

/* A hub on loop with a keepalive timer (keepalive_ms 0: the 15 s default). */
int parley_sse_new(parley_sse_t **out, uv_loop_t *loop, uint64_t keepalive_ms);

/* Answer req with a 200 text/event-stream and keep it as a subscriber of
 * channel. filter NULL: every message of the channel. data is taken (freed
 * with free_data, may be NULL, when the subscriber is dropped), on failure
 * too; req is answered in every case (503 after close, 500 without memory;
 * a HEAD request gets the head of a stream and no subscription). */
int parley_sse_subscribe(parley_sse_t *h, parley_httpd_req_t *req, int channel,
                         parley_sse_filter filter, void *data, void (*free_data)(void *));

/* One subscriber, while its replay runs (below). */
typedef struct parley_sse_sub parley_sse_sub_t;

/* Writes what the subscriber missed (parley_sse_send) before any message
 * published after it subscribed. Runs once, inside subscribe, on the loop;
 * its return value is ignored. */
typedef void (*parley_sse_replay_fn)(parley_sse_sub_t *s, void *replay_data);

/* parley_sse_subscribe, then replay(s, replay_data) unless the client is
 * already gone (replay NULL: none). */
int parley_sse_subscribe_replay(parley_sse_t *h, parley_httpd_req_t *req, int channel,
                                parley_sse_filter filter, void *data,
                                void (*free_data)(void *), parley_sse_replay_fn replay,
                                void *replay_data);

/* Send one message to s alone (during its replay only). 0, or non-zero
 * when the subscriber was dropped (gone, or too far behind): stop then. */
int parley_sse_send(parley_sse_sub_t *s, const char *id, const char *event, const char *data,
                    size_t len);

/* Subscribers of channel now (0: publishers may skip building a message). */
size_t parley_sse_count(const parley_sse_t *h, int channel);

/* Send one message to the channel's subscribers that want msg. id and
 * event may be NULL (left out); data may hold newlines (one data: line
 * each). Returns how many subscribers it was written to. */
size_t parley_sse_publish(parley_sse_t *h, int channel, const char *id, const char *event,
                          const char *data, size_t len, const void *msg);

/* End every stream, refuse new subscribers and close the timer; cb runs
 * once the timer is closed. Free with parley_sse_free after cb. NULL h is
 * fine (cb is not called). */
void parley_sse_close(parley_sse_t *h, void (*cb)(void *data), void *data);
void parley_sse_free(parley_sse_t *h);

/* The wire form of one message, malloc'd (NULL: no memory), its length in
 * *out_len: "id: <id>\n" "event: <event>\n" then "data: <line>\n" for each
 * line of data (a CR, LF or CRLF splits lines; an empty data gives one
 * empty data line), then a blank line. id and event lose any CR or LF. */
char *parley_sse_frame(const char *id, const char *event, const char *data, size_t len,
                       size_t *out_len);

#endif
