/* parley — the connector ABI, version 1.
 *
 * A connector is a shared object exporting one symbol,
 *     const parley_connector_t *parley_connector_entry(void);
 * (write PARLEY_CONNECTOR_EXPORT(my_descriptor) once in the plugin). The
 * descriptor it returns starts with the ABI major/minor it was built against
 * and its own size, so it can grow at the end. The loader refuses a plugin
 * whose major differs from the core's, or whose minor is newer, naming the
 * file and both versions.
 *
 * The core hands every instance a host table (parley_host_t), versioned and
 * sized the same way: emit events, log, count, checkpoints, HTTP on the shared
 * loop, timers, webhook replies, action results. A connector never blocks and
 * never starts threads: every callback runs on the router's loop thread.
 *
 * Versioning rules: a minor bump may only append fields at the end of a
 * struct and new enum values; anything else is a major bump. A plugin reads
 * host fields past what its own minor knows only after checking host->size.
 *
 * Memory rule: whoever allocates frees, across the boundary too. The
 * exceptions are named next to each function (emit() takes the event).
 */
#ifndef PARLEY_CONNECTOR_H
#define PARLEY_CONNECTOR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "parley/action.h"
#include "parley/error.h"
#include "parley/event.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PARLEY_ABI_MAJOR 1
#define PARLEY_ABI_MINOR 1
#define PARLEY_CONNECTOR_ENTRY_SYMBOL "parley_connector_entry"

#if defined(__GNUC__)
#define PARLEY_EXPORT __attribute__((visibility("default")))
#define PARLEY_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PARLEY_EXPORT
#define PARLEY_PRINTF(f, a)
#endif

/* ------------------------------------------------------------------ */
/* Options: a declarative, typed table the core validates.             */
/* ------------------------------------------------------------------ */

typedef enum {
  PARLEY_OPT_STRING = 1, /* const char *            ("text") */
  PARLEY_OPT_INT,        /* int64_t                 (42, "42") */
  PARLEY_OPT_BOOL,       /* int, 0 or 1             (true/false/yes/no/on/off) */
  PARLEY_OPT_DURATION,   /* int64_t milliseconds    ("250ms", "5s", "2m", "1h", "1d") */
  PARLEY_OPT_LIST,       /* parley_strlist_t        (YAML/JSON sequence of scalars) */
  PARLEY_OPT_SECRET,     /* const char *, never logged, printed as "***" */
} parley_opt_type_t;

#define PARLEY_OPT_REQUIRED 0x1u

/* A list option's value. Owned by the core, valid until destroy. */
typedef struct parley_strlist {
  size_t count;
  const char *const *items;
} parley_strlist_t;

/* One option. The core parses the instance's `options:` map, checks each key
 * against this table (unknown keys are errors), converts the value (or the
 * default, or reports a missing required option) and writes it at `offset`
 * inside a zeroed struct of descriptor->config_size bytes. That struct is
 * what create() receives. Terminate the table with an entry whose name is NULL. */
typedef struct parley_option {
  const char *name;
  parley_opt_type_t type;
  unsigned flags;            /* PARLEY_OPT_REQUIRED */
  const char *default_value; /* as it would be written in the config; NULL none */
  size_t offset;             /* offsetof(your_config, field) */
  const char *description;   /* one line, shown by parleyd --list-plugins */
} parley_option_t;

/* ------------------------------------------------------------------ */
/* Capabilities.                                                       */
/* ------------------------------------------------------------------ */

enum {
  PARLEY_RECV_MENTIONS = 1u << 0,
  PARLEY_RECV_COMMENTS = 1u << 1,
  PARLEY_RECV_REPLIES = 1u << 2,
  PARLEY_RECV_DIRECT_MESSAGES = 1u << 3,
  PARLEY_RECV_KEYWORD_SEARCH = 1u << 4,
  PARLEY_RECV_STREAM = 1u << 5,
  PARLEY_RECV_WEBHOOKS = 1u << 6,
  PARLEY_RECV_POSTBACKS = 1u << 7,
  PARLEY_RECV_REACTIONS = 1u << 8,
};

