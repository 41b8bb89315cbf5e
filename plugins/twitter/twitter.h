/* twitter — the Twitter/X connector: what its files share.
 *
 * One instance serves one brand account. Sources (option `sources`) run side
 * by side on the router's loop: mentions, search (one poller per query), dms,
 * stream (the filtered stream) and webhook (Account Activity). Every path
 * maps a tweet to the same event id, "twitter:<tweet id>", so the core's
 * dedup keeps one whatever path delivered it first.
 *
 * Facts: shared/platforms/twitter.md (cited by section). */
#ifndef PARLEY_TWITTER_H
#define PARLEY_TWITTER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "parley/connector.h"
#include "parley/sdk/http.h"
#include "parley/sdk/paging.h"
#include "parley/sdk/poll.h"

#define PARLEY_TWITTER_PLATFORM "twitter"

/* The fields every tweet request asks for, so a tweet maps to the same event
 * whichever path (mentions, search, stream) brought it (§2, §10). */
#define PARLEY_TWITTER_TWEET_FIELDS                                                   \
  "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,lang,"  \
  "entities,attachments"
#define PARLEY_TWITTER_EXPANSIONS "author_id,attachments.media_keys"
#define PARLEY_TWITTER_USER_FIELDS "username,name,verified,public_metrics"
#define PARLEY_TWITTER_MEDIA_FIELDS "type,url,preview_image_url"

/* The instance's options, filled by the core from the option table. */
typedef struct parley_twitter_config {
  const char *base_url;
  const char *account_id;
  const char *account_handle;
  const char *bearer_token;      /* secret: app-only (search, stream) */
  const char *user_access_token; /* secret: OAuth 2 user context */
  const char *refresh_token;     /* secret */
  const char *client_id;
  const char *client_secret;     /* secret */
  const char *consumer_secret;   /* secret: Account Activity CRC and signatures */
  parley_strlist_t sources;
  parley_strlist_t search_queries;
  parley_strlist_t stream_rules;
  int64_t poll_floor_ms;
  int64_t poll_interval_ms;
  int64_t max_results;
  int include_raw;
  int64_t stream_timeout_ms;
} parley_twitter_config_t;

typedef struct parley_twitter parley_twitter_t;
typedef struct parley_twitter_source parley_twitter_source_t;
typedef struct parley_twitter_stream parley_twitter_stream_t;

/* What a polled source is (mentions, one search query, DMs). */
typedef enum {
  PARLEY_TWITTER_SRC_MENTIONS = 1,
  PARLEY_TWITTER_SRC_SEARCH,
  PARLEY_TWITTER_SRC_DMS,
} parley_twitter_src_kind_t;

struct parley_twitter {
  const parley_host_t *host;
  parley_instance_t *inst;
  const parley_twitter_config_t *cfg;
  char base[512];                /* base_url without a trailing '/' */
  parley_sdk_http_t *app;        /* app-only bearer (search, stream, rules) */
  parley_sdk_http_t *user;       /* user context (mentions, DMs, actions) */
  size_t repaired; /* characters replaced by U+FFFD in the input being mapped now */
  parley_twitter_source_t **sources;
  size_t nsources;
  parley_twitter_stream_t *stream;
  int want_webhook;
  int auth_bad_user, auth_bad_app; /* a token was refused (reported unhealthy) */
  int stopping;
  int closing;                   /* clients still closing in stop() */
  /* OAuth 2 refresh (twitter_auth.c) */
  int refreshing;
  parley_sdk_http_op_t *refresh_op;
  char *access_token;            /* current user token (copy; wiped on free) */
  char *refresh_token;           /* current refresh token (copy; wiped on free) */
};

/* ---- twitter_map.c: payload -> event (pure, unit-tested) ---------------- */

/* What the mapping needs to know about the brand and the path. */
typedef struct parley_twitter_map_ctx {
  const char *account_id;     /* the brand's user id */
  const char *account_handle; /* without '@' */
  const char *account;        /* event "account" field */
  const char *matched_query;  /* search query or stream rule tag, NULL none */
  int include_raw;
} parley_twitter_map_ctx_t;

/* The kind of a v2 tweet for the brand: outbound (the brand wrote it), reply
 * (answers the brand), mention (@-mentions the brand), else keyword_match. */
parley_kind_t parley_twitter_classify(const json_t *tweet, const parley_twitter_map_ctx_t *ctx);

/* Map a v2 tweet, with the response's includes (may be NULL), to a new event.
 * Returns 0 and *out (caller owns it); PARLEY_ENOENT for a retweet (nothing
 * to emit); or PARLEY_EINVAL / PARLEY_ENOMEM with err naming what was wrong. */
int parley_twitter_map_tweet(const json_t *tweet, const json_t *includes,
                             const parley_twitter_map_ctx_t *ctx, parley_event_t **out,
                             parley_error_t *err);

/* Map a v2 DM event (MessageCreate). Other event types give PARLEY_ENOENT
 * (nothing to emit). */
int parley_twitter_map_dm(const json_t *dm, const json_t *includes,
                          const parley_twitter_map_ctx_t *ctx, parley_event_t **out,
                          parley_error_t *err);

/* Account Activity payloads (§7c, v1.1 objects): one tweet_create_events
 * element, and one direct_message_events element with the payload's users
 * map. */
