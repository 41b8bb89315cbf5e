/* parley core — outgoing HTTP on the router's loop: libcurl's multi
 * interface driven by uv_poll/uv_timer (CURLMOPT_SOCKETFUNCTION and
 * TIMERFUNCTION). Implements the host table's http_* functions. Internal. */
#ifndef PARLEY_CORE_HTTP_CLIENT_H
#define PARLEY_CORE_HTTP_CLIENT_H

#include <uv.h>

#include "parley/connector.h"

typedef struct parley_httpc parley_httpc_t;

int parley_httpc_new(parley_httpc_t **out, uv_loop_t *loop, parley_error_t *err);
/* Start a transfer (see parley_host_t.http_request / http_stream; on_chunk
 * NULL buffers the body). *out may be NULL. */
int parley_httpc_request(parley_httpc_t *c, const parley_http_request_t *req,
                         parley_stream_cb on_chunk, parley_http_cb cb, void *data,
                         parley_http_t **out);
const char *parley_httpc_header(parley_http_t *h, const char *name);
void parley_httpc_cancel(parley_http_t *h);
/* Number of transfers in flight. */
size_t parley_httpc_active(parley_httpc_t *c);
/* Cancel everything (callbacks run with PARLEY_ECANCELED), close the uv
 * handles, then call cb; free after cb. */
void parley_httpc_close(parley_httpc_t *c, void (*cb)(void *data), void *data);
void parley_httpc_free(parley_httpc_t *c);

/* Added notes. request(): copies everything; never calls cb itself, even
 * for a request that fails at once (reported on a later loop turn). A
 * non-zero return (PARLEY_EINVAL: no url or cb; PARLEY_ENOMEM; PARLEY_ESTATE
 * after close) means cb will never run. Failures without an HTTP answer:
 * PARLEY_ETIMEDOUT, PARLEY_ETOOBIG (buffered bodies only; streams have no
 * cap), PARLEY_EINVAL (bad or non-http(s) URL), PARLEY_ENETWORK (with
 * curl's message in error). cancel(): returns at once; cb runs once with
 * PARLEY_ECANCELED on a later loop turn; safe inside on_chunk; a no-op
 * once cb is running. close() may be called from a callback, and cb of
 * close may free the client. Redirects are not followed. */

#endif
