/* meta — what the Facebook and Instagram connectors share about the Meta
 * Graph API, written once (a static library both plugins link):
 *
 *   meta_instance.c  the instance: options, lifecycle, health, emitting
 *   meta_graph.c     Graph calls: versioned URLs, appsecret_proof on every
 *                    call, the SDK client (errors, 190, throttling codes)
 *   meta_webhook.c   /hooks/<instance>: hub.challenge GET, X-Hub-Signature-256,
 *                    the envelope walked entry by entry, change by change,
 *                    messaging item by item, dispatched by entry id
 *   meta_event.c     event building blocks: ids, times, unknown payloads
 *   meta_messaging.c Messenger / Instagram messaging items -> events
 *   meta_backfill.c  the polling back-fill: a queue of Graph pages walked
 *                    newest first down to a per-account checkpoint
 *   meta_actions.c   the action plumbing: Send API (DM, private reply),
 *                    results, platform error codes
 *
 * A plugin (facebook, instagram) supplies a parley_meta_platform_t: its
 * names, how one webhook change maps to an event, which Graph pages the
 * back-fill walks and how it reads them, and its comment endpoints.
 *
 * Facts: shared/platforms/facebook.md (§ cited) and instagram.md. */
#ifndef PARLEY_META_H
#define PARLEY_META_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "parley/connector.h"
#include "parley/sdk/error.h"
#include "parley/sdk/http.h"
#include "parley/sdk/poll.h"

/* Longest Graph id we accept (page ids, "{page}_{post}", mids "m_..."). */
#define PARLEY_META_ID_MAX 192
/* The back-fill re-reads this far behind its last pass (created_time has
 * one-second resolution and the Graph API is eventually consistent); the
 * core deduplicates what was seen before. */
#define PARLEY_META_BACKFILL_OVERLAP_MS 60000
/* Longest throttle a single Graph call waits out before failing. */
#define PARLEY_META_MAX_CALL_WAIT_MS 5000

/* The options both connectors take. Each plugin's option table names the
 * account list and the token after its platform (pages/page_access_token,
 * accounts/access_token) but fills this same struct. */
typedef struct parley_meta_config {
  const char *base_url;       /* https://graph.facebook.com, or the simulator */
  const char *graph_version;  /* "v23.0" */
  const char *app_secret;     /* secret: appsecret_proof and webhook signatures */
  const char *verify_token;   /* secret: the hub.verify_token of the subscription */
  parley_strlist_t accounts;  /* Page ids (facebook) / IG user ids (instagram) */
  const char *access_token;   /* secret: Page / IG access token */
  int64_t backfill_interval_ms;
  int include_raw;
} parley_meta_config_t;

typedef struct parley_meta parley_meta_t;
typedef struct parley_meta_pass parley_meta_pass_t;

/* One Graph page the back-fill fetches. */
typedef struct parley_meta_task {
  int kind;                           /* the plugin's own task kinds */
  char account[PARLEY_META_ID_MAX];   /* the Page / IG account it belongs to */
  char node[PARLEY_META_ID_MAX];      /* post, media, thread ... it reads */
  char *url;                          /* first page; "&after=" is appended */
  char after[1024];                   /* cursor of the next page, "" first */
  int pages;                          /* pages fetched so far */
  struct parley_meta_task *next;
} parley_meta_task_t;

/* Result of one webhook change handed to the plugin. */
typedef struct parley_meta_change {
  const char *account;      /* entry.id: a configured account */
  int64_t entry_time_ms;    /* entry.time as ms (seconds or ms on the wire) */
  const char *field;        /* change.field */
  const json_t *value;      /* change.value (may be NULL/non-object) */
  const json_t *raw;        /* the whole change object */
} parley_meta_change_t;

