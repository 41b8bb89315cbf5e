/* tiktok — the TikTok connector (API for Business): what its files share.
 *
 *   tiktok.c          descriptor, option table, lifecycle, emitting
 *   tiktok_api.c      Business API calls: versioned URLs, the SDK client
 *                     (envelope codes, 40100 throttling), call outcomes
 *   tiktok_auth.c     refused tokens, health, the OAuth refresh
 *   tiktok_backfill.c the polling pass: videos, their comments, replies,
 *                     down to a per-video checkpoint
 *   tiktok_cursor.c   the per-video checkpoint (time + ids at that time)
 *   tiktok_map.c      comment -> event (pure, shared by poll and webhook)
 *   tiktok_webhook.c  /hooks/<instance>: TikTok-Signature, comment.update,
 *                     authorization.removed
 *   tiktok_actions.c  reply (and comment), hide / unhide; refusals
 *
 * One instance serves one TikTok Business account (business_id = the
 * open_id of its token). Every path maps a comment to the same event id,
 * "tiktok:<comment_id>", so the core's dedup keeps one whichever path
 * (poll or webhook) delivered it first.
 *
 * Facts: shared/platforms/tiktok.md (cited by section); what it left open
 * and this connector decided is in docs/connectors/tiktok.md. */
#ifndef PARLEY_TIKTOK_H
#define PARLEY_TIKTOK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "parley/connector.h"
#include "parley/sdk/http.h"
#include "parley/sdk/poll.h"
#include "parley/sdk/query.h"

#define PARLEY_TIKTOK_PLATFORM "tiktok"
/* Longest comment / video id kept (TikTok's are 19 digits). */
#define PARLEY_TIKTOK_ID_MAX 64
/* Reply and comment text limit (§4.4), in characters. */
#define PARLEY_TIKTOK_TEXT_MAX 150

/* The instance's options, filled by the core from the option table. */
typedef struct parley_tiktok_config {
  const char *base_url;       /* https://business-api.tiktok.com, or the simulator */
  const char *api_version;    /* "v1.3": the /open_api/<version>/ path */
  const char *business_id;    /* open_id of the account's token */
  const char *account_handle; /* @username without '@': account label and URLs */
  const char *access_token;   /* secret */
  const char *refresh_token;  /* secret */
  const char *client_key;     /* app id, for the refresh */
  const char *client_secret;  /* secret: refresh and webhook signatures */
  int64_t videos;             /* newest videos whose comments are polled */
  int64_t poll_interval_ms;
  int64_t poll_floor_ms;
  int64_t reply_lookback_ms;  /* top-level comments this old get new replies read */
  int64_t webhook_tolerance_ms;
  int64_t rate_limit_backoff_ms;
  int include_raw;
} parley_tiktok_config_t;

typedef struct parley_tiktok parley_tiktok_t;
typedef struct parley_tiktok_pass parley_tiktok_pass_t;

struct parley_tiktok {
  const parley_host_t *host;
  parley_instance_t *inst;
  const parley_tiktok_config_t *cfg;
  char api[512];             /* base_url + "/open_api/<version>" without a trailing '/' */
  const char *account;       /* event "account": the handle, else business_id */
  parley_sdk_http_t *http;
  size_t repaired; /* characters replaced by U+FFFD in the input being mapped now */
  parley_sdk_poll_t *poll;
  parley_tiktok_pass_t *pass; /* the running back-fill pass, NULL none */
  json_t *reply_counts;      /* comment id -> replies count last walked */
  int stopping;
  /* tiktok_auth.c */
  int auth_bad;              /* reported unhealthy for credentials */
  int revoked;               /* authorization.removed arrived */
  int refreshing;
  int refresh_early;         /* the running refresh was started by the timer */
  unsigned refresh_failures;
  int64_t refresh_not_before; /* wall ms */
  parley_timer_t *refresh_timer;
  char *access_token;        /* refreshed tokens (copies, wiped on free) */
  char *refresh_token;
};

