/* linkedin — the LinkedIn organization-page connector: what its files share.
 *
 *   linkedin.c          descriptor, option table, lifecycle
 *   linkedin_api.c      the versioned /rest client: required headers, URN
 *                       encoding, health and throttle reporting, OAuth refresh
 *   linkedin_urn.c      URN parsing and normalising (pure, unit-testable)
 *   linkedin_map.c      comments, replies, notifications -> parley events
 *   linkedin_comments.c the comments source: the organization's posts, their
 *                       comments and replies, newest first, per-post checkpoints
 *   linkedin_mentions.c the mentions source: organizationalEntityNotifications
 *   linkedin_webhook.c  /hooks/<instance>: challengeCode, X-LI-Signature
 *   linkedin_actions.c  comment / reply as the organization, delete, refusals
 *
 * One instance serves one organization (company page) through the token of a
 * member who is its ADMINISTRATOR. Every path maps a comment to the same event
 * id, "linkedin:<comment id>" (the 19-digit id inside its URN, whichever of
 * the long or short URN forms carried it), so the core's dedup keeps one;
 * conversation_id is the post's URN, which with the id gives the comment's
 * URN back for actions.
 *
 * Facts: /work/shared/platforms/linkedin.md (cited by section) and
 * docs/connectors/linkedin.md (what was decided where the platform is silent). */
#ifndef PARLEY_LINKEDIN_H
#define PARLEY_LINKEDIN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "parley/connector.h"
#include "parley/sdk/http.h"
#include "parley/sdk/poll.h"

#define PARLEY_LINKEDIN_PLATFORM "linkedin"
/* Longest URN kept (comment URNs are composite: thread URN + 19-digit id). */
#define PARLEY_LINKEDIN_URN_MAX 256

typedef struct parley_linkedin_config {
  const char *base_url;      /* https://api.linkedin.com (the API is base_url/rest/...) */
  const char *oauth_url;     /* https://www.linkedin.com/oauth/v2 */
  const char *organization;  /* urn:li:organization:<id>, or the bare id */
  const char *access_token;  /* secret: the ADMINISTRATOR member's token */
  const char *refresh_token; /* secret: programmatic refresh (MDP partners) */
  const char *client_id;
  const char *client_secret; /* secret: refresh, webhook signatures, challenge */
  const char *api_version;   /* LinkedIn-Version, YYYYMM */
  parley_strlist_t sources;  /* comments, mentions, webhook */
  int64_t poll_interval_ms;
  int64_t poll_floor_ms;
  int64_t posts_window;      /* newest posts whose comments are read */
  int64_t page_size;         /* count= of every finder, 1..100 */
  int hide_deletes;          /* hide = DELETE the comment (irreversible) */
  int include_raw;
} parley_linkedin_config_t;

typedef struct parley_linkedin parley_linkedin_t;
typedef struct parley_linkedin_comments parley_linkedin_comments_t;
typedef struct parley_linkedin_mentions parley_linkedin_mentions_t;

struct parley_linkedin {
  const parley_host_t *host;
  parley_instance_t *inst;
  const parley_linkedin_config_t *cfg;
  char org[PARLEY_LINKEDIN_URN_MAX]; /* urn:li:organization:<id> */
  char org_enc[PARLEY_LINKEDIN_URN_MAX * 3];
  char base[512];                    /* base_url without a trailing '/' */
  parley_sdk_http_t *http;
  size_t repaired; /* characters replaced by U+FFFD in the input being mapped now */
  parley_linkedin_comments_t *comments;
  parley_linkedin_mentions_t *mentions;
  int want_webhook;
  int unhealthy, throttled, stopping;
  /* OAuth refresh (linkedin_api.c) */
  int refreshing, refresh_failed;
  char *access_token, *refresh_token; /* refreshed copies, wiped on free */
};

/* ---- linkedin.c ------------------------------------------------------- */

/* Hand an event to the core; counts emitted / refused. Takes ev. */
void parley_linkedin_emit(parley_linkedin_t *li, parley_event_t *ev);
/* emit() in two steps, for an event held before it is emitted (a poll's
 * order): mark() notes the repairs of the response being read now,
 * emit_marked() hands it over later. */
void parley_linkedin_mark(parley_linkedin_t *li, parley_event_t *ev);
void parley_linkedin_emit_marked(parley_linkedin_t *li, parley_event_t *ev);
/* The emit function of a parley_sdk_order_t whose data is li. */
void parley_linkedin_emit_held(parley_event_t *ev, void *li);
/* Add n to the counter "linkedin_<what>". */
void parley_linkedin_count(parley_linkedin_t *li, const char *what, uint64_t n);
/* Poll every source as soon as the limits allow (a new token, a webhook). */
void parley_linkedin_poll_now(parley_linkedin_t *li);

/* ---- linkedin_urn.c (pure) ------------------------------------------- */

/* Normalise a URN into buf: the short comment form
 * urn:li:comment:(activity:1,2) becomes urn:li:comment:(urn:li:activity:1,2);
 * other URNs are copied. Returns its length, or PARLEY_EINVAL for something
 * that is not a urn:li: URN, PARLEY_ENOBUFS when it does not fit. */
