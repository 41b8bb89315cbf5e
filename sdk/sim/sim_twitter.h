/* parley-sim — Twitter/X: what the sim_twitter*.c files share.
 * Facts: ../shared/platforms/twitter.md (cited by section in the files). */
#ifndef PARLEY_SIM_TWITTER_H
#define PARLEY_SIM_TWITTER_H

#include "sim.h"

#define PARLEY_TW "twitter"
#define PARLEY_TW_ID_BASE 1860000000000000000ULL
#define PARLEY_TW_WINDOW_S 900           /* 15-minute windows (§8) */
#define PARLEY_TW_MENTIONS_DEPTH 800     /* only the 800 newest mentions (§2) */

typedef struct parley_tw_query parley_tw_query_t;

typedef struct parley_tw_rule {
  char id[32];
  char *value;
  char *tag; /* may be NULL */
  parley_tw_query_t *query;
} parley_tw_rule_t;

typedef struct parley_tw_conn parley_tw_conn_t;

typedef enum { PARLEY_TW_CRC_NONE = 0, PARLEY_TW_CRC_PENDING, PARLEY_TW_CRC_VALID,
               PARLEY_TW_CRC_INVALID } parley_tw_crc_t;

typedef struct parley_tw {
  char brand_id[32];
  char brand_handle[64];
  char *consumer_secret; /* signs webhooks and CRC; never logged */
  char *api_key;         /* client_credentials (Basic) */
  char *client_id;       /* OAuth 2 PKCE client id (refresh grant) */
  parley_tw_rule_t *rules;
  size_t nrules, caprules;
  parley_tw_conn_t *conns;
  size_t max_connections;
  parley_sim_timer_t *keepalive;
  parley_tw_crc_t crc;
  char crc_token[48];
} parley_tw_t;

/* The kinds of credentials an endpoint accepts (§1 table). */
typedef enum { PARLEY_TW_AUTH_APP = 1, PARLEY_TW_AUTH_USER = 2,
               PARLEY_TW_AUTH_ANY = 3 } parley_tw_authkind_t;

/* One request being served: its auth, rate-limit headers and state. */
typedef struct parley_tw_call {
  parley_sim_t *sim;
  parley_tw_t *tw;
  parley_httpd_req_t *req;
  const char *sub;               /* path after /twitter */
  const parley_sim_token_t *token;
  char user_id[32];              /* the token's user (user context), else "" */
  parley_sim_headers_t headers;  /* x-rate-limit-*, x-transaction-id */
} parley_tw_call_t;

parley_tw_t *parley_tw_state(parley_sim_t *sim);

/* Auth check, scope check and rate limit for the endpoint; answers the
 * request itself (401/403/429) and returns -1 when it must stop. */
int parley_tw_gate(parley_tw_call_t *c, parley_tw_authkind_t kinds, const char *scope,
                   const char *endpoint, long app_limit, long user_limit);
/* Answer c->req and free c's headers. body stolen. */
void parley_tw_reply(parley_tw_call_t *c, int status, json_t *body);
/* Problem+json answers (§9a). */
void parley_tw_problem(parley_tw_call_t *c, int status, const char *title, const char *type,
                       const char *detail);
void parley_tw_invalid_param(parley_tw_call_t *c, const char *param, const char *value,
                             const char *message);
/* A query parameter into buf, or NULL. */
const char *parley_tw_param(parley_tw_call_t *c, const char *name, char *buf, size_t len);

/* sim_twitter_render.c: v2 objects with field selection. */
typedef struct parley_tw_fields {
  char tweet[512];
  char user[512];
  char expansions[512];
  char dm[512];
} parley_tw_fields_t;
void parley_tw_fields_read(parley_tw_call_t *c, parley_tw_fields_t *f);
int parley_tw_has(const char *list, const char *name);
json_t *parley_tw_tweet(parley_sim_t *sim, json_t *item, const parley_tw_fields_t *f);
json_t *parley_tw_user(parley_sim_t *sim, json_t *user, const parley_tw_fields_t *f);
/* includes.users / includes.tweets for data (an array of stored items). */
json_t *parley_tw_includes(parley_sim_t *sim, json_t *items, const parley_tw_fields_t *f,
                           int dm);
json_t *parley_tw_dm_event(parley_sim_t *sim, json_t *item, const parley_tw_fields_t *f);
void parley_tw_dm_conversation_id(parley_sim_t *sim, json_t *item, char *buf, size_t len);
void parley_tw_time(uint64_t ms, char *buf, size_t len);          /* 2024-05-13T09:21:07.000Z */
void parley_tw_time_v1(uint64_t ms, char *buf, size_t len);       /* Mon May 13 09:21:07 +0000 2024 */
int parley_tw_parse_time(const char *s, uint64_t *ms);
/* Parent tweet's author id, or NULL. */
const char *parley_tw_reply_to_user(parley_sim_t *sim, json_t *item);
/* Does item @-mention (or reply to) user? */
int parley_tw_mentions_user(parley_sim_t *sim, json_t *item, const char *user_id);
/* Does text contain @handle as a token (case-insensitive)? */
int parley_tw_text_mentions(const char *text, const char *handle);
/* Entities (mentions, hashtags) of text, in code-point offsets. */
json_t *parley_tw_entities(parley_sim_t *sim, const char *text);

/* A page of stored items (newest first) answered with meta and includes.
 * token_prev: emit previous_token (timelines), min/max: max_results range. */
typedef struct parley_tw_page_opts {
  long min_results, max_results, default_results;
  int previous_token;
  size_t depth;  /* 0: unlimited */
  int dm;        /* items are DM events */
  const char *next_param; /* "pagination_token" or "next_token" */
} parley_tw_page_opts_t;
void parley_tw_page(parley_tw_call_t *c, parley_sim_filter_t *filter,
                    const parley_tw_page_opts_t *o);

/* sim_twitter_query.c: the search/rule query language (§3). */
int parley_tw_query_parse(const char *q, parley_tw_query_t **out, char *err, size_t errlen);
int parley_tw_query_match(parley_sim_t *sim, const parley_tw_query_t *q, json_t *item);
void parley_tw_query_free(parley_tw_query_t *q);

/* sim_twitter_stream.c (§4). */
void parley_tw_stream_rules(parley_tw_call_t *c);
void parley_tw_stream_connect(parley_tw_call_t *c);
void parley_tw_stream_push(parley_sim_t *sim, json_t *item);
void parley_tw_stream_free(parley_tw_t *tw);
/* POST /twitter/_sim/stream/{disconnect,stall} */
void parley_tw_stream_control(parley_tw_call_t *c, const char *what);

/* sim_twitter_dm.c (§5). */
void parley_tw_dm_list(parley_tw_call_t *c, const char *with, const char *conversation);
void parley_tw_dm_send(parley_tw_call_t *c, const char *with, const char *conversation);

/* sim_twitter_aaa.c: Account Activity webhooks (§7). */
void parley_tw_aaa_item(parley_sim_t *sim, json_t *item);
void parley_tw_aaa_crc(parley_sim_t *sim, const char *url);

#endif
