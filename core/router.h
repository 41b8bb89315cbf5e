/* parley core — the router's internals, shared by router*.c, host.c,
 * instance.c and output_queue.c. Internal.
 *
 * Path of an event: connector emit() → validate → the collecting batch →
 * (end of loop turn) the prepare thread enriches and encodes the batch
 * while the loop collects the next one (router_prepare.c) → back on the
 * loop, journal commit with the staged checkpoints, dedup by id → route match → each matching output's queue → output deliver() →
 * delivery cursor advanced in the journal. Outputs that fall behind read
 * the backlog back from the journal; when the undelivered backlog passes
 * router.max_backlog (bytes) or router.max_backlog_age, sources pause.
 * Delivered events are pruned after router.retention (router_retention.c). */
#ifndef PARLEY_CORE_ROUTER_H
#define PARLEY_CORE_ROUTER_H

#include <stdint.h>
#include <uv.h>

#include "care_live.h"
#include "config.h"
#include "http_client.h"
#include "http_server.h"
#include "journal.h"
#include "loader.h"
#include "enrich.h"
#include "metrics.h"
#include "output.h"
#include "router_auth_limit.h"
#include "router_session.h"
#include "parley/parley.h"
#include "router_sse.h"

#define PARLEY_MAX_OUTPUTS 64
#define PARLEY_BATCH_MAX 512   /* events per batch (and journal transaction) */
#define PARLEY_QUEUED_MAX 16384 /* events on their way beyond which emit() says EBUSY */
#define PARLEY_DELIVER_MAX 256 /* events per output batch */

typedef uint64_t parley_output_mask_t;

/* ---- connector instances (instance.c, host.c) ---- */

struct parley_timer {
  uv_timer_t handle;
  parley_instance_t *inst;
  parley_timer_cb cb;
  void *data;
  struct parley_timer *prev, *next;
};

typedef enum {
  PARLEY_INST_CREATED = 0,
  PARLEY_INST_RUNNING,
  PARLEY_INST_STOPPING,
  PARLEY_INST_STOPPED,
} parley_inst_state_t;

struct parley_instance {
  parley_router_t *r;
  char *name;
  char *labels;                    /* instance="name" */
  parley_plugin_t *plugin;
  const parley_connector_t *desc;
  void *config;                    /* bound options */
  void *state;                     /* the connector's instance */
  parley_inst_state_t run;
  int healthy;
  char *health_reason;
  char *account;                   /* the brand account of its last event */
  struct parley_timer *timers;     /* live timers, closed at destroy */
  uint64_t *c_emitted, *c_invalid, *c_duplicate, *c_accepted;
  uint64_t staged; /* events and checkpoints handed in: a webhook that staged
                    * any is answered only after their commit */
};

/* ---- outputs (output_queue.c) ---- */

typedef struct parley_blob {     /* an event shared by the queues that hold it */
  unsigned refs;
  int64_t seq;
  char *id;
  char *json;
  size_t len;
} parley_blob_t;

struct parley_output {
  parley_router_t *r;
  unsigned index;                  /* bit in parley_output_mask_t */
  char *name;
  char *labels;
  const parley_output_type_t *type;
  void *config;
  void *state;
  int opened;
  int64_t cursor;                  /* every matching event <= cursor delivered */
  int64_t saved_cursor;            /* last cursor written to the journal */
  int64_t tail;                    /* every event <= tail is queued or skipped */
  parley_blob_t **ring;            /* queue, capacity r->queue_cap */
  size_t head, count;
  size_t inflight;                 /* items handed to deliver() */
  int in_pump, repump;
  int failing;
  unsigned attempts;
  char *last_error;
  uv_timer_t retry;
  int retry_open;
  uint64_t *c_delivered, *c_failed;
  double *g_backlog;
  int rewind_pending;              /* parley_output_rewind() waits for the batch in flight */
  int64_t rewind_to;
};

/* ---- the undelivered backlog (router_backlog.c) ---- */

/* Running totals of the events not yet delivered by every output, kept in
 * chunks of consecutive events so that memory stays small whatever the
 * backlog: a chunk covers at most PARLEY_BACKLOG_CHUNK_EVENTS events
 * received within PARLEY_BACKLOG_CHUNK_MS of its first. A chunk leaves when
 * every output's cursor has passed its last event, so the totals are exact
 * to within the one partly delivered chunk (an over-estimate, never under). */
