/* twitter — payload to event mapping (pure: no I/O, no host calls).
 *
 * v2 tweets (mentions, search, stream: §2, §3, §4, §10) and v2 DM events
 * (§5) map directly. Account Activity payloads (§7c) carry v1.1 objects:
 * they are first rewritten into the v2 shape, so every path goes through the
 * same mapping and yields the same event for the same tweet.
 *
 * Ids stay strings from the JSON text to the event: 64-bit values never pass
 * through a double (§11.1). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parley/event.h"
#include "parley/sdk/json.h"
#include "parley/sdk/paging.h"
#include "parley/sdk/time.h"
#include "twitter.h"

/* Twitter's snowflake epoch: a tweet id carries its creation time in its
 * upper bits (ms since 2010-11-04T01:42:54.657Z). Used only when a payload
 * lacks created_at. */
#define TW_SNOWFLAKE_EPOCH_MS 1288834974657LL

static int str_eq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

static const char *handle_of(const parley_twitter_map_ctx_t *ctx) {
  const char *h = ctx->account_handle;
  return h && h[0] == '@' ? h + 1 : h;
}

/* The user with this id in includes.users, or NULL. */
static const json_t *find_user(const json_t *includes, const char *id) {
  size_t n;
  json_t *users = parley_sdk_json_array(includes, "users", &n);
  for (size_t i = 0; i < n && id; i++) {
    json_t *u = json_array_get(users, i);
    if (str_eq(parley_sdk_json_str(u, "id", NULL), id))
      return u;
  }
  return NULL;
}

/* The id of the tweet referenced as `type` ("replied_to", "retweeted"), or
 * NULL. */
static const char *referenced(const json_t *tweet, const char *type) {
  size_t n;
  json_t *refs = parley_sdk_json_array(tweet, "referenced_tweets", &n);
  for (size_t i = 0; i < n; i++) {
    json_t *r = json_array_get(refs, i);
    if (str_eq(parley_sdk_json_str(r, "type", NULL), type))
      return parley_sdk_json_str(r, "id", NULL);
  }
  return NULL;
}

/* The first id of edit_history_tweet_ids when the tweet is a later version
 * of it (an edit gets a new id, §11.7), else NULL. */
static const char *edit_of(const json_t *tweet, const char *id) {
  size_t n;
  json_t *hist = parley_sdk_json_array(tweet, "edit_history_tweet_ids", &n);
  const char *first = n > 1 ? json_string_value(json_array_get(hist, 0)) : NULL;
  return first && parley_sdk_id_valid(first) && !str_eq(first, id) ? first : NULL;
}

static int word_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* Does text hold "@handle" as a whole token (case-insensitive)? */
static int text_mentions(const char *text, const char *handle) {
  size_t n = handle ? strlen(handle) : 0;
  if (!text || n == 0)
    return 0;
  for (const char *p = strchr(text, '@'); p; p = strchr(p + 1, '@')) {
    /* after a match of n characters, p[1 + n] is at most the final NUL */
    if ((p == text || !word_char(p[-1])) && strncasecmp(p + 1, handle, n) == 0 &&
        !word_char(p[1 + n]))
      return 1;
  }
  return 0;
}

static int mentions_brand(const json_t *tweet, const parley_twitter_map_ctx_t *ctx) {
  size_t n;
  json_t *m = parley_sdk_json_array(tweet, "entities.mentions", &n);
  const char *handle = handle_of(ctx);
  for (size_t i = 0; i < n; i++) {
    json_t *e = json_array_get(m, i);
    const char *name = parley_sdk_json_str(e, "username", NULL);
    if (str_eq(parley_sdk_json_str(e, "id", NULL), ctx->account_id) ||
        (name && handle && strcasecmp(name, handle) == 0))
      return 1;
  }
  return text_mentions(parley_sdk_json_str(tweet, "text", NULL), handle);
}