/* ---- tiktok.c ----------------------------------------------------------- */

/* Hand an event to the core (counts refusals). Takes ev. */
void parley_tiktok_emit(parley_tiktok_t *t, parley_event_t *ev);
/* emit() in two steps, for an event held before it is emitted (the
 * back-fill's order): mark() notes the repairs of the response being read
 * now, emit_marked() hands it over later. */
void parley_tiktok_mark(parley_tiktok_t *t, parley_event_t *ev);
void parley_tiktok_emit_marked(parley_tiktok_t *t, parley_event_t *ev);
/* A checkpoint of any length, malloc'ed (caller frees); NULL when absent
 * or out of memory. */
char *parley_tiktok_checkpoint_read(parley_tiktok_t *t, const char *key);
/* Overwrite a NUL-terminated secret with zeros, then free it (NULL ok). */
void parley_tiktok_wipe_free(char *s);
/* Add n to the counter "tiktok_<name>". */
void parley_tiktok_count(parley_tiktok_t *t, const char *name, uint64_t n);

/* ---- tiktok_api.c ------------------------------------------------------- */

/* "<api>/<path>" (path like "business/comment/list/"); malloc'ed, or NULL. */
char *parley_tiktok_url(parley_tiktok_t *t, const char *path);
/* A GET of path with the query built by the caller on q (business_id is
 * added here); endpoint is the rate-limit key. Returns 0 (cb runs once) or a
 * PARLEY_E* code (cb never runs). q is freed in every case. */
int parley_tiktok_get(parley_tiktok_t *t, const char *path, parley_sdk_query_t *q,
                      const char *endpoint, parley_sdk_http_cb cb, void *data);
/* A POST of body (business_id added; body is borrowed). */
int parley_tiktok_post(parley_tiktok_t *t, const char *path, json_t *body,
                       const char *endpoint, parley_sdk_http_cb cb, void *data);
/* Account for a finished call: a refused token starts a refresh or makes
 * the instance unhealthy, a throttle is counted, a success clears a
 * reported auth failure. what names the caller in logs. */
void parley_tiktok_outcome(parley_tiktok_t *t, const parley_sdk_http_result_t *r,
                           const char *what);

/* ---- tiktok_auth.c ------------------------------------------------------ */

/* A call was refused for its token (r->error->is_auth). */
void parley_tiktok_auth_failed(parley_tiktok_t *t, const parley_sdk_http_result_t *r);
/* A read was refused for permissions (code 40001: a scope missing, or
 * business_id not the token's account): unhealthy, no refresh. */
void parley_tiktok_auth_denied(parley_tiktok_t *t, const parley_sdk_http_result_t *r);
/* A call succeeded: clear a reported auth failure. */
void parley_tiktok_auth_ok(parley_tiktok_t *t);
/* The account holder removed the authorization (webhook, §5.1). */
void parley_tiktok_auth_revoked(parley_tiktok_t *t, int64_t reason);
/* Load refreshed tokens from the checkpoint store (start). */
void parley_tiktok_auth_load(parley_tiktok_t *t);
/* Stop the refresh timer (stop); free the token copies (destroy). */
void parley_tiktok_auth_stop(parley_tiktok_t *t);
void parley_tiktok_auth_free(parley_tiktok_t *t);

/* ---- tiktok_map.c: payload -> event (pure) ------------------------------- */

/* Where a comment came from: which list tells top-level from reply. */
typedef enum {
  PARLEY_TIKTOK_LEVEL_AUTO = 0, /* decide by parent_comment_id (webhooks) */
  PARLEY_TIKTOK_LEVEL_TOP,      /* business/comment/list/ */
  PARLEY_TIKTOK_LEVEL_REPLY,    /* business/comment/reply/list/ */
} parley_tiktok_level_t;

