/* twitter — direct messages, GET /2/dm_events (§5a): every conversation of
 * the brand, newest first, user context only. There is no since_id: the
 * source walk stops at the page that reaches an id it has seen. */
#include <stdio.h>

#include "parley/sdk/query.h"
#include "twitter.h"

static int64_t clamp(int64_t v) { return v < 1 ? 1 : v > 100 ? 100 : v; }

char *parley_twitter_dms_url(parley_twitter_t *tw, const char *cursor) {
  parley_sdk_query_t q;
  char path[600];
  snprintf(path, sizeof path, "%s/2/dm_events", tw->base);
  if (parley_sdk_query_init_url(&q, path) != 0)
    return NULL;
  parley_sdk_query_add(&q, "event_types", "MessageCreate");
  parley_sdk_query_add_int(&q, "max_results", clamp(tw->cfg->max_results));
  parley_sdk_query_add(&q, "pagination_token", cursor);
  parley_sdk_query_add(&q, "dm_event.fields",
                       "id,text,event_type,created_at,dm_conversation_id,sender_id,"
                       "participant_ids,attachments");
  parley_sdk_query_add(&q, "expansions", "sender_id,attachments.media_keys");
  parley_sdk_query_add(&q, "user.fields", PARLEY_TWITTER_USER_FIELDS);
  parley_sdk_query_add(&q, "media.fields", PARLEY_TWITTER_MEDIA_FIELDS);
  return parley_sdk_query_steal(&q);
}