parley_kind_t parley_twitter_classify(const json_t *tweet, const parley_twitter_map_ctx_t *ctx) {
  if (str_eq(parley_sdk_json_str(tweet, "author_id", NULL), ctx->account_id))
    return PARLEY_KIND_OUTBOUND;
  if (str_eq(parley_sdk_json_str(tweet, "in_reply_to_user_id", NULL), ctx->account_id))
    return PARLEY_KIND_REPLY;
  if (mentions_brand(tweet, ctx))
    return PARLEY_KIND_MENTION;
  return PARLEY_KIND_KEYWORD_MATCH;
}

/* The core's rule for event.lang (BCP 47 shape): 2..8 letters, then
 * "-" and 1..8 letters or digits, repeated. A looser check let tweets with
 * a lang such as "de4x" through, and the core refused the event (lost). */
static int lang_ok(const char *lang) {
  size_t n = 0;
  if (!lang)
    return 0;
  while (isalpha((unsigned char)lang[n]))
    n++;
  if (n < 2 || n > 8)
    return 0;
  for (const char *p = lang + n; *p;) {
    size_t k = 0;
    if (*p++ != '-')
      return 0;
    while (isalnum((unsigned char)p[k]))
      k++;
    if (k < 1 || k > 8)
      return 0;
    p += k;
  }
  return 1;
}

/* "twitter:<id>" into buf. */
static const char *event_id(const char *id, char *buf, size_t len) {
  snprintf(buf, len, PARLEY_TWITTER_PLATFORM ":%s", id);
  return buf;
}

static void set_author(parley_event_t *ev, const char *author_id, const json_t *user) {
  parley_event_set_author_id(ev, author_id);
  if (!user)
    return;
  parley_event_set_author_handle(ev, parley_sdk_json_str(user, "username", NULL));
  parley_event_set_author_name(ev, parley_sdk_json_str(user, "name", NULL));
  int64_t followers = parley_sdk_json_int(user, "public_metrics.followers_count", -1);
  if (followers >= 0)
    parley_event_set_author_followers(ev, followers);
  parley_event_set_author_verified(ev, parley_sdk_json_bool(user, "verified", 0));
}

static int64_t created_ms(const json_t *obj, const char *id) {
  int64_t ms = 0;
  if (parley_sdk_time_from_json(obj, "created_at", &ms) == 0)
    return ms;
  /* no created_at: the snowflake id knows when it was made */
  unsigned long long v = strtoull(id, NULL, 10);
  return (int64_t)(v >> 22) + TW_SNOWFLAKE_EPOCH_MS;
}

static const char *media_type(const char *t) {
  if (str_eq(t, "photo"))
    return "image";
  if (str_eq(t, "animated_gif"))
    return "gif";
  if (str_eq(t, "video"))
    return "video";
  return "file";
}

static void add_media(parley_event_t *ev, const json_t *tweet, const json_t *includes) {
  size_t nk, nm;
  json_t *keys = parley_sdk_json_array(tweet, "attachments.media_keys", &nk);
  json_t *media = parley_sdk_json_array(includes, "media", &nm);
  for (size_t i = 0; i < nk; i++) {
    const char *key = json_string_value(json_array_get(keys, i));
    for (size_t j = 0; j < nm && key; j++) {
      json_t *m = json_array_get(media, j);
      if (!str_eq(parley_sdk_json_str(m, "media_key", NULL), key))
        continue;
      const char *url = parley_sdk_json_str(m, "url", NULL);
      if (!url)
        url = parley_sdk_json_str(m, "preview_image_url", NULL);
      if (url && *url)
        parley_event_add_media(ev, media_type(parley_sdk_json_str(m, "type", NULL)), url);
    }
  }
}

static void set_raw(parley_event_t *ev, const json_t *raw) {
  char *text = json_dumps(raw, JSON_COMPACT);
  if (text)
    parley_event_set_raw(ev, text, strlen(text));
  free(text);
}

static parley_event_t *event_base(const char *id, const parley_twitter_map_ctx_t *ctx,
                                  parley_kind_t kind, parley_visibility_t vis) {
  char buf[PARLEY_SDK_ID_MAX + 16];
  parley_event_t *ev = parley_event_new();
  if (!ev)
    return NULL;
  parley_event_set_id(ev, event_id(id, buf, sizeof buf));
  parley_event_set_platform(ev, PARLEY_TWITTER_PLATFORM);
  parley_event_set_account(ev, ctx->account);
  parley_event_set_kind(ev, kind);
  parley_event_set_visibility(ev, vis);
  return ev;
}