int parley_twitter_map_v1_tweet(const json_t *tweet, const parley_twitter_map_ctx_t *ctx,
                                parley_event_t **out, parley_error_t *err);
int parley_twitter_map_v1_dm(const json_t *dm, const json_t *users,
                             const parley_twitter_map_ctx_t *ctx, parley_event_t **out,
                             parley_error_t *err);

/* The 1:1 DM conversation id "<lower id>-<higher id>" (§5a). */
void parley_twitter_dm_conversation(const char *a, const char *b, char *buf, size_t len);

/* ---- twitter_keywords.c ---------------------------------------------- */

/* Add to ev (as signals.keywords) each plain search term of query (words and
 * quoted phrases; operators, negations, from:/lang:-style filters left out;
 * a leading # or @ kept) that text contains, case-insensitively. Returns the
 * number added. */
size_t parley_twitter_match_keywords(const char *query, const char *text, parley_event_t *ev);

/* ---- twitter.c -------------------------------------------------------- */

/* Hand an event to the core (counts refusals). Takes ev. */
void parley_twitter_emit(parley_twitter_t *tw, parley_event_t *ev);
/* emit() in two steps, for an event held before it is emitted (a poll's
 * order): mark() notes the repairs of the response being read now,
 * emit_marked() hands it over later. */
void parley_twitter_mark(parley_twitter_t *tw, parley_event_t *ev);
void parley_twitter_emit_marked(parley_twitter_t *tw, parley_event_t *ev);
/* The mapping context of this instance for a path (matched may be NULL). */
void parley_twitter_map_ctx(parley_twitter_t *tw, const char *matched,
                            parley_twitter_map_ctx_t *ctx);

/* ---- twitter_source.c: polled sources (mentions, search, dms) ---------- */

int parley_twitter_source_new(parley_twitter_t *tw, parley_twitter_src_kind_t kind,
                              const char *query, parley_twitter_source_t **out,
                              parley_error_t *err);
int parley_twitter_source_start(parley_twitter_source_t *s);
/* Poll again as soon as the limits allow (stream back-fill). */
void parley_twitter_source_poll_now(parley_twitter_source_t *s);
void parley_twitter_source_stop(parley_twitter_source_t *s);
void parley_twitter_source_free(parley_twitter_source_t *s);
/* The URL of one page (twitter_mentions.c, twitter_search.c, twitter_dms.c).
 * Returns a malloc'ed URL or NULL. */
char *parley_twitter_mentions_url(parley_twitter_t *tw, const char *since_id, const char *cursor);
char *parley_twitter_search_url(parley_twitter_t *tw, const char *query, const char *since_id,
                                const char *cursor);
char *parley_twitter_dms_url(parley_twitter_t *tw, const char *cursor);

/* ---- twitter_backfill.c: one-shot search walks after a stream gap ----- */

typedef struct parley_twitter_backfill parley_twitter_backfill_t;
/* status 0 or the PARLEY_E* of the failed page; newest: the highest id seen
 * (since_id when nothing new). The back-fill is freed after the call. */
typedef void (*parley_twitter_backfill_cb)(parley_twitter_t *tw, int status, const char *newest,
                                           void *data);
/* Walk every query (borrowed; must outlive the back-fill) with since_id
 * (NULL/"": newest page only), emitting each tweet with the query as its
 * matched query. Returns 0 (cb runs once, later) or a PARLEY_E* code. */
int parley_twitter_backfill(parley_twitter_t *tw, const parley_strlist_t *queries,
                            const char *since_id, parley_twitter_backfill_cb cb, void *data,
                            parley_twitter_backfill_t **out);
/* Cancel: cb still runs once, with PARLEY_ECANCELED. */
void parley_twitter_backfill_cancel(parley_twitter_backfill_t *b);

/* ---- twitter_stream.c ------------------------------------------------- */

int parley_twitter_stream_new(parley_twitter_t *tw, parley_twitter_stream_t **out,
                              parley_error_t *err);
int parley_twitter_stream_start(parley_twitter_stream_t *st);
/* Stop: cancels the connection; done(tw) is called once nothing is in
 * flight (possibly at once). */
void parley_twitter_stream_stop(parley_twitter_stream_t *st, void (*done)(parley_twitter_t *));
void parley_twitter_stream_free(parley_twitter_stream_t *st);

/* ---- twitter_webhook.c ------------------------------------------------ */

void parley_twitter_webhook(void *instance, const parley_webhook_t *wh,
                            parley_webhook_reply_t *reply);

/* ---- twitter_actions.c ------------------------------------------------ */

void parley_twitter_action(void *instance, parley_action_req_t *req);

/* ---- twitter_auth.c --------------------------------------------------- */

/* A call failed: if it was refused for its credentials, report the instance
 * unhealthy once (naming what and where, never the token) and, when a
 * refresh token is configured, refresh the user token. Returns 1 when the
 * failure was an auth failure. */
int parley_twitter_auth_failed(parley_twitter_t *tw, const parley_sdk_http_result_t *r,
                               int user_context);
/* A call succeeded: clear a reported auth failure. */
void parley_twitter_auth_ok(parley_twitter_t *tw, int user_context);
/* Load refreshed tokens from the checkpoint store (start). */
void parley_twitter_auth_load(parley_twitter_t *tw);
void parley_twitter_auth_free(parley_twitter_t *tw);

#endif
