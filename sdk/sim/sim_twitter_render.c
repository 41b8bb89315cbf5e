/* parley-sim — Twitter/X: v2 objects with field selection and expansions
 * (twitter.md §0, §10), timestamps, entities, and the paged list answer
 * shared by mentions, search and DM lists (§2, §3, §5). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sim_twitter.h"

#define PARLEY_TW_TOKEN_KEY 0x5bd1e9955bd1e995ULL

static const char *parley_tw_str(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

int parley_tw_has(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; p && *p;) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == n && !strncmp(p, name, n)) return 1;
    p = end ? end + 1 : NULL;
  }
  return 0;
}

void parley_tw_fields_read(parley_tw_call_t *c, parley_tw_fields_t *f) {
  memset(f, 0, sizeof *f);
  parley_tw_param(c, "tweet.fields", f->tweet, sizeof f->tweet);
  parley_tw_param(c, "user.fields", f->user, sizeof f->user);
  parley_tw_param(c, "expansions", f->expansions, sizeof f->expansions);
  parley_tw_param(c, "dm_event.fields", f->dm, sizeof f->dm);
}

/* ---- time -------------------------------------------------------------- */

void parley_tw_time(uint64_t ms, char *buf, size_t len) {
  time_t s = (time_t)(ms / 1000u);
  struct tm tm;
  char base[32];
  gmtime_r(&s, &tm);
  strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf, len, "%s.%03uZ", base, (unsigned)(ms % 1000u));
}

