/* parley core — outputs. Outputs are built into libparley (ndjson now; the
 * SQLite store, the HTTP webhook and NATS JetStream join them) and are
 * described like connectors: a name, a typed option table bound by the
 * same validator, and callbacks. The router keeps each output's queue and
 * its durable delivery cursor; the output only writes batches and says when
 * a batch is done. Internal. */
#ifndef PARLEY_CORE_OUTPUT_H
#define PARLEY_CORE_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "parley/connector.h"

typedef struct parley_output parley_output_t;
typedef struct parley_output_action parley_output_action_t; /* below */

/* One event in a batch, valid until parley_output_done() is called. */
typedef struct parley_output_item {
  int64_t seq;          /* journal sequence number */
  const char *id;       /* event id: the idempotency key for sinks */
  const char *json;     /* the event as one line of JSON */
  size_t len;
} parley_output_item_t;

typedef struct parley_output_type {
  const char *name;                 /* the `type:` in the config */
  const char *description;
  const parley_option_t *options;   /* bound like connector options */
  size_t config_size;
  /* Build the output's state from its bound config (owned by the router,
   * valid until destroy). No I/O here: --check-config calls it. */
  int (*create)(parley_output_t *o, const void *config, void **state, parley_error_t *err);
  /* Open files/connections when the router starts. */
  int (*open)(void *state, uv_loop_t *loop, parley_error_t *err);
  /* Deliver items in order; call parley_output_done(o, ...) exactly once,
   * now or later. On failure the router retries the same batch with backoff. */
  void (*deliver)(void *state, const parley_output_item_t *items, size_t n);
  /* Release connections/files; cb(o) when closed (may be synchronous). */
  void (*close)(void *state, void (*cb)(parley_output_t *o), parley_output_t *o);
  void (*destroy)(void *state);
  /* Optional (the sqlite store): apply an action the core performs on the
   * output's own state, see parley_output_action_t. Called on the loop
   * thread between batches (deliver() is synchronous there, so never inside
   * a batch's transaction), only while the output is open. Synchronous and
   * bounded by the output's own lock timeout. Returns 0, PARLEY_ENOENT when
   * the conversation is not in this output, or another PARLEY_E* with err. */
  int (*apply_action)(void *state, parley_output_action_t *op, parley_error_t *err);
} parley_output_type_t;

/* What the core asks of an output's apply_action (internal):
 *  - assign / resolve: op->action is that action, at_ms when the core
 *    performs it; with check_only nothing is written, only whether the
 *    conversation is there (the router checks before it records the
 *    idempotency key, so a conversation that has not arrived yet is a
 *    refusal the client can retry with the same key);
 *  - a reply or DM with an agent that succeeded: op->action is it and
 *    sent_id the event id of the message it created ("<platform>:<platform
 *    id of the result>"), so the store can name the agent on that message,
 *    whether its outbound event was stored before or arrives later.
 * On return, changed says whether the state changed (0: already so) and
 * platform holds the conversation's platform (assign / resolve). */
struct parley_output_action {
  const parley_action_t *action;
  int64_t at_ms;
  int check_only;
  const char *sent_id;
  int changed;            /* out */
  char platform[64];      /* out */
};

/* Built-in types; NULL if unknown. */
const parley_output_type_t *parley_output_type_find(const char *name);
/* All built-in types, NULL-terminated (for --list-plugins). */
extern const parley_output_type_t *const parley_output_types[];

/* Report a batch's outcome: status 0, or PARLEY_E* with a message (copied). */
void parley_output_done(parley_output_t *o, int status, const char *message);
const char *parley_output_name(const parley_output_t *o);

extern const parley_output_type_t parley_output_ndjson;
extern const parley_output_type_t parley_output_sqlite;
extern const parley_output_type_t parley_output_webhook;

/* The nats output is built when cnats' header is found (Debian's
 * libnats-dev; CMake links it when pkg-config finds libnats). */
#if defined(__has_include)
#if __has_include(<nats/nats.h>)
#define PARLEY_OUTPUT_HAVE_NATS 1
extern const parley_output_type_t parley_output_nats;

/* The nats output's action work queue (output_nats_actions.c): consumes
 * <prefix>.<instance> for every connector instance of the output's router
 * and submits each action to it. new() and close() on the loop thread;
 * subscribe() on a worker thread, with cnats' jsCtx and natsConnection
 * (void * keeps nats.h out of this header); it may be called again after a
 * failure and picks up where it stopped. close() stops consuming before the
 * connection goes; cb runs when its handle is closed; free() after that. */
typedef struct parley_nats_actions parley_nats_actions_t;
int parley_nats_actions_new(parley_nats_actions_t **out, parley_output_t *o, uv_loop_t *loop,
                            const char *stream, const char *prefix, const char *results_prefix);
int parley_nats_actions_subscribe(parley_nats_actions_t *a, void *js, void *nc,
                                  int create_stream, char *err, size_t errlen);
void parley_nats_actions_close(parley_nats_actions_t *a, void (*cb)(void *data), void *data);
void parley_nats_actions_free(parley_nats_actions_t *a);
/* cnats' detail of the last failed JetStream API call on this thread, or
 * the text of status. Never used for connect errors (URLs). */
const char *parley_nats_error_text(int status);
#endif
#endif

/* Webhook signature (output_webhook.c): writes the value of the
 * Parley-Signature header, "t=<unix seconds>,v1=<64 hex digits>", where the
 * digits are HMAC-SHA256(secret, "<t>." body). Returns its length, or
 * PARLEY_ENOBUFS when out is too small (it needs 96 bytes). */
int parley_output_webhook_sign(const char *secret, int64_t t, const char *body, size_t len,
                               char *out, size_t outlen);

/* NATS subject of an event (output_nats.c): "<prefix>.<platform>.<kind>".
 * Returns its length, PARLEY_EINVAL when a part is empty or holds a
 * character a subject token cannot ('.', '*', '>', white space), or
 * PARLEY_ENOBUFS when out is too small. */
int parley_output_nats_subject(const char *prefix, const char *platform, const char *kind,
                               char *out, size_t outlen);

#endif