static int map_tweet(const json_t *tweet, const json_t *includes, const json_t *raw,
                     const parley_twitter_map_ctx_t *ctx, parley_event_t **out,
                     parley_error_t *err) {
  char buf[PARLEY_SDK_ID_MAX + 96];
  const char *id = parley_sdk_json_str(tweet, "id", NULL);
  if (!parley_sdk_id_valid(id) || strlen(id) >= PARLEY_SDK_ID_MAX)
    return parley_error_set(err, PARLEY_EINVAL, "twitter: tweet without a valid string 'id'");
  /* a retweet repeats someone else's words: not a new message (§11.9) */
  if (referenced(tweet, "retweeted"))
    return PARLEY_ENOENT;
  /* A later version keeps its own id (so dedup lets it through) and names
   * the original as in_reply_to, as every connector maps edits. */
  const char *original = edit_of(tweet, id);
  parley_kind_t kind = original ? PARLEY_KIND_EDITED : parley_twitter_classify(tweet, ctx);
  parley_event_t *ev = event_base(id, ctx, kind, PARLEY_VISIBILITY_PUBLIC);
  if (!ev)
    return parley_error_set(err, PARLEY_ENOMEM, "twitter: out of memory mapping tweet %s", id);
  const char *conv = parley_sdk_json_str(tweet, "conversation_id", NULL);
  parley_event_set_conversation_id(ev, conv ? conv : id);
  const char *parent = original ? original : referenced(tweet, "replied_to");
  if (parent)
    parley_event_set_in_reply_to(ev, event_id(parent, buf, sizeof buf));
  const char *author = parley_sdk_json_str(tweet, "author_id", NULL);
  const json_t *user = find_user(includes, author);
  if (author)
    set_author(ev, author, user);
  /* long posts: text is cut at 280, note_tweet.text is whole (§11.8) */
  const char *text = parley_sdk_json_str(tweet, "note_tweet.text", NULL);
  parley_event_set_text(ev, text ? text : parley_sdk_json_str(tweet, "text", ""));
  const char *lang = parley_sdk_json_str(tweet, "lang", NULL);
  if (lang_ok(lang))
    parley_event_set_lang(ev, lang);
  parley_event_set_created_at(ev, created_ms(tweet, id));
  const char *username = parley_sdk_json_str(user, "username", NULL);
  if (username && *username)
    snprintf(buf, sizeof buf, "https://x.com/%s/status/%s", username, id);
  else
    snprintf(buf, sizeof buf, "https://x.com/i/web/status/%s", id);
  parley_event_set_url(ev, buf);
  add_media(ev, tweet, includes);
  if (kind == PARLEY_KIND_KEYWORD_MATCH && ctx->matched_query) {
    parley_event_set_matched_query(ev, ctx->matched_query);
    parley_twitter_match_keywords(ctx->matched_query, parley_event_text(ev), ev);
  }
  if (ctx->include_raw)
    set_raw(ev, raw ? raw : tweet);
  *out = ev;
  return 0;
}

int parley_twitter_map_tweet(const json_t *tweet, const json_t *includes,
                             const parley_twitter_map_ctx_t *ctx, parley_event_t **out,
                             parley_error_t *err) {
  return map_tweet(tweet, includes, NULL, ctx, out, err);
}

void parley_twitter_dm_conversation(const char *a, const char *b, char *buf, size_t len) {
  if (parley_sdk_id_cmp(a, b) <= 0)
    snprintf(buf, len, "%s-%s", a, b);
  else
    snprintf(buf, len, "%s-%s", b, a);
}

