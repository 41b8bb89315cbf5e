/* twitter — the mentions timeline, GET /2/users/:id/mentions (§2): tweets
 * that @-mention the brand or reply to it, newest first, with the author and
 * media expansions and the user fields an event needs. */
#include <stdio.h>

#include "parley/sdk/query.h"
#include "twitter.h"

/* max_results must be 5..100 here; outside, the API answers 400 (§2). */
static int64_t clamp(int64_t v) { return v < 5 ? 5 : v > 100 ? 100 : v; }

char *parley_twitter_mentions_url(parley_twitter_t *tw, const char *since_id, const char *cursor) {
  parley_sdk_query_t q;
  char path[600];
  snprintf(path, sizeof path, "%s/2/users/%s/mentions", tw->base, tw->cfg->account_id);
  if (parley_sdk_query_init_url(&q, path) != 0)
    return NULL;
  parley_sdk_query_add_int(&q, "max_results", clamp(tw->cfg->max_results));
  parley_sdk_query_add(&q, "since_id", since_id);
  parley_sdk_query_add(&q, "pagination_token", cursor);
  parley_sdk_query_add(&q, "tweet.fields", PARLEY_TWITTER_TWEET_FIELDS);
  parley_sdk_query_add(&q, "expansions", PARLEY_TWITTER_EXPANSIONS);
  parley_sdk_query_add(&q, "user.fields", PARLEY_TWITTER_USER_FIELDS);
  parley_sdk_query_add(&q, "media.fields", PARLEY_TWITTER_MEDIA_FIELDS);
  return parley_sdk_query_steal(&q);
}