enum {
  PARLEY_SEND_REPLY_PUBLIC = 1u << 0,
  PARLEY_SEND_REPLY_PRIVATE = 1u << 1,
  PARLEY_SEND_DIRECT_MESSAGE = 1u << 2,
  PARLEY_SEND_HIDE = 1u << 3,
};

/* ------------------------------------------------------------------ */
/* Types the host table works with.                                    */
/* ------------------------------------------------------------------ */

typedef struct parley_instance parley_instance_t; /* the core's side of an instance */
typedef struct parley_timer parley_timer_t;
typedef struct parley_http parley_http_t;
typedef struct parley_webhook parley_webhook_t;
typedef struct parley_action_req parley_action_req_t;

typedef enum {
  PARLEY_LOG_ERROR = 0,
  PARLEY_LOG_WARN,
  PARLEY_LOG_INFO,
  PARLEY_LOG_DEBUG,
  PARLEY_LOG_TRACE,
} parley_log_level_t;

typedef void (*parley_timer_cb)(parley_timer_t *timer, void *data);
typedef void (*parley_commit_cb)(parley_instance_t *inst, int status, void *data);

/* An outgoing HTTP request. Everything is copied by http_request(): the
 * struct and its strings may be freed as soon as it returns. */
typedef struct parley_http_request {
  const char *method;               /* "GET", "POST", ... */
  const char *url;
  const char *const *headers;       /* "Name: value" strings, NULL-terminated; may be NULL */
  const char *body;                 /* may be NULL */
  size_t body_len;
  uint32_t timeout_ms;              /* whole transfer; 0 = 30 s */
  size_t max_response;              /* body bytes; 0 = 16 MiB; larger fails PARLEY_ETOOBIG */
} parley_http_request_t;

/* A finished transfer. Valid only during the callback. status < 0 with
 * http_status 0 means no HTTP answer (network, timeout, too big, canceled). */
typedef struct parley_http_response {
  int status;                       /* 0, or PARLEY_E* for transport failures */
  long http_status;
  const char *body;                 /* NUL-terminated for convenience */
  size_t body_len;
  const char *error;                /* transport error detail, or NULL */
} parley_http_response_t;

/* Called once per request, also when it fails or is canceled (status
 * PARLEY_ECANCELED). The handle is freed by the core after the callback. */
typedef void (*parley_http_cb)(parley_http_t *req, const parley_http_response_t *res,
                               void *data);
typedef void (*parley_stream_cb)(parley_http_t *req, const char *chunk, size_t len,
                                 void *data);

/* What a webhook handler answers (see parley_connector_t.webhook). */
typedef struct parley_webhook_reply {
  int status;                /* HTTP status to answer; 2xx means "accept" */
  const char *content_type;  /* NULL: text/plain */
  const char *body;          /* copied by the core after the handler returns */
  size_t body_len;
} parley_webhook_reply_t;

/* ------------------------------------------------------------------ */
/* The host table: what the core offers an instance.                   */
/* ------------------------------------------------------------------ */