void parley_tw_time_v1(uint64_t ms, char *buf, size_t len) {
  static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t s = (time_t)(ms / 1000u);
  struct tm tm;
  gmtime_r(&s, &tm);
  /* Fixed English names: strftime would follow the locale. */
  snprintf(buf, len, "%s %s %02d %02d:%02d:%02d +0000 %d", days[tm.tm_wday], months[tm.tm_mon],
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static long long parley_tw_days(int y, int m, int d) {
  y -= m <= 2;
  long long era = (y >= 0 ? y : y - 399) / 400;
  long long yoe = y - era * 400;
  long long doy = (153LL * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* RFC 3339 UTC as the API takes it: YYYY-MM-DDTHH:MM:SS[.sss]Z. */
int parley_tw_parse_time(const char *s, uint64_t *ms) {
  int y, mo, d, h, mi, sec, n = 0;
  if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
    return -1;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
    return -1;
  const char *p = s + 19;
  unsigned frac = 0;
  if (*p == '.') {
    int digits = 0;
    for (p++; isdigit((unsigned char)*p); p++, digits++)
      if (digits < 3) frac = frac * 10 + (unsigned)(*p - '0');
    while (digits > 0 && digits < 3) frac *= 10, digits++;
  }
  if (strcmp(p, "Z")) return -1;
  long long secs = parley_tw_days(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + sec;
  *ms = (uint64_t)secs * 1000u + frac;
  return 0;
}

/* ---- relations --------------------------------------------------------- */

const char *parley_tw_reply_to_user(parley_sim_t *sim, json_t *item) {
  json_t *parent = parley_sim_item_find(sim, PARLEY_TW, parley_tw_str(item, "parent_id"));
  return parent ? parley_tw_str(parent, "author_id") : NULL;
}

static int parley_tw_word_byte(unsigned char ch) {
  return isalnum(ch) || ch == '_' || ch >= 0x80;
}

/* Calls fn for each "@name" or "#tag" (sigil) token of text with byte
 * offsets; tokens start after a non-word byte, as on the platform. */
static void parley_tw_scan(const char *text, char sigil,
                           void (*fn)(const char *text, size_t at, size_t len, void *d),
                           void *d) {
  for (size_t i = 0; text && text[i]; i++) {
    if (text[i] != sigil || (i > 0 && parley_tw_word_byte((unsigned char)text[i - 1]))) continue;
    size_t j = i + 1;
    /* handles are ASCII; hashtags may hold letters beyond it */
    while (text[j] && (sigil == '#' ? parley_tw_word_byte((unsigned char)text[j])
                                    : (isalnum((unsigned char)text[j]) || text[j] == '_')))
      j++;
    if (j > i + 1) fn(text, i, j - i, d);
    i = j - 1;
  }
}

typedef struct parley_tw_find {
  const char *handle;
  int found;
} parley_tw_find_t;

static void parley_tw_find_handle(const char *text, size_t at, size_t len, void *d) {
  parley_tw_find_t *f = d;
  if (len - 1 == strlen(f->handle) && !strncasecmp(text + at + 1, f->handle, len - 1))
    f->found = 1;
}

int parley_tw_text_mentions(const char *text, const char *handle) {
  parley_tw_find_t f = {handle, 0};
  if (!handle) return 0;
  parley_tw_scan(text, '@', parley_tw_find_handle, &f);
  return f.found;
}

int parley_tw_mentions_user(parley_sim_t *sim, json_t *item, const char *user_id) {
  json_t *u = parley_sim_user_find(sim, PARLEY_TW, user_id);
  const char *to = parley_tw_reply_to_user(sim, item);
  if (to && !strcmp(to, user_id)) return 1;
  return u && parley_tw_text_mentions(parley_tw_str(item, "text"), parley_tw_str(u, "handle"));
}

static size_t parley_tw_codepoints(const char *s, size_t bytes) {
  size_t n = 0;
  for (size_t i = 0; i < bytes; i++)
    if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
  return n;
}

typedef struct parley_tw_ent {
  parley_sim_t *sim;
  json_t *list;
  int hashtags;
} parley_tw_ent_t;

static void parley_tw_add_entity(const char *text, size_t at, size_t len, void *d) {
  parley_tw_ent_t *e = d;
  size_t start = parley_tw_codepoints(text, at), end = start + parley_tw_codepoints(text + at, len);
  json_t *o = json_pack("{s:I,s:I,s:s#}", "start", (json_int_t)start, "end", (json_int_t)end,
                        e->hashtags ? "tag" : "username", text + at + 1, (int)(len - 1));
  if (o && !e->hashtags) {
    char handle[64];
    snprintf(handle, sizeof handle, "%.*s", (int)(len - 1), text + at + 1);
    json_t *u = parley_sim_user_by_handle(e->sim, PARLEY_TW, handle);
    if (u) json_object_set(o, "id", json_object_get(u, "id"));
  }
  json_array_append_new(e->list, o);
}

json_t *parley_tw_entities(parley_sim_t *sim, const char *text) {
  parley_tw_ent_t m = {sim, json_array(), 0}, h = {sim, json_array(), 1};
  parley_tw_scan(text, '@', parley_tw_add_entity, &m);
  parley_tw_scan(text, '#', parley_tw_add_entity, &h);
  json_t *e = json_object();
  if (json_array_size(m.list)) json_object_set(e, "mentions", m.list);
  if (json_array_size(h.list)) json_object_set(e, "hashtags", h.list);
  json_decref(m.list);
  json_decref(h.list);
  if (json_object_size(e) == 0) {
    json_decref(e);
    return NULL;
  }
  return e;
}

/* ---- objects ------------------------------------------------------------- */

json_t *parley_tw_tweet(parley_sim_t *sim, json_t *item, const parley_tw_fields_t *f) {
  char ts[40];
  const char *id = parley_tw_str(item, "id"), *parent = parley_tw_str(item, "parent_id");
  json_t *t = json_pack("{s:s,s:s,s:[s]}", "id", id, "text",
                        parley_tw_str(item, "text") ? parley_tw_str(item, "text") : "",
                        "edit_history_tweet_ids", id);
  const char *fl = f->tweet;
  if (parley_tw_has(fl, "created_at")) {
    parley_tw_time((uint64_t)json_integer_value(json_object_get(item, "created_ms")), ts, sizeof ts);
    json_object_set_new(t, "created_at", json_string(ts));
  }
  if (parley_tw_has(fl, "author_id")) json_object_set(t, "author_id", json_object_get(item, "author_id"));
  if (parley_tw_has(fl, "conversation_id"))
    json_object_set(t, "conversation_id", json_object_get(item, "conversation_id"));
  const char *to = parley_tw_reply_to_user(sim, item);
  if (to && parley_tw_has(fl, "in_reply_to_user_id"))
    json_object_set_new(t, "in_reply_to_user_id", json_string(to));
  if (parley_tw_has(fl, "referenced_tweets")) {
    json_t *refs = json_array();
    if (parent) json_array_append_new(refs, json_pack("{s:s,s:s}", "type", "replied_to", "id", parent));
    if (parley_tw_str(item, "retweet_of"))
      json_array_append_new(refs, json_pack("{s:s,s:s}", "type", "retweeted", "id",
                                            parley_tw_str(item, "retweet_of")));
    if (json_array_size(refs)) json_object_set(t, "referenced_tweets", refs);
    json_decref(refs);
  }
  if (parley_tw_has(fl, "lang"))
    json_object_set_new(t, "lang", json_string(parley_tw_str(item, "lang") ? parley_tw_str(item, "lang") : "und"));
  if (parley_tw_has(fl, "entities")) {
    json_t *e = parley_tw_entities(sim, parley_tw_str(item, "text"));
    if (e) json_object_set_new(t, "entities", e);
  }
  if (parley_tw_has(fl, "public_metrics"))
    json_object_set_new(t, "public_metrics",
                        json_pack("{s:i,s:i,s:I,s:i,s:i,s:I}", "retweet_count", 0, "reply_count", 0,
                                  "like_count", json_integer_value(json_object_get(item, "likes")),
                                  "quote_count", 0, "bookmark_count", 0, "impression_count",
                                  (json_int_t)(10 + json_integer_value(json_object_get(item, "likes")) * 7)));
  if (parley_tw_has(fl, "possibly_sensitive")) json_object_set_new(t, "possibly_sensitive", json_false());
  if (parley_tw_has(fl, "reply_settings")) json_object_set_new(t, "reply_settings", json_string("everyone"));
  return t;
}

json_t *parley_tw_user(parley_sim_t *sim, json_t *user, const parley_tw_fields_t *f) {
  const char *fl = f ? f->user : "";
  const char *handle = parley_tw_str(user, "handle");
  if (handle && handle[0] == '@') handle++;
  json_t *u = json_pack("{s:O,s:s,s:s}", "id", json_object_get(user, "id"), "name",
                        parley_tw_str(user, "name") ? parley_tw_str(user, "name") : handle,
                        "username", handle ? handle : "");
  int verified = json_is_true(json_object_get(user, "verified"));
  if (parley_tw_has(fl, "verified")) json_object_set_new(u, "verified", json_boolean(verified));
  if (parley_tw_has(fl, "verified_type"))
    json_object_set_new(u, "verified_type", json_string(
        json_is_true(json_object_get(user, "brand")) ? "business" : verified ? "blue" : "none"));
  if (parley_tw_has(fl, "protected")) json_object_set_new(u, "protected", json_false());
  if (parley_tw_has(fl, "description") && parley_tw_str(user, "description"))
    json_object_set(u, "description", json_object_get(user, "description"));
  if (parley_tw_has(fl, "location") && parley_tw_str(user, "location"))
    json_object_set(u, "location", json_object_get(user, "location"));
  if (parley_tw_has(fl, "created_at"))
    json_object_set_new(u, "created_at", json_string("2015-03-01T10:00:00.000Z"));
  if (parley_tw_has(fl, "profile_image_url")) {
    char url[160];
    snprintf(url, sizeof url, "https://pbs.twimg.com/profile_images/%s/avatar_normal.jpg",
             parley_tw_str(user, "id"));
    json_object_set_new(u, "profile_image_url", json_string(url));
  }
  if (parley_tw_has(fl, "public_metrics")) {
    json_int_t followers = json_integer_value(json_object_get(user, "followers"));
    json_object_set_new(u, "public_metrics",
                        json_pack("{s:I,s:I,s:I,s:I}", "followers_count", followers,
                                  "following_count", (json_int_t)(followers / 3 + 12), "tweet_count",
                                  (json_int_t)(followers / 2 + 40), "listed_count",
                                  (json_int_t)(followers / 1000)));
  }
  (void)sim;
  return u;
}

void parley_tw_dm_conversation_id(parley_sim_t *sim, json_t *item, char *buf, size_t len) {
  const char *a = parley_tw_str(item, "author_id"), *b = parley_tw_str(item, "recipient_id");
  json_t *acct = parley_sim_account(sim, PARLEY_TW);
  if (!b) b = parley_tw_str(acct, "id");
  if (!a) a = "0";
  if (!b) b = "0";
  /* one-to-one: "<lower user id>-<higher user id>" (§5a) */
  if (parley_sim_id_cmp(a, b) <= 0) snprintf(buf, len, "%s-%s", a, b);
  else snprintf(buf, len, "%s-%s", b, a);
}

json_t *parley_tw_dm_event(parley_sim_t *sim, json_t *item, const parley_tw_fields_t *f) {
  char buf[80];
  const char *fl = f->dm;
  json_t *e = json_pack("{s:O,s:s,s:s}", "id", json_object_get(item, "id"), "event_type",
                        "MessageCreate", "text",
                        parley_tw_str(item, "text") ? parley_tw_str(item, "text") : "");
  if (parley_tw_has(fl, "created_at")) {
    parley_tw_time((uint64_t)json_integer_value(json_object_get(item, "created_ms")), buf, sizeof buf);
    json_object_set_new(e, "created_at", json_string(buf));
  }
  if (parley_tw_has(fl, "sender_id")) json_object_set(e, "sender_id", json_object_get(item, "author_id"));
  if (parley_tw_has(fl, "dm_conversation_id")) {
    parley_tw_dm_conversation_id(sim, item, buf, sizeof buf);
    json_object_set_new(e, "dm_conversation_id", json_string(buf));
  }
  return e;
}

/* ---- includes ------------------------------------------------------------ */

static void parley_tw_include_user(parley_sim_t *sim, json_t *users, json_t *seen, const char *id,
                                   const parley_tw_fields_t *f) {
  json_t *u = parley_sim_user_find(sim, PARLEY_TW, id);
  if (!u || json_object_get(seen, id)) return;
  json_object_set_new(seen, id, json_true());
  json_array_append_new(users, parley_tw_user(sim, u, f));
}

typedef struct parley_tw_inc {
  parley_sim_t *sim;
  json_t *users, *seen;
  const parley_tw_fields_t *f;
} parley_tw_inc_t;

static void parley_tw_include_mention(const char *text, size_t at, size_t len, void *d) {
  parley_tw_inc_t *inc = d;
  char handle[64];
  snprintf(handle, sizeof handle, "%.*s", (int)(len - 1), text + at + 1);
  json_t *u = parley_sim_user_by_handle(inc->sim, PARLEY_TW, handle);
  if (u) parley_tw_include_user(inc->sim, inc->users, inc->seen, parley_tw_str(u, "id"), inc->f);
}

static void parley_tw_includes_one(parley_tw_inc_t *inc, json_t *tweets, json_t *tseen,
                                   json_t *item, int dm) {
  const parley_tw_fields_t *f = inc->f;
  parley_sim_t *sim = inc->sim;
  const char *x = f->expansions;
  if (dm) {
    if (parley_tw_has(x, "sender_id") || parley_tw_has(x, "participant_ids"))
      parley_tw_include_user(sim, inc->users, inc->seen, parley_tw_str(item, "author_id"), f);
    if (parley_tw_has(x, "participant_ids")) {
      const char *r = parley_tw_str(item, "recipient_id");
      if (!r) r = parley_tw_str(parley_sim_account(sim, PARLEY_TW), "id");
      parley_tw_include_user(sim, inc->users, inc->seen, r, f);
    }
    return;
  }
  if (parley_tw_has(x, "author_id"))
    parley_tw_include_user(sim, inc->users, inc->seen, parley_tw_str(item, "author_id"), f);
  const char *to = parley_tw_reply_to_user(sim, item);
  if (to && parley_tw_has(x, "in_reply_to_user_id"))
    parley_tw_include_user(sim, inc->users, inc->seen, to, f);
  if (parley_tw_has(x, "entities.mentions.username"))
    parley_tw_scan(parley_tw_str(item, "text"), '@', parley_tw_include_mention, inc);
  json_t *parent = parley_sim_item_find(sim, PARLEY_TW, parley_tw_str(item, "parent_id"));
  if (parent && parley_tw_has(x, "referenced_tweets.id") &&
      !json_object_get(tseen, parley_tw_str(parent, "id"))) {
    json_object_set_new(tseen, parley_tw_str(parent, "id"), json_true());
    json_array_append_new(tweets, parley_tw_tweet(sim, parent, f));
  }
  if (parent && parley_tw_has(x, "referenced_tweets.id.author_id"))
    parley_tw_include_user(sim, inc->users, inc->seen, parley_tw_str(parent, "author_id"), f);
}

json_t *parley_tw_includes(parley_sim_t *sim, json_t *items, const parley_tw_fields_t *f, int dm) {
  parley_tw_inc_t inc = {sim, json_array(), json_object(), f};
  json_t *tweets = json_array(), *tseen = json_object(), *item, *out = json_object();
  size_t i;
  json_array_foreach(items, i, item) parley_tw_includes_one(&inc, tweets, tseen, item, dm);
  if (json_array_size(inc.users)) json_object_set(out, "users", inc.users);
  if (json_array_size(tweets)) json_object_set(out, "tweets", tweets);
  json_decref(inc.users);
  json_decref(inc.seen);
  json_decref(tweets);
  json_decref(tseen);
  if (json_object_size(out) == 0) {
    json_decref(out);
    return NULL;
  }
  return out;
}

/* ---- pages ----------------------------------------------------------------- */

/* Opaque-looking page tokens: a direction letter and the boundary id. */
static void parley_tw_token_make(char kind, const char *id, char *buf, size_t len) {
  unsigned long long v = strtoull(id, NULL, 10) ^ PARLEY_TW_TOKEN_KEY;
  snprintf(buf, len, "%c%016llx", kind, v);
}

static int parley_tw_token_read(const char *tok, char *kind, char *id, size_t len) {
  char *end = NULL;
  if (strlen(tok) != 17 || (tok[0] != 'n' && tok[0] != 'p')) return -1;
  for (size_t i = 1; i < 17; i++)
    if (!isxdigit((unsigned char)tok[i])) return -1;
  unsigned long long v = strtoull(tok + 1, &end, 16) ^ PARLEY_TW_TOKEN_KEY;
  *kind = tok[0];
  snprintf(id, len, "%llu", v);
  return 0;
}

static int parley_tw_is_id(const char *s) {
  if (!*s || strlen(s) > 19) return 0;
  for (; *s; s++)
    if (!isdigit((unsigned char)*s)) return 0;
  return 1;
}

typedef struct parley_tw_timewin {
  int (*match)(json_t *item, void *data);
  void *data;
  uint64_t start_ms, end_ms; /* 0: open */
} parley_tw_timewin_t;

static int parley_tw_timewin_match(json_t *item, void *d) {
  parley_tw_timewin_t *w = d;
  uint64_t ms = (uint64_t)json_integer_value(json_object_get(item, "created_ms"));
  if (w->start_ms && ms < w->start_ms) return 0;
  if (w->end_ms && ms > w->end_ms) return 0;
  return w->match ? w->match(item, w->data) : 1;
}

/* Reads max_results, since_id, until_id, start/end_time into the filter;
 * answers 400 and returns -1 on a bad value. */
static int parley_tw_page_params(parley_tw_call_t *c, parley_sim_filter_t *filter,
                                 const parley_tw_page_opts_t *o, long *max,
                                 parley_tw_timewin_t *win, char ids[2][32]) {
  char buf[64], msg[160];
  *max = o->default_results;
  if (parley_tw_param(c, "max_results", buf, sizeof buf)) {
    char *end = NULL;
    long v = strtol(buf, &end, 10);
    if (!*buf || *end || v < o->min_results || v > o->max_results) {
      snprintf(msg, sizeof msg, "The `max_results` query parameter value [%s] is not between %ld and %ld",
               buf, o->min_results, o->max_results);
      parley_tw_invalid_param(c, "max_results", buf, msg);
      return -1;
    }
    *max = v;
  }
  const char *names[2] = {"since_id", "until_id"};
  for (int i = 0; i < 2; i++) {
    if (!parley_tw_param(c, names[i], ids[i], 32)) continue;
    if (o->dm || !parley_tw_is_id(ids[i])) {
      snprintf(msg, sizeof msg, o->dm ? "The query parameter [%s] is not one of [dm_event.fields,event_types,expansions,max_results,media.fields,pagination_token,tweet.fields,user.fields]"
                                      : "The `%s` query parameter value is not a valid id", names[i]);
      parley_tw_invalid_param(c, names[i], ids[i], msg);
      return -1;
    }
    if (i == 0) filter->newer_than = ids[0];
    else filter->older_than = ids[1];
  }
  const char *tnames[2] = {"start_time", "end_time"};
  for (int i = 0; i < 2; i++) {
    uint64_t ms = 0;
    if (!parley_tw_param(c, tnames[i], buf, sizeof buf)) continue;
    if (parley_tw_parse_time(buf, &ms) != 0) {
      snprintf(msg, sizeof msg, "Invalid '%s':'%s'. '%s' must be a valid RFC 3339 time (YYYY-MM-DDTHH:mm:ssZ)",
               tnames[i], buf, tnames[i]);
      parley_tw_invalid_param(c, tnames[i], buf, msg);
      return -1;
    }
    if (i == 0) win->start_ms = ms;
    else win->end_ms = ms;
  }
  win->match = filter->match;
  win->data = filter->match_data;
  filter->match = parley_tw_timewin_match;
  filter->match_data = win;
  return 0;
}

/* Slice [from, to) of items into the answer. */
static void parley_tw_page_answer(parley_tw_call_t *c, json_t *items, size_t from, size_t to,
                                  int more_older, int with_prev, const parley_tw_page_opts_t *o) {
  parley_tw_fields_t f;
  char tok[24];
  json_t *data = json_array(), *page = json_array(), *meta = json_object();
  parley_tw_fields_read(c, &f);
  for (size_t i = from; i < to; i++) {
    json_t *item = json_array_get(items, i);
    json_array_append(page, item);
    json_array_append_new(data, o->dm ? parley_tw_dm_event(c->sim, item, &f)
                                      : parley_tw_tweet(c->sim, item, &f));
  }
  json_t *body = json_object();
  json_object_set_new(meta, "result_count", json_integer((json_int_t)(to - from)));
  if (to > from) {
    const char *newest = parley_tw_str(json_array_get(items, from), "id");
    const char *oldest = parley_tw_str(json_array_get(items, to - 1), "id");
    if (!o->dm) {
      json_object_set_new(meta, "newest_id", json_string(newest));
      json_object_set_new(meta, "oldest_id", json_string(oldest));
    }
    if (more_older) {
      parley_tw_token_make('n', oldest, tok, sizeof tok);
      json_object_set_new(meta, "next_token", json_string(tok));
    }
    if (with_prev && o->previous_token) {
      parley_tw_token_make('p', newest, tok, sizeof tok);
      json_object_set_new(meta, "previous_token", json_string(tok));
    }
    json_object_set(body, "data", data); /* empty pages carry no "data" (§2) */
    json_t *inc = parley_tw_includes(c->sim, page, &f, o->dm);
    if (inc) json_object_set_new(body, "includes", inc);
  }
  json_object_set_new(body, "meta", meta);
  json_decref(data);
  json_decref(page);
  parley_tw_reply(c, 200, body);
}

/* How many matches have an id >= bound (at most cap): the depth already
 * paged through. */
static size_t parley_tw_count_from(parley_tw_call_t *c, const parley_sim_filter_t *filter,
                                   const char *bound, size_t cap) {
  char before[32];
  unsigned long long b = strtoull(bound, NULL, 10);
  snprintf(before, sizeof before, "%llu", b ? b - 1 : 0);
  parley_sim_filter_t f = *filter;
  if (!f.newer_than || parley_sim_id_cmp(before, f.newer_than) > 0) f.newer_than = before;
  f.limit = cap;
  json_t *items = parley_sim_items(c->sim, &f);
  size_t n = json_array_size(items);
  json_decref(items);
  return n;
}

void parley_tw_page(parley_tw_call_t *c, parley_sim_filter_t *filter,
                    const parley_tw_page_opts_t *o) {
  char ids[2][32], tok[64], kind = 0, bound[32];
  long max = 0;
  parley_tw_timewin_t win = {0};
  if (parley_tw_page_params(c, filter, o, &max, &win, ids) != 0) return;
  int has_tok = parley_tw_param(c, o->next_param, tok, sizeof tok) != NULL;
  if (!has_tok && strcmp(o->next_param, "pagination_token"))
    has_tok = parley_tw_param(c, "pagination_token", tok, sizeof tok) != NULL; /* alias (§3) */
  if (has_tok && parley_tw_token_read(tok, &kind, bound, sizeof bound) != 0) {
    parley_tw_invalid_param(c, o->next_param, tok, "The pagination token is invalid");
    return;
  }
  size_t page = (size_t)max, from = 0, to;
  int more;
  json_t *items;
  if (kind == 'p') {
    /* previous page: the max items just newer than the bound; the bound
     * itself is older, so a next page exists */
    if (!filter->newer_than || parley_sim_id_cmp(bound, filter->newer_than) > 0)
      filter->newer_than = bound;
    items = parley_sim_items(c->sim, filter);
    to = json_array_size(items);
    from = to > page ? to - page : 0;
    more = 1;
  } else {
    size_t seen = 0;
    if (kind == 'n') {
      if (o->depth) seen = parley_tw_count_from(c, filter, bound, o->depth);
      if (!filter->older_than || parley_sim_id_cmp(bound, filter->older_than) < 0)
        filter->older_than = bound;
    }
    /* older items than the depth cap are out of reach (§2) */
    size_t room = o->depth ? (seen < o->depth ? o->depth - seen : 0) : (size_t)-1;
    if (page > room) page = room;
    filter->limit = page + 1; /* one more tells whether a next page exists */
    items = page ? parley_sim_items(c->sim, filter) : json_array();
    to = json_array_size(items) < page ? json_array_size(items) : page;
    more = json_array_size(items) > page;
  }
  parley_tw_page_answer(c, items, from, to, more, has_tok, o);
  json_decref(items);
}