#define PARLEY_BACKLOG_CHUNK_EVENTS 256
#define PARLEY_BACKLOG_CHUNK_MS 1000

typedef struct parley_backlog_chunk {
  int64_t first, last;   /* seq range */
  int64_t first_ms;      /* received time of the first event */
  uint64_t bytes;
  uint32_t events;
} parley_backlog_chunk_t;

typedef struct parley_backlog {
  parley_backlog_chunk_t *v;  /* ring of cap chunks from head */
  size_t head, n, cap;
  uint64_t bytes;             /* sum over the chunks */
  int64_t passed;             /* every seq <= passed has left */
} parley_backlog_t;

/* Add one committed event (seq ascending). Never fails: when the ring
 * cannot grow, the event joins the newest chunk. */
void parley_backlog_add(parley_backlog_t *b, int64_t seq, int64_t received_ms, size_t bytes);
/* Every event with seq <= passed was delivered everywhere. */
void parley_backlog_advance(parley_backlog_t *b, int64_t passed);
/* The received time of the oldest event still in, 0 when empty. */
int64_t parley_backlog_oldest_ms(const parley_backlog_t *b);
/* Rebuild from the journal: the events with seq > passed (one read at
 * start). PARLEY_EIO with the journal's message in err. */
int parley_backlog_load(parley_backlog_t *b, parley_journal_t *j, int64_t passed,
                        parley_error_t *err);
void parley_backlog_free(parley_backlog_t *b);

/* ---- the pending batch (router_ingest.c) ---- */

typedef struct parley_pending_event {
  parley_instance_t *inst;
  parley_event_t *ev;
  char *json;
  size_t len;
} parley_pending_event_t;

typedef struct parley_pending_cp {
  parley_instance_t *inst;
  char *key, *value;
} parley_pending_cp_t;

typedef struct parley_pending_cb {
  parley_instance_t *inst;
  parley_commit_cb cb;
  void *data;
} parley_pending_cb_t;

/* What goes into one journal transaction. ev[i].json is NULL until the
 * batch is prepared (enriched, encoded), and stays NULL for an event that
 * enrichment made invalid. */
typedef struct parley_batch {
  parley_pending_event_t *ev; size_t n_ev, cap_ev;
  parley_pending_cp_t *cp; size_t n_cp, cap_cp;
  parley_pending_cb_t *cb; size_t n_cb, cap_cb;
  struct parley_batch *next; /* in the queue (under prep.mu) or the spares */
  int prepared;              /* under prep.mu */
} parley_batch_t;

/* The prepare queue (router_prepare.c): batches in the order they were
 * collected; the thread prepares them front to back, the loop commits
 * them front to back once prepared. */
typedef struct parley_prepare {
  uv_thread_t thread;
  uv_mutex_t mu;
  uv_cond_t cv;
  uv_async_t done;          /* the thread prepared a batch */
  int started;
  int quit;                 /* under mu */
  parley_batch_t *head, *tail; /* under mu: submitted, not committed yet */
  parley_batch_t *cursor;   /* under mu: the next batch the thread prepares */
  size_t queued;            /* loop only: events submitted, not committed yet */
  parley_batch_t *spare;    /* loop only: committed batches for reuse */
} parley_prepare_t;

typedef enum {
  PARLEY_ROUTER_NEW = 0,
  PARLEY_ROUTER_RUNNING,
  PARLEY_ROUTER_STOPPING,
  PARLEY_ROUTER_STOPPED,
} parley_router_state_t;

struct parley_router {
  uv_loop_t *loop;
  uv_loop_t own_loop;
  int owns_loop;
  parley_config_t *cfg;
  parley_router_state_t run;
  parley_metrics_t *metrics;
  parley_care_live_t *care;        /* live care metrics (care_live.h) */
  parley_enrich_t *enrich;        /* NULL: no enrich: section */
  parley_journal_t *journal;
  parley_httpd_t *httpd;
  parley_httpc_t *httpc;
  parley_sse_t *sse;               /* event streams (router_sse.h); with httpd */
  parley_sessions_t *sessions;     /* browser logins (router_session.h); NULL: no auth */
  parley_auth_limit_t *auth_limit; /* wrong tokens per address; NULL: no limit */
  uint64_t *c_auth_failures, *c_auth_lockouts, *c_auth_refused;