/* What a plugin tells the shared code. */
typedef struct parley_meta_platform {
  const char *name;          /* "facebook": the event id prefix and log name */
  const char *object;        /* webhook envelope object: "page" / "instagram" */
  const char *list_option;   /* "pages" / "accounts" (for messages) */
  const char *token_option;  /* "page_access_token" / "access_token" */
  const char *conversations_platform; /* platform= of /conversations */

  /* Map one webhook change (entry.changes[i]) to a new event. Returns 0
   * and *out, or PARLEY_ENOENT when the mapping does not know the change
   * (the caller then emits it as kind unknown), or another PARLEY_E*. */
  int (*map_change)(parley_meta_t *m, const parley_meta_change_t *c, parley_event_t **out,
                    parley_error_t *err);

  /* Queue the back-fill's first pages for one account. */
  int (*backfill_seed)(parley_meta_t *m, parley_meta_pass_t *p, const char *account);
  /* Read one fetched page of task t: emit what is new (parley_meta_pass_new
   * says what is), queue further tasks. Returns 1 to fetch the task's next
   * page (when there is one), 0 to stop this task. */
  int (*backfill_page)(parley_meta_t *m, parley_meta_pass_t *p, parley_meta_task_t *t,
                       const json_t *page);

  /* The path of a public reply (after the version: "/123/comments") to
   * target, a comment, or the post/media itself when on_root. */
  void (*reply_path)(const char *target, int on_root, char *path, size_t plen);
  const char *hide_param; /* "is_hidden" (facebook) / "hide" (instagram) */

  /* Optional (NULL: none): the plugin's own per-instance state, kept in
   * m->ext. create runs after the shared part is built (0 or PARLEY_E*
   * with err set); start after the back-fill is armed; stop before the
   * Graph client closes (stop timers: calls in flight then come back with
   * PARLEY_ECANCELED); destroy frees m->ext (also after a failed create). */
  int (*create)(parley_meta_t *m, parley_error_t *err);
  int (*start)(parley_meta_t *m);
  void (*stop)(parley_meta_t *m);
  void (*destroy)(parley_meta_t *m);
} parley_meta_platform_t;

struct parley_meta {
  const parley_host_t *host;
  parley_instance_t *inst;
  const parley_meta_config_t *cfg;
  const parley_meta_platform_t *plat;
  char base[512];              /* base_url/graph_version, no trailing '/' */
  char proof[65];              /* appsecret_proof of the token */
  parley_sdk_http_t *http;
  size_t repaired; /* characters replaced by U+FFFD in the input being mapped now */
  parley_sdk_poll_t *poll;
  parley_meta_pass_t *pass;    /* the back-fill pass running, or NULL */
  int unhealthy;               /* the token was refused (reported) */
  int throttled;               /* a throttle was reported */
  int stopping;
  char counter[96];            /* scratch for counter names */
  void *ext;                   /* the plugin's state (platform create..destroy) */
};

/* ---- meta_instance.c --------------------------------------------------- */

/* The connector callbacks, shared: each plugin's descriptor points here and
 * passes its platform table through parley_meta_create. */
int parley_meta_create(const parley_meta_platform_t *plat, const parley_host_t *host,
                       parley_instance_t *inst, const void *config, void **instance,
                       parley_error_t *err);
int parley_meta_start(void *instance);
void parley_meta_stop(void *instance);
void parley_meta_destroy(void *instance);
void parley_meta_webhook(void *instance, const parley_webhook_t *wh, parley_webhook_reply_t *reply);
void parley_meta_action(void *instance, parley_action_req_t *req);

/* 1 when id is one of the instance's configured accounts. */
int parley_meta_is_account(const parley_meta_t *m, const char *id);
/* Hand an event to the core; counts emitted / refused. Takes ev. */
void parley_meta_emit(parley_meta_t *m, parley_event_t *ev);
/* emit() in two steps, for an event held before it is emitted (the
 * back-fill's order): mark() notes the repairs of the input being read now,
 * emit_marked() hands it over later. */
void parley_meta_mark(parley_meta_t *m, parley_event_t *ev);
void parley_meta_emit_marked(parley_meta_t *m, parley_event_t *ev);
/* Add n to the counter "<platform>_<what>" (e.g. "webhook_forged_total"). */
void parley_meta_count(parley_meta_t *m, const char *what, uint64_t n);

/* A Graph call ended: report the token refused (190 and kin: unhealthy,
 * with a system event from the core) or throttled, or clear an earlier
 * report after a success. Never logs the token. */
void parley_meta_call_outcome(parley_meta_t *m, const parley_sdk_http_result_t *r,
                              const char *what);

/* ---- meta_graph.c ------------------------------------------------------ */

/* "<base>/<version><path>?<params>&appsecret_proof=<proof>" (malloc'ed),
 * params may be NULL or "" (already percent-encoded). NULL when out of
 * memory. */
char *parley_meta_url(const parley_meta_t *m, const char *path, const char *params);
/* Fill m->proof and create the SDK client (META policy, Bearer token). */
int parley_meta_graph_init(parley_meta_t *m, parley_error_t *err);
/* Send a call; see parley_sdk_http_send. body (a form) may be NULL; json
 * overrides it. */
int parley_meta_graph_send(parley_meta_t *m, const char *method, const char *url,
                           const char *endpoint, const char *form, const json_t *json,
                           parley_sdk_http_cb cb, void *data);

/* ---- meta_event.c ------------------------------------------------------ */

/* A new event with id "<platform>:<native>", platform, account, kind and
 * visibility set; NULL when out of memory or native is empty. */