int parley_linkedin_urn_normalize(const char *urn, char *buf, size_t len);
/* The parts of a comment URN: the post URN and the comment id. A nested
 * URN whose thread is the parent comment gives the parent's post. 0, or
 * PARLEY_EINVAL when urn is not a comment URN. */
int parley_linkedin_comment_split(const char *urn, char *thread, size_t tlen, char *id,
                                  size_t ilen);
/* 1 for a post URN: urn:li:share:, urn:li:ugcPost:, urn:li:activity:. */
int parley_linkedin_is_post_urn(const char *urn);
/* Percent-encode a URN for a path segment or query value (§3: ':' '(' ')'
 * ','). Returns the length or PARLEY_ENOBUFS. */
int parley_linkedin_urn_encode(const char *urn, char *buf, size_t len);
/* The native id of a URN, the number an event id carries: a comment's id,
 * a post's share/ugcPost/activity number. 0 or PARLEY_EINVAL. */
int parley_linkedin_urn_id(const char *urn, char *buf, size_t len);
/* The URN an action acts on: from an event id "linkedin:<number>" and the
 * event's conversation (the post URN): the post itself when the number is
 * the post's, else the comment urn:li:comment:(<post>,<number>); a target
 * written as a URN ("linkedin:urn:li:comment:(...)") is taken as it is.
 * 0 or PARLEY_EINVAL. */
int parley_linkedin_event_urn(const char *ref, const char *conversation, char *buf, size_t len);

/* ---- linkedin_map.c --------------------------------------------------- */

/* Map one element of GET /rest/socialActions/{urn}/comments. Returns 0 and
 * *out (caller owns it), or PARLEY_EINVAL with err naming what is missing. */
int parley_linkedin_map_comment(parley_linkedin_t *li, const json_t *c, parley_event_t **out,
                                parley_error_t *err);
/* Map one organization social action notification (pull API or webhook):
 * COMMENT / ADMIN_COMMENT / COMMENT_EDIT / COMMENT_DELETE / SHARE_MENTION /
 * LIKE; anything else becomes kind unknown with the payload raw. */
int parley_linkedin_map_notification(parley_linkedin_t *li, const json_t *n,
                                     parley_event_t **out, parley_error_t *err);
/* The key that orders notifications: lastModifiedAt (ms), 0 when absent or
 * past year 9999 (PARLEY_TIME_MAX_MS). */
int64_t parley_linkedin_notification_ms(const json_t *n);

/* ---- linkedin_api.c --------------------------------------------------- */

/* Create the SDK client (LINKEDIN policy, Bearer token, LinkedIn-Version and
 * X-Restli-Protocol-Version on every call). */
int parley_linkedin_api_init(parley_linkedin_t *li, parley_error_t *err);
/* "<base>/rest<path>" (malloc'ed), NULL when out of memory. */
char *parley_linkedin_url(const parley_linkedin_t *li, const char *path);
/* Send a call (method NULL = GET, json may be NULL). Returns 0 (cb runs once)
 * or PARLEY_ESTATE while stopping, or the SDK's code. */
int parley_linkedin_send(parley_linkedin_t *li, const char *method, const char *url,
                         const char *endpoint, const json_t *json, parley_sdk_http_cb cb,
                         void *data);
/* A call ended (not canceled): report the token refused (unhealthy with a
 * system event, or refresh first when a refresh token is configured), a
 * throttle, or clear them after a success. Never logs the token. */
void parley_linkedin_outcome(parley_linkedin_t *li, const parley_sdk_http_result_t *r,
                             const char *what);
/* Read refreshed tokens back from the checkpoint store (start). */
void parley_linkedin_auth_load(parley_linkedin_t *li);
void parley_linkedin_auth_free(parley_linkedin_t *li);

/* ---- linkedin_comments.c / linkedin_mentions.c ------------------------- */

int parley_linkedin_comments_new(parley_linkedin_t *li, parley_linkedin_comments_t **out,
                                 parley_error_t *err);
int parley_linkedin_mentions_new(parley_linkedin_t *li, parley_linkedin_mentions_t **out,
                                 parley_error_t *err);
/* The scheduler of each source (start, stop, poll_now go through it). */
parley_sdk_poll_t *parley_linkedin_comments_poll(parley_linkedin_comments_t *s);
parley_sdk_poll_t *parley_linkedin_mentions_poll(parley_linkedin_mentions_t *s);
void parley_linkedin_comments_free(parley_linkedin_comments_t *s);
void parley_linkedin_mentions_free(parley_linkedin_mentions_t *s);

/* Poll scheduler settings from the options (shared by both sources). */
void parley_linkedin_poll_config(const parley_linkedin_t *li, parley_sdk_poll_config_t *pc);

/* ---- linkedin_webhook.c / linkedin_actions.c -------------------------- */

void parley_linkedin_webhook(void *instance, const parley_webhook_t *wh,
                             parley_webhook_reply_t *reply);
void parley_linkedin_action(void *instance, parley_action_req_t *req);

#endif