  parley_plugin_t **plugins; size_t n_plugins;
  parley_instance_t **instances; size_t n_instances;
  parley_output_t **outputs; size_t n_outputs;
  size_t queue_cap;
  int default_output;              /* index or -1 */

  parley_batch_t *collect;         /* what emit() and stage_checkpoint() add to */
  parley_prepare_t prep;           /* the batches after it, on their way */
  int committing;                  /* a batch is being committed, its callbacks run */
  uv_idle_t commit_idle;
  int commit_armed;
  int64_t last_seq;
  uint64_t commit_failures;        /* webhooks answer 2xx only if none happened since */

  int paused;
  const char *pause_reason;        /* the router key whose bound was passed, or NULL */
  uint64_t *c_unrouted, *c_rejected, *c_paused;

  parley_backlog_t backlog;        /* undelivered events (router_backlog.c) */
  uv_timer_t backlog_timer;        /* re-checks the age bound as time passes */
  double *g_backlog_bytes, *g_backlog_age, *g_paused_bytes, *g_paused_age;
  uv_timer_t prune_timer;          /* retention (router_retention.c) */
  uint64_t *c_pruned, *c_forgotten, *c_prune_failures;

  parley_event_cb on_event; void *on_event_data;

  /* stopping */
  parley_stop_cb stop_cb; void *stop_data;
  uv_timer_t stop_timer;           /* the stop deadline */
  uv_timer_t drain_timer;          /* polls the outputs while they drain */
  size_t closing;                  /* handles and components still closing */
};

/* instance.c */
int parley_instance_create(parley_router_t *r, const parley_conf_instance_t *ci, size_t index,
                           parley_instance_t **out, parley_error_t *err);
int parley_instance_start(parley_instance_t *inst, parley_error_t *err);
void parley_instance_stop(parley_instance_t *inst);
void parley_instance_destroy(parley_instance_t *inst);
parley_instance_t *parley_router_find_instance(parley_router_t *r, const char *name);
int parley_router_load_plugin(parley_router_t *r, const char *name, parley_plugin_t **out,
                              parley_error_t *err);
extern const parley_host_t parley_host_table;

/* router_ingest.c */
int parley_router_emit(parley_instance_t *inst, parley_event_t *ev);
int parley_router_stage_checkpoint(parley_instance_t *inst, const char *key, const char *value);
int parley_router_get_checkpoint(parley_instance_t *inst, const char *key, char *buf,
                                 size_t buflen);
int parley_router_commit_later(parley_router_t *r, parley_instance_t *inst,
                               parley_commit_cb cb, void *data);
/* Send the collecting batch on its way now (to the prepare thread, then
 * the journal); batches commit in the order they were collected. */
void parley_router_commit_now(parley_router_t *r);
/* Commit everything before returning: wait for the prepare thread, then
 * commit every batch (at close). */
void parley_router_commit_sync(parley_router_t *r);
/* 1 while events, checkpoints or callbacks wait for a commit. */
int parley_router_commit_pending(const parley_router_t *r);
/* Free a batch: its uncommitted events and checkpoints (not accepted) and
 * its arrays. NULL is fine. */
void parley_batch_free(parley_batch_t *b);
/* Enrich and encode every event of b (any thread, one batch at a time). */
void parley_router_prepare_batch(parley_router_t *r, parley_batch_t *b);
/* On the loop: commit the prepared batches at the front of the queue, in
 * order (nothing when a commit is already running further up the stack). */
void parley_router_commit_prepared(parley_router_t *r);
/* Commit one prepared batch: journal, routing, then its callbacks. */
void parley_router_commit_batch(parley_router_t *r, parley_batch_t *b);

/* router_prepare.c */
/* Start the prepare thread and its async handle on r's loop. */
int parley_prepare_start(parley_router_t *r, parley_error_t *err);
/* Queue b (taken) behind the batches already submitted. Without the
 * thread (not started) it is prepared on the spot. */