parley_event_t *parley_meta_event_new(const parley_meta_t *m, const char *native,
                                      const char *account, parley_kind_t kind,
                                      parley_visibility_t vis);
/* "<platform>:<native>" into buf. */
void parley_meta_event_ref(const parley_meta_t *m, const char *native, char *buf, size_t len);
/* Set a field that is a platform reference (conversation, in_reply_to). */
void parley_meta_set_conversation(const parley_meta_t *m, parley_event_t *ev, const char *native);
void parley_meta_set_in_reply_to(const parley_meta_t *m, parley_event_t *ev, const char *native);
/* Attach raw JSON when include_raw is on (always when force). */
void parley_meta_set_raw(const parley_meta_t *m, parley_event_t *ev, const json_t *raw, int force);

/* Times as Meta sends them: ISO "2024-01-01T12:00:00+0000" strings, or
 * epoch seconds / milliseconds (numbers or digit strings). 0 and *ms, or
 * PARLEY_EPARSE / PARLEY_ENOENT. */
int parley_meta_time(const json_t *v, int64_t *ms);
/* created_at from the first of the given members that parses, else
 * fallback (entry.time, or the wall clock). */
void parley_meta_set_created(parley_event_t *ev, const json_t *obj, const char *member,
                             int64_t fallback_ms);

/* A stable id for a payload that carries none of its own: the hex of
 * SHA-256 over the entry id and the payload's compact JSON, so a redelivery
 * maps to the same id and the core deduplicates it. */
void parley_meta_payload_id(const char *prefix, const char *account, const json_t *payload,
                            char *buf, size_t len);
/* A payload no mapping knows: kind unknown, raw always, counted. */
parley_event_t *parley_meta_unknown_event(parley_meta_t *m, const char *account,
                                          const char *what, const json_t *payload,
                                          int64_t when_ms);

/* The DM conversation id of the connector: "<account>:<customer scoped
 * id>" — webhooks carry no thread id, and a 1:1 thread is exactly one
 * (account, PSID/IGSID) pair, so both paths agree without a lookup. */
void parley_meta_dm_conversation(const char *account, const char *customer, char *buf,
                                 size_t len);
/* Split one back into its parts (0, or PARLEY_EINVAL). */
int parley_meta_dm_parse(const char *conversation, char *account, size_t alen, char *customer,
                         size_t clen);

/* ---- meta_messaging.c ------------------------------------------------- */

/* Map one entry.messaging[] item of account: messages (echo -> outbound,
 * quick reply -> postback, deleted -> deleted, edits -> edited), postbacks,
 * reactions; anything else -> unknown. Returns 0 and *out. */
int parley_meta_map_messaging(parley_meta_t *m, const char *account, const json_t *item,
                              int64_t entry_time_ms, parley_event_t **out, parley_error_t *err);
/* Map one message of GET /{thread}/messages (back-fill). */
int parley_meta_map_thread_message(parley_meta_t *m, const char *account, const json_t *msg,
                                   parley_event_t **out, parley_error_t *err);

/* ---- meta_backfill.c --------------------------------------------------- */

/* Task kinds the shared code reads itself (DM conversations and their
 * messages are the same on both platforms); plugins use kinds below 100. */
enum {
  PARLEY_META_TASK_CONVERSATIONS = 100,
  PARLEY_META_TASK_MESSAGES,
};

int parley_meta_backfill_new(parley_meta_t *m, parley_error_t *err);
void parley_meta_backfill_free(parley_meta_t *m);
/* Queue a task: GET path with params (fields, limit ...). */
int parley_meta_pass_add(parley_meta_pass_t *p, int kind, const char *account,
                         const char *node, const char *path, const char *params);
/* The checkpoint of the pass's account (ms, 0 for a first run). */
int64_t parley_meta_pass_since(const parley_meta_pass_t *p, const char *account);
/* 1 when an item created at ms is new for this pass (at or after the
 * checkpoint; everything on a first run). */
int parley_meta_pass_new(const parley_meta_pass_t *p, const char *account, int64_t ms);
/* 1 on a first run of the account (only first pages are read). */
int parley_meta_pass_first(const parley_meta_pass_t *p, const char *account);
/* Emit a back-fill event (takes ev): held until the pass ends, then emitted
 * with the pass's others oldest first (parley/sdk/order.h). */
void parley_meta_pass_emit(parley_meta_pass_t *p, parley_event_t *ev);

/* ---- meta_actions.c ---------------------------------------------------- */

/* Native id from an event id "<platform>:<id>" (or a bare id); refuses
 * characters that have no place in a Graph path. */
int parley_meta_native_id(const parley_meta_t *m, const char *ref, char *buf, size_t len);

#endif
