/* twitter — recent search, GET /2/tweets/search/recent (§3): the brand's
 * name without the @ (customers often don't tag), product names, hashtags,
 * competitors. One poller per query, each with its own since_id. */
#include <stdio.h>

#include "parley/sdk/query.h"
#include "twitter.h"

/* max_results must be 10..100 on search (5 is the minimum on mentions). */
static int64_t clamp(int64_t v) { return v < 10 ? 10 : v > 100 ? 100 : v; }

char *parley_twitter_search_url(parley_twitter_t *tw, const char *query, const char *since_id,
                                const char *cursor) {
  parley_sdk_query_t q;
  char path[600];
  snprintf(path, sizeof path, "%s/2/tweets/search/recent", tw->base);
  if (parley_sdk_query_init_url(&q, path) != 0)
    return NULL;
  parley_sdk_query_add(&q, "query", query);
  parley_sdk_query_add_int(&q, "max_results", clamp(tw->cfg->max_results));
  parley_sdk_query_add(&q, "since_id", since_id);
  parley_sdk_query_add(&q, "next_token", cursor);
  parley_sdk_query_add(&q, "tweet.fields", PARLEY_TWITTER_TWEET_FIELDS);
  parley_sdk_query_add(&q, "expansions", PARLEY_TWITTER_EXPANSIONS);
  parley_sdk_query_add(&q, "user.fields", PARLEY_TWITTER_USER_FIELDS);
  parley_sdk_query_add(&q, "media.fields", PARLEY_TWITTER_MEDIA_FIELDS);
  return parley_sdk_query_steal(&q);
}