void parley_prepare_submit(parley_router_t *r, parley_batch_t *b);
/* The front batch when it is prepared, taken off the queue; else NULL. */
parley_batch_t *parley_prepare_pop(parley_router_t *r);
/* Block until every submitted batch is prepared. */
void parley_prepare_wait(parley_router_t *r);
/* Stop and join the thread; close its handle (closed_cb as for uv_close;
 * NULL: join only, for a router freed without being stopped, whose other
 * handles are abandoned the same way). Queued batches are freed. */
void parley_prepare_close(parley_router_t *r, uv_close_cb closed_cb);
/* A committed batch back for reuse, and an empty one (NULL: no memory). */
void parley_prepare_recycle(parley_router_t *r, parley_batch_t *b);
parley_batch_t *parley_prepare_fresh(parley_router_t *r);

/* route_match.c */
/* The outputs an event goes to: the union of the outputs of every matching
 * route, or the default output when none matches (0 when there is none). */
parley_output_mask_t parley_route_match(const parley_config_t *cfg,
                                        parley_output_t *const *outputs, size_t n_outputs,
                                        const parley_event_t *ev);
int parley_route_matches(const parley_conf_route_t *route, const parley_event_t *ev);

/* output_queue.c */
int parley_output_create(parley_router_t *r, const parley_conf_instance_t *co, unsigned index,
                         parley_output_t **out, parley_error_t *err);
int parley_output_open(parley_output_t *o, parley_error_t *err);
/* Offer freshly committed events (prev_last: the last seq before them);
 * those the queue cannot take now are read back from the journal later. */
void parley_output_offer(parley_output_t *o, parley_blob_t *const *blobs,
                         const parley_output_mask_t *masks, size_t n, int64_t prev_last);
void parley_output_pump(parley_output_t *o);
int64_t parley_output_backlog(const parley_output_t *o);
/* Replay: deliver every matching event with seq > after again (POST
 * /v1/outputs/<name>/replay). The queue is dropped, the cursor moves back
 * to after (saved in the journal) and the events are read back from it.
 * A batch in flight is let finish first; its outcome is then ignored.
 * The caller checks that the bodies after `after` are still there. */
void parley_output_rewind(parley_output_t *o, int64_t after);
int parley_output_drained(const parley_output_t *o);
void parley_output_close(parley_output_t *o, void (*cb)(parley_output_t *o));
void parley_output_destroy(parley_output_t *o);
parley_blob_t *parley_blob_new(int64_t seq, const char *id, const char *json, size_t len);
void parley_blob_unref(parley_blob_t *b);

/* router_backlog.c */
/* The lowest delivery cursor of all outputs: the in-memory one, or with
 * saved = 1 the one stored in the journal. r->last_seq without outputs. */
int64_t parley_router_min_cursor(const parley_router_t *r, int saved);
/* An output's cursor moved: events every output passed leave the backlog. */
void parley_router_cursor_moved(parley_router_t *r);
/* Pause or resume the sources as the backlog crosses its bounds. */
void parley_router_update_pause(parley_router_t *r);
/* Metrics, load of the backlog from the journal and its timer (at start). */
int parley_router_backlog_init(parley_router_t *r);
int parley_router_backlog_start(parley_router_t *r, parley_error_t *err);
/* Refresh the backlog gauges (the age grows with time alone). */
void parley_router_backlog_gauges(parley_router_t *r);

/* router_retention.c */
int parley_router_retention_init(parley_router_t *r);
/* Start the prune timer (no-op when router.retention is 0). */
void parley_router_retention_start(parley_router_t *r);

/* router_http.c */
int parley_router_http_start(parley_router_t *r, parley_error_t *err);
/* Answer req with text (copied) or JSON (j is taken, NULL: 500). */
void parley_router_respond_text(parley_httpd_req_t *req, int status, const char *text,
                                const char *const *headers);
void parley_router_respond_json(parley_httpd_req_t *req, int status, json_t *j);

/* router_token.c */
#define PARLEY_MAX_SESSIONS 1024
#define PARLEY_SESSION_IDLE_MS (12 * 3600 * 1000LL)
#define PARLEY_AUTH_LIMIT_ADDRESSES 4096 /* addresses router.auth_limit keeps */
/* 1 when listen ("host:port") is on 127.0.0.0/8, [::1] or localhost. */
int parley_listen_is_loopback(const char *listen);
/* Before the HTTP server listens: the admin token from the config, the
 * state directory's file, or a new one written there; the session table
 * and the wrong-token limiter (router.auth_limit) with its counters.
 * Refuses admin_auth: none on a non-loopback listener. */
