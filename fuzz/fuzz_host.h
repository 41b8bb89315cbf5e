/* parley fuzzing — a test host table for connector plugins (fuzz_host.c).
 *
 * The webhook_* and api_* targets load a real connector .so (the one
 * parleyd loads, from the build's plugin dir or $PARLEY_FUZZ_PLUGIN_DIR)
 * and run instances of it on this host instead of the router: no loop, no
 * sockets, no journal. Time is a fake clock that jumps to the next timer.
 * HTTP requests the connector issues wait in a queue until the target
 * answers them with responses taken from the fuzzer's input, or fail them.
 *
 * What the host checks (a broken rule aborts: a crash for libFuzzer):
 *   - every emitted event is handled as the core would (connector and
 *     received_at filled, validated); it must validate (the core drops an
 *     invalid event: a lost message) and survive the codec's round trip
 *     (fuzz_check_event);
 *   - no log line, counter name, health reason or webhook reply contains a
 *     secret of the instance (FUZZ_SECRET), unless the input itself does;
 *   - the ABI's call rules: an HTTP callback runs exactly once, stopped()
 *     once, after stop(); timer_stop is safe in a timer's own callback;
 *     stop() drains (stopped() comes) once the host has failed or canceled
 *     everything in flight.
 *
 * One plugin per process (fuzz_host_load once, in LLVMFuzzerInitialize);
 * one instance per input, created and destroyed within it, so leaks show. */
#ifndef PARLEY_FUZZ_HOST_H
#define PARLEY_FUZZ_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "parley/connector.h"

/* The fake wall clock at the start of every input (2026-11-29T...). */
#define FUZZ_WALL_START_MS 1796000000000LL

#define FUZZ_MAX_HEADERS 48

typedef struct fuzz_header {
  const char *name;
  const char *value;
} fuzz_header_t;

/* An HTTP message split out of fuzzer input (a webhook request or one API
 * response). Strings point into buf, which the message owns. */
typedef struct fuzz_msg {
  char *buf;
  const char *line;            /* the first line: "POST /x?y" or "200 /2/tweets" */
  const char *method, *path, *query; /* requests: from line ("" when absent) */
  long status;                 /* responses: from line (200 when not a number) */
  const char *match;           /* responses: the word after the status, or "" */
  fuzz_header_t headers[FUZZ_MAX_HEADERS];
  size_t nheaders;
  const char *body;
  size_t body_len;
  char *extra[4];              /* values added by fuzz_msg_add_header */
  size_t nextra;
} fuzz_msg_t;

/* Split "first line\nName: value\n...\n\nbody" (CRLF accepted). */
void fuzz_msg_parse(fuzz_msg_t *m, const uint8_t *data, size_t size, int is_response);
/* Case-insensitive header lookup; NULL when absent. */
const char *fuzz_msg_header(const fuzz_msg_t *m, const char *name);
/* Add a header (value copied); ignored when the table is full. */
void fuzz_msg_add_header(fuzz_msg_t *m, const char *name, const char *value);
void fuzz_msg_free(fuzz_msg_t *m);

/* Load the plugin (by name) once per process; aborts when it cannot. */
const parley_connector_t *fuzz_host_load(const char *plugin);

typedef struct fuzz_inst fuzz_inst_t;

/* Bind options (a YAML map; secrets may be written as FUZZ_SECRET) to the
 * plugin's table, create and start an instance. data/size is the input, for
 * the secret checks. Aborts when the fixed options do not bind; returns
 * NULL when create() or start() refuses (that is the connector's answer). */
fuzz_inst_t *fuzz_inst_new(const char *options_yaml, const uint8_t *data, size_t size);
/* Call the webhook handler with req; rep receives the (checked) answer. */
void fuzz_inst_webhook(fuzz_inst_t *fi, const fuzz_msg_t *req, parley_webhook_reply_t *rep);
/* Run the instance: fire timers on the fake clock and answer its HTTP
 * requests with the responses in data (separated by FUZZ_RESPONSE_SEP),
 * for at most max_steps steps; requests left waiting stay in flight. */
#define FUZZ_RESPONSE_SEP "\n--\n"
void fuzz_inst_serve(fuzz_inst_t *fi, const uint8_t *data, size_t size, size_t max_steps);
/* Events emitted so far by this instance (valid ones). */
size_t fuzz_inst_events(const fuzz_inst_t *fi);
/* stop(), fail what is still in flight, wait for stopped(), destroy(). */
void fuzz_inst_free(fuzz_inst_t *fi);

/* The fake wall clock now (what host->wall_ms answers), in ms. */
int64_t fuzz_wall_ms(void);

/* ---- fuzz_webhook.c: the body of every webhook_<plugin> target ---- */

/* Write the value of the platform's signature header for req's body,
 * signed with FUZZ_SECRET, into out. */
typedef void (*fuzz_sign_fn)(const fuzz_msg_t *req, char *out, size_t outlen);

/* One input: a request "METHOD /sub/path?query\nName: value\n...\n\nbody"
 * to /hooks/<instance> of a new instance with these options. Unless the
 * input carries sig_header itself (the raw mode: forged, stale, malformed
 * signatures), the valid signature is added, so the body reaches the
 * parsing and mapping code; a correctly signed POST must not get 401. */
void fuzz_webhook_run(const char *options, const char *sig_header, fuzz_sign_fn sign,
                      const uint8_t *data, size_t size);

/* ---- fuzz_api.c: the body of every api_<plugin> target ---- */

/* One input: responses separated by FUZZ_RESPONSE_SEP, each
 * "STATUS [url-part]\nName: value\n...\n\nbody", answering in order the
 * requests a new instance with these options makes (the first waiting one
 * whose URL contains url-part, else the oldest); timers fire on the fake
 * clock in between. */
void fuzz_api_run(const char *options, const uint8_t *data, size_t size);

#endif