typedef struct parley_host {
  uint16_t abi_major;
  uint16_t abi_minor;
  uint32_t size; /* sizeof(parley_host_t) as the core knows it */

  /* Log a line with the instance's name. Never pass a secret. */
  void (*log)(parley_instance_t *inst, parley_log_level_t level, const char *fmt, ...)
      PARLEY_PRINTF(3, 4);

  /* Hand an event to the core, which takes ownership of ev in every case.
   * The core fills connector and received_at, validates, deduplicates by id
   * and commits it to the journal together with the checkpoints set since
   * the last commit (see checkpoint_set). Returns 0, PARLEY_EINVAL (the event
   * is invalid: logged and counted) or PARLEY_EBUSY (backpressure: the
   * event is still accepted, but the source should pause polling). */
  int (*emit)(parley_instance_t *inst, parley_event_t *ev);

  /* Durable key/value checkpoints (since_id, cursors, refreshed tokens),
   * per instance. set() stages the value; it is committed atomically with the
   * events emitted before the next commit, so a crash never separates a page
   * from its cursor. value is copied. get() copies the newest value
   * (staged or committed) into buf and returns its length, PARLEY_ENOENT, or
   * PARLEY_ENOBUFS when buflen is too small. */
  int (*checkpoint_set)(parley_instance_t *inst, const char *key, const char *value);
  int (*checkpoint_get)(parley_instance_t *inst, const char *key, char *buf, size_t buflen);

  /* Commit the staged events and checkpoints now; cb (may be NULL) runs once
   * they are durable (status 0) or could not be (PARLEY_EIO). Without an
   * explicit commit the core commits at the end of the current loop turn. */
  int (*commit)(parley_instance_t *inst, parley_commit_cb cb, void *data);

  /* Metrics: add n to the counter `name` (a Prometheus-style name, the core
   * adds the instance label); set a gauge. */
  void (*counter_add)(parley_instance_t *inst, const char *name, uint64_t n);
  void (*gauge_set)(parley_instance_t *inst, const char *name, double value);

  /* Report health. reason (copied) is shown in status; healthy == 0 also
   * emits a "system" event so operators learn of it on the stream. */
  void (*set_health)(parley_instance_t *inst, int healthy, const char *reason);

  /* 1 while the router asks sources to pause (outputs lag); poll less. */
  int (*paused)(parley_instance_t *inst);

  /* HTTP on the shared loop (libcurl multi driven by the router's uv loop).
   * Returns 0 and sets *out (may be NULL) to a handle usable with
   * http_cancel until the callback has run, or a PARLEY_E* code. */
  int (*http_request)(parley_instance_t *inst, const parley_http_request_t *req,
                      parley_http_cb cb, void *data, parley_http_t **out);
  /* Like http_request, but the body is delivered chunk by chunk to on_chunk
   * as it arrives (long-lived streams); cb runs at the end with body NULL. */
  int (*http_stream)(parley_instance_t *inst, const parley_http_request_t *req,
                     parley_stream_cb on_chunk, parley_http_cb cb, void *data,
                     parley_http_t **out);
  /* Response header of the transfer, valid during its callbacks; NULL if absent.
   * Case-insensitive name. */
  const char *(*http_header)(parley_http_t *req, const char *name);
  /* Cancel; the callback still runs once, with PARLEY_ECANCELED. */
  void (*http_cancel)(parley_http_t *req);

  /* Timers. start returns a timer (NULL when out of memory) that fires after
   * timeout_ms, then every repeat_ms if repeat_ms > 0. timer_stop stops and
   * frees it; it is safe inside the timer's own callback. A one-shot timer
   * stays allocated until timer_stop. */
  parley_timer_t *(*timer_start)(parley_instance_t *inst, uint64_t timeout_ms,
                                 uint64_t repeat_ms, parley_timer_cb cb, void *data);
  void (*timer_stop)(parley_timer_t *timer);
  /* The loop's current time in milliseconds (uv_now) and the wall clock. */
  uint64_t (*now_ms)(parley_instance_t *inst);
  int64_t (*wall_ms)(parley_instance_t *inst);

  /* Webhook request accessors, valid during the webhook callback only.
   * header(): case-insensitive, NULL if absent. query(): the decoded value
   * of a query parameter, copied into buf; returns its length or PARLEY_ENOENT
   * or PARLEY_ENOBUFS. */
  const char *(*webhook_method)(const parley_webhook_t *wh);
  const char *(*webhook_path)(const parley_webhook_t *wh); /* after /hooks/<name>, "" or "/..." */
  const char *(*webhook_header)(const parley_webhook_t *wh, const char *name);
  int (*webhook_query)(const parley_webhook_t *wh, const char *name, char *buf, size_t buflen);
  const char *(*webhook_body)(const parley_webhook_t *wh, size_t *len);

  /* The action to perform, valid until action_done(). */
  const parley_action_t *(*action_get)(parley_action_req_t *req);
  /* Report an action's outcome; exactly once per action request. The core
   * copies the result, records it against the idempotency key and frees req. */
  void (*action_done)(parley_action_req_t *req, const parley_action_result_t *result);

  /* Tell the core the instance has drained after stop(); exactly once. */
  void (*stopped)(parley_instance_t *inst);

  /* The instance name from the config (owned by the core). */
  const char *(*instance_name)(parley_instance_t *inst);
} parley_host_t;