int parley_router_auth_start(parley_router_t *r, parley_error_t *err);

/* router_auth.c */
/* 1 when req uses method (HEAD counts as GET); otherwise answers 405 with
 * Allow and returns 0. */
int parley_router_method_ok(parley_httpd_req_t *req, const char *method);
/* The gate of every admin endpoint: 1 when req may go on (right method;
 * the admin or an agent token as Bearer, or a session cookie plus, for
 * methods other than GET and HEAD, its X-Parley-CSRF header); otherwise it
 * has answered (405, 401, 403) and returns 0. */
int parley_router_admin_gate(parley_router_t *r, parley_httpd_req_t *req, const char *method);
/* Who made req, after the gate let it through: an agent's name from
 * router.agents, "admin" for the admin token (and under admin_auth: none).
 * Borrowed from the config or the session; valid while req is. */
const char *parley_router_req_agent(parley_router_t *r, parley_httpd_req_t *req);
/* POST /v1/login, GET /v1/session, POST /v1/logout (docs/auth.md). */
void parley_router_login_routes(parley_router_t *r);

/* router_events.c */
/* The hub's channels. */
enum { PARLEY_SSE_EVENTS = 1, PARLEY_SSE_STREAM = 2 };
/* GET /v1/events[?match=]: every accepted event matching the expression, as
 * Server-Sent Events (id: journal seq, event: event, data: the JSON). */
void parley_router_events_request(parley_router_t *r, parley_httpd_req_t *req);
/* An event the router accepted (committed, not a duplicate). */
void parley_router_events_publish(parley_router_t *r, const parley_event_t *ev, int64_t seq,
                                  const char *json, size_t len);

/* router_stream.c */
/* GET /v1/stream[?store=]: the store's committed changes as Server-Sent
 * Events. */
void parley_router_stream_request(parley_router_t *r, parley_httpd_req_t *req);
/* Hook the router to every sqlite output's commits (at HTTP start). */
void parley_router_stream_watch(parley_router_t *r);

/* router_care.c */
/* GET /v1/care[?since=&until=&store=]: the care figures of the sqlite
 * store (care.h), computed on libuv's thread pool and answered later.
 * Called after the admin token check; answers 405, 400, 404 or 503 itself. */
void parley_router_care_request(parley_router_t *r, parley_httpd_req_t *req);

/* router_journal.c: GET /v1/journal (after the admin gate). */
void parley_router_journal_request(parley_router_t *r, parley_httpd_req_t *req);
/* router_replay.c: POST /v1/outputs/<name>/replay (after the admin gate);
 * answers 200, 400, 404, 409 or 503 itself. */
void parley_router_replay_request(parley_router_t *r, parley_httpd_req_t *req);

/* GET / and /console/...: the agent console's static files from
 * parley_router_console_dir() (router_console.c); answers every other path
 * that no other route claims with 404. */
void parley_router_console_request(parley_router_t *r, parley_httpd_req_t *req);
/* router.console_dir, or the installed share/parley/console. Owned by r. */
const char *parley_router_console_dir(const parley_router_t *r);

/* router_actions.c */
struct parley_action_req {
  parley_router_t *r;
  parley_instance_t *inst;
  parley_action_t *action;
  parley_action_cb cb;
  void *data;
};

/* host-table entries implemented with their features (router_http.c,
 * router_actions.c, router.c) */
const char *parley_webhook_method(const parley_webhook_t *wh);
const char *parley_webhook_path(const parley_webhook_t *wh);
const char *parley_webhook_header(const parley_webhook_t *wh, const char *name);
int parley_webhook_query(const parley_webhook_t *wh, const char *name, char *buf,
                         size_t buflen);
const char *parley_webhook_body(const parley_webhook_t *wh, size_t *len);
const parley_action_t *parley_action_req_action(parley_action_req_t *req);
void parley_action_req_done(parley_action_req_t *req, const parley_action_result_t *res);
void parley_router_instance_stopped(parley_instance_t *inst);


/* router_status.c */
json_t *parley_router_status(parley_router_t *r);

#endif