static int map_dm(const json_t *dm, const json_t *includes, const json_t *raw,
                  const parley_twitter_map_ctx_t *ctx, parley_event_t **out, parley_error_t *err) {
  char conv[2 * PARLEY_SDK_ID_MAX + 2];
  const char *id = parley_sdk_json_str(dm, "id", NULL);
  const char *type = parley_sdk_json_str(dm, "event_type", "MessageCreate");
  if (!str_eq(type, "MessageCreate"))
    return PARLEY_ENOENT; /* joins and leaves are not messages */
  if (!parley_sdk_id_valid(id) || strlen(id) >= PARLEY_SDK_ID_MAX)
    return parley_error_set(err, PARLEY_EINVAL, "twitter: DM event without a valid string 'id'");
  const char *sender = parley_sdk_json_str(dm, "sender_id", NULL);
  parley_kind_t kind = str_eq(sender, ctx->account_id) ? PARLEY_KIND_OUTBOUND
                                                       : PARLEY_KIND_DIRECT_MESSAGE;
  parley_event_t *ev = event_base(id, ctx, kind, PARLEY_VISIBILITY_PRIVATE);
  if (!ev)
    return parley_error_set(err, PARLEY_ENOMEM, "twitter: out of memory mapping DM %s", id);
  const char *c = parley_sdk_json_str(dm, "dm_conversation_id", NULL);
  if (!c && sender && ctx->account_id) {
    parley_twitter_dm_conversation(sender, ctx->account_id, conv, sizeof conv);
    c = conv;
  }
  parley_event_set_conversation_id(ev, c);
  if (sender)
    set_author(ev, sender, find_user(includes, sender));
  parley_event_set_text(ev, parley_sdk_json_str(dm, "text", ""));
  parley_event_set_created_at(ev, created_ms(dm, id));
  if (ctx->include_raw)
    set_raw(ev, raw ? raw : dm);
  *out = ev;
  return 0;
}

int parley_twitter_map_dm(const json_t *dm, const json_t *includes,
                          const parley_twitter_map_ctx_t *ctx, parley_event_t **out,
                          parley_error_t *err) {
  return map_dm(dm, includes, NULL, ctx, out, err);
}

/* ---- Account Activity (v1.1 objects) ----------------------------------- */

static void put_id(json_t *obj, const char *key, const json_t *src, const char *path) {
  char buf[PARLEY_SDK_ID_MAX];
  if (parley_sdk_json_id(src, path, buf, sizeof buf) > 0)
    json_object_set_new(obj, key, json_string(buf));
}

static void put_str(json_t *obj, const char *key, const char *value) {
  if (value)
    json_object_set_new(obj, key, json_string(value));
}

static void put_time(json_t *obj, int64_t ms) {
  char ts[PARLEY_TIME_MAX];
  if (ms > 0 && parley_time_format(ms, ts, sizeof ts) > 0)
    json_object_set_new(obj, "created_at", json_string(ts));
}

/* A v1.1 user ({id_str, screen_name, name, followers_count, verified}) as a
 * v2 user. */
static json_t *v1_user(const json_t *u) {
  json_t *out = json_object();
  put_id(out, "id", u, json_object_get(u, "id_str") ? "id_str" : "id");
  put_str(out, "username", parley_sdk_json_str(u, "screen_name", NULL));
  put_str(out, "name", parley_sdk_json_str(u, "name", NULL));
  json_object_set_new(out, "verified", json_boolean(parley_sdk_json_bool(u, "verified", 0)));
  int64_t f = parley_sdk_json_int(u, "followers_count", -1);
  if (f >= 0)
    json_object_set_new(out, "public_metrics", json_pack("{s:I}", "followers_count", (json_int_t)f));
  return out;
}

static void v1_mentions(json_t *v2, const json_t *v1) {
  size_t n;
  json_t *m = parley_sdk_json_array(v1, "entities.user_mentions", &n), *list = json_array();
  for (size_t i = 0; i < n; i++) {
    json_t *e = json_array_get(m, i), *o = json_object();
    put_id(o, "id", e, json_object_get(e, "id_str") ? "id_str" : "id");
    put_str(o, "username", parley_sdk_json_str(e, "screen_name", NULL));
    json_array_append_new(list, o);
  }
  json_object_set_new(v2, "entities", json_pack("{s:o}", "mentions", list));
}

static const char *v1_text(const json_t *t) {
  const char *s = parley_sdk_json_str(t, "extended_tweet.full_text", NULL);
  if (!s)
    s = parley_sdk_json_str(t, "full_text", NULL);
  return s ? s : parley_sdk_json_str(t, "text", "");
}