typedef struct parley_tiktok_map_ctx {
  const char *account;        /* event "account" */
  const char *account_handle; /* for video URLs; may be NULL */
  const char *video_id;       /* when the item lacks video_id; may be NULL */
  const char *parent_id;      /* replies: the top-level comment, when known */
  const char *video_url;      /* share_url of the video, when known */
  parley_tiktok_level_t level;
  int include_raw;
} parley_tiktok_map_ctx_t;

/* Map one comment or reply (§4.1 item, or comment.update content §5.2) to
 * a new event: kind comment / reply, outbound for the business's own;
 * conversation = the video; in_reply_to = the video or the parent comment.
 * Returns 0 and *out (caller owns it), or PARLEY_EINVAL / PARLEY_ENOMEM
 * with err naming the missing or bad field. */
int parley_tiktok_map_comment(const json_t *c, const parley_tiktok_map_ctx_t *ctx,
                              parley_event_t **out, parley_error_t *err);
/* A comment's create_time (seconds, string or number) in ms; -1 if none. */
int64_t parley_tiktok_comment_ms(const json_t *c);
/* "tiktok:<id>" into buf (id must be digits). Returns 0 or PARLEY_EINVAL. */
int parley_tiktok_event_id(const char *id, char *buf, size_t len);
/* Strip an optional "tiktok:" prefix; 0 and the digits into buf, or
 * PARLEY_EINVAL when what is left is not a decimal id. */
int parley_tiktok_native_id(const char *id, char *buf, size_t len);
/* Number of UTF-8 characters in s. */
size_t parley_tiktok_chars(const char *s);

/* ---- tiktok_cursor.c: a video's checkpoint ------------------------------ */

/* The newest create_time (ms) taken on a video and every id taken at
 * exactly that time (create_time has one-second resolution: a later comment
 * of the same second must still count as new, an earlier one must not be
 * re-read). Stored as "ms:id,id,...". Plain struct owning ids: init before
 * use, free after. */
typedef struct parley_tiktok_cursor {
  int64_t ms;     /* 0: nothing taken yet */
  char *ids;      /* comma-separated, NULL when none (owned) */
  size_t len, cap;
} parley_tiktok_cursor_t;

void parley_tiktok_cursor_init(parley_tiktok_cursor_t *c);
void parley_tiktok_cursor_free(parley_tiktok_cursor_t *c);
/* Replace c with a stored value (NULL or malformed: an empty cursor).
 * Returns 0 or PARLEY_ENOMEM. */
int parley_tiktok_cursor_parse(parley_tiktok_cursor_t *c, const char *s);
int parley_tiktok_cursor_copy(parley_tiktok_cursor_t *dst, const parley_tiktok_cursor_t *src);
/* 1 when the item (ms, id) was not taken before the cursor. */
int parley_tiktok_cursor_is_new(const parley_tiktok_cursor_t *c, int64_t ms, const char *id);
/* Record an item as taken (moves to a newer time, or adds the id; ids with
 * ',' or ':' are ignored). Returns 0 or PARLEY_ENOMEM. */
int parley_tiktok_cursor_take(parley_tiktok_cursor_t *c, int64_t ms, const char *id);
/* "ms:id,..." (caller frees), or NULL when out of memory. */
char *parley_tiktok_cursor_format(const parley_tiktok_cursor_t *c);

/* ---- tiktok_backfill.c -------------------------------------------------- */

int parley_tiktok_backfill_new(parley_tiktok_t *t, parley_error_t *err);
void parley_tiktok_backfill_free(parley_tiktok_t *t);

/* ---- tiktok_webhook.c --------------------------------------------------- */

void parley_tiktok_webhook(void *instance, const parley_webhook_t *wh,
                           parley_webhook_reply_t *reply);

/* ---- tiktok_actions.c --------------------------------------------------- */

void parley_tiktok_action(void *instance, parley_action_req_t *req);

#endif
