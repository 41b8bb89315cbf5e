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
/* TLS for the transfers started after the call (those in flight keep what
 * they started with). verify 1 (the default of a new client): the peer's
 * certificate chain and the host name in it are checked. verify 0 turns
 * off both checks — encrypted but not authenticated, for tests and
 * networks the operator trusts — and ca_file is then ignored. ca_file: a
 * PEM file of CA certificates trusted instead of the system store (NULL:
 * the system store); the path is copied, the file is read by curl when a
 * transfer needs it (and cached up to 24 h, CURLOPT_CA_CACHE_TIMEOUT), so
 * a broken file fails the transfers, with curl's reason, not this call.
 * Returns 0, PARLEY_EINVAL (c NULL) or PARLEY_ENOMEM, err naming what. */
int parley_httpc_set_tls(parley_httpc_t *c, int verify, const char *ca_file,
                         parley_error_t *err);
/* url as it may be shown in logs and errors: scheme, host, port and path,
 * without user info, query or fragment (where tokens hide). Writes a
 * NUL-terminated string into out (cut to outlen - 1 bytes) and returns
 * out; "(unparsable URL)" when curl cannot parse url. */
const char *parley_httpc_url_for_log(const char *url, char *out, size_t outlen);
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
 * curl's message in error; "TLS: " then curl's reason when the TLS
 * handshake or the certificate check failed). cancel(): returns at once; cb runs once with
 * PARLEY_ECANCELED on a later loop turn; safe inside on_chunk; a no-op
 * once cb is running. close() may be called from a callback, and cb of
 * close may free the client. Redirects are not followed. */

#endif