/* The v1.1 tweet rewritten as a v2 tweet; *users receives includes.users. */
static json_t *v1_tweet(const json_t *t, json_t **includes) {
  int64_t ms = 0;
  json_t *v2 = json_object();
  put_id(v2, "id", t, json_object_get(t, "id_str") ? "id_str" : "id");
  put_str(v2, "text", v1_text(t));
  put_id(v2, "author_id", t, "user.id_str");
  put_id(v2, "in_reply_to_user_id", t, "in_reply_to_user_id_str");
  char parent[PARLEY_SDK_ID_MAX];
  if (parley_sdk_json_id(t, "in_reply_to_status_id_str", parent, sizeof parent) > 0) {
    json_object_set_new(v2, "referenced_tweets",
                        json_pack("[{s:s,s:s}]", "type", "replied_to", "id", parent));
    /* v1.1 has no conversation_id: the parent is the best known thread id */
    json_object_set_new(v2, "conversation_id", json_string(parent));
  }
  put_str(v2, "lang", parley_sdk_json_str(t, "lang", NULL));
  char rt[PARLEY_SDK_ID_MAX];
  if (parley_sdk_json_id(t, "retweeted_status.id_str", rt, sizeof rt) > 0)
    json_object_set_new(v2, "referenced_tweets",
                        json_pack("[{s:s,s:s}]", "type", "retweeted", "id", rt));
  /* timestamp_ms keeps the milliseconds that created_at (seconds) drops */
  if (parley_sdk_time_from_json(t, "timestamp_ms", &ms) == 0)
    put_time(v2, ms);
  else if (parley_sdk_json_str(t, "created_at", NULL) &&
           parley_sdk_time_parse_twitter(parley_sdk_json_str(t, "created_at", NULL), &ms) == 0)
    put_time(v2, ms);
  v1_mentions(v2, t);
  json_t *user = json_object_get(t, "user");
  *includes = json_pack("{s:[o]}", "users", user ? v1_user(user) : json_object());
  return v2;
}

int parley_twitter_map_v1_tweet(const json_t *tweet, const parley_twitter_map_ctx_t *ctx,
                                parley_event_t **out, parley_error_t *err) {
  json_t *includes = NULL, *v2 = v1_tweet(tweet, &includes);
  int rc = v2 && includes ? map_tweet(v2, includes, tweet, ctx, out, err)
                          : parley_error_set(err, PARLEY_ENOMEM, "twitter: out of memory");
  json_decref(v2);
  json_decref(includes);
  return rc;
}

int parley_twitter_map_v1_dm(const json_t *dm, const json_t *users,
                             const parley_twitter_map_ctx_t *ctx, parley_event_t **out,
                             parley_error_t *err) {
  char sender[PARLEY_SDK_ID_MAX], recipient[PARLEY_SDK_ID_MAX], conv[2 * PARLEY_SDK_ID_MAX + 2];
  int64_t ms = 0;
  if (!str_eq(parley_sdk_json_str(dm, "type", NULL), "message_create"))
    return PARLEY_ENOENT;
  json_t *v2 = json_object(), *inc = json_object(), *list = json_array();
  put_id(v2, "id", dm, "id");
  put_str(v2, "text", parley_sdk_json_str(dm, "message_create.message_data.text", ""));
  if (parley_sdk_json_id(dm, "message_create.sender_id", sender, sizeof sender) > 0) {
    json_object_set_new(v2, "sender_id", json_string(sender));
    if (parley_sdk_json_id(dm, "message_create.target.recipient_id", recipient,
                           sizeof recipient) > 0) {
      parley_twitter_dm_conversation(sender, recipient, conv, sizeof conv);
      json_object_set_new(v2, "dm_conversation_id", json_string(conv));
    }
    json_t *u = json_object_get(users, sender);
    if (u)
      json_array_append_new(list, v1_user(u));
  }
  if (parley_sdk_time_from_json(dm, "created_timestamp", &ms) == 0)
    put_time(v2, ms);
  json_object_set_new(inc, "users", list);
  int rc = map_dm(v2, inc, dm, ctx, out, err);
  json_decref(v2);
  json_decref(inc);
  return rc;
}