/* ------------------------------------------------------------------ */
/* The descriptor: what a connector offers the core.                   */
/* ------------------------------------------------------------------ */

typedef enum {
  PARLEY_PLUGIN_CONNECTOR = 1,
} parley_plugin_kind_t;

typedef struct parley_connector {
  uint16_t abi_major;   /* PARLEY_ABI_MAJOR */
  uint16_t abi_minor;   /* PARLEY_ABI_MINOR */
  uint32_t size;        /* sizeof(parley_connector_t) */
  uint32_t kind;        /* PARLEY_PLUGIN_CONNECTOR */

  const char *name;        /* plugin name, [a-z0-9_]+, equals the file name stem */
  const char *version;     /* the plugin's own version, "1.2.0" */
  const char *platform;    /* "twitter", "facebook", ... the event id prefix */
  const char *description; /* one line */
  uint32_t receives;       /* PARLEY_RECV_* */
  uint32_t sends;          /* PARLEY_SEND_* */

  const parley_option_t *options; /* NULL-name terminated; may be NULL */
  size_t config_size;             /* size of the struct the options fill */

  /* Create an instance from its validated config (owned by the core, valid
   * until destroy returns). Store inst for host calls. Must not do I/O yet.
   * Returns 0 and sets *instance, or PARLEY_E* with a message in err. */
  int (*create)(const parley_host_t *host, parley_instance_t *inst, const void *config,
                void **instance, parley_error_t *err);
  /* Begin: arm timers, open streams. Returns 0 or PARLEY_E*. */
  int (*start)(void *instance);
  /* Stop asynchronously: stop sources, cancel requests, finish in-flight
   * work, then call host->stopped(inst) (possibly from within stop()). */
  void (*stop)(void *instance);
  /* Free everything; called only after stopped() or if start() failed. */
  void (*destroy)(void *instance);

  /* Optional (NULL if none): an HTTP request to /hooks/<instance>[/...].
   * Verify it, emit its events, fill reply. If reply->status is 2xx the core
   * answers only once the emitted events are committed, and 503 with
   * Retry-After if they cannot be. Synchronous: use the accessors in the
   * host table; nothing of wh survives the call. */
  void (*webhook)(void *instance, const parley_webhook_t *wh, parley_webhook_reply_t *reply);

  /* Optional: perform an action (host->action_get(req)), then call
   * host->action_done(req, result) once, now or later. The core has already
   * checked the idempotency key: a key seen before never reaches here. */
  void (*action)(void *instance, parley_action_req_t *req);

  /* Optional: backpressure notifications (paused() also tells). */
  void (*pause)(void *instance);
  void (*resume)(void *instance);
} parley_connector_t;

typedef const parley_connector_t *(*parley_connector_entry_fn)(void);

/* Define the entry symbol returning the given descriptor. */
#define PARLEY_CONNECTOR_EXPORT(descriptor)                                   \
  PARLEY_EXPORT const parley_connector_t *parley_connector_entry(void);       \
  PARLEY_EXPORT const parley_connector_t *parley_connector_entry(void) {      \
    return &(descriptor);                                                     \
  }

#ifdef __cplusplus
}
#endif
#endif /* PARLEY_CONNECTOR_H */
