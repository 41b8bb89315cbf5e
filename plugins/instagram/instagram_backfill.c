/* instagram — what the back-fill walks for one IG account (instagram.md
 * §3-§5):
 *
 *   /{ig-user}/media    the account's media, newest first; every listed
 *                       media gets its comments read; further pages only
 *                       while the media are still new
 *   /{media}/comments   top-level comments newest first, each with its
 *                       replies (one level on IG); a new reply can sit under
 *                       an old comment, so every comment on the page is
 *                       looked at, and the next page is read while its
 *                       comments are still new
 *   /{ig-user}/tags     media others tagged the account in: mentions
 * Mentions in captions and comments cannot be listed (only the webhook
 * names them, §5). Conversations are read by the shared code. */
#include <stdio.h>
#include <string.h>

#include "instagram.h"
#include "parley/sdk/json.h"

#define IG_MEDIA_FIELDS "id,caption,media_type,media_url,permalink,timestamp,username"
#define IG_COMMENT_FIELDS "id,text,timestamp,username,from%7Bid,username%7D,parent_id"
#define IG_COMMENTS_PARAMS \
  "fields=" IG_COMMENT_FIELDS ",replies%7B" IG_COMMENT_FIELDS "%7D&limit=50"

int parley_instagram_backfill_seed(parley_meta_t *m, parley_meta_pass_t *p, const char *account) {
  char path[PARLEY_META_ID_MAX + 16];
  (void)m;
  snprintf(path, sizeof path, "/%s/media", account);
  int rc = parley_meta_pass_add(p, PARLEY_INSTAGRAM_TASK_MEDIA, account, NULL, path,
                                "fields=" IG_MEDIA_FIELDS "&limit=25");
  snprintf(path, sizeof path, "/%s/tags", account);
  if (rc == 0)
    rc = parley_meta_pass_add(p, PARLEY_INSTAGRAM_TASK_TAGS, account, NULL, path,
                              "fields=" IG_MEDIA_FIELDS "&limit=25");
  return rc;
}

static int created(const json_t *item, int64_t *ms) {
  *ms = 0;
  return parley_meta_time(json_object_get(item, "timestamp"), ms);
}

static void emit_mapped(parley_meta_t *m, parley_meta_pass_t *p, int rc, parley_event_t *ev,
                        const parley_error_t *err) {
  if (rc == 0)
    parley_meta_pass_emit(p, ev);
  else
    m->host->log(m->inst, PARLEY_LOG_WARN, "back-fill: %s", err->message);
}

static int read_media(parley_meta_t *m, parley_meta_pass_t *p, parley_meta_task_t *t,
                      const json_t *page) {
  size_t i, n;
  int fresh = 0;
  json_t *media, *data = parley_sdk_json_array(page, "data", &n);
  (void)m;
  json_array_foreach(data, i, media) {
    int64_t ms;
    const char *id = parley_sdk_json_str(media, "id", NULL);
    created(media, &ms);
    fresh = parley_meta_pass_new(p, t->account, ms);
    if (!id || strlen(id) >= PARLEY_META_ID_MAX)
      continue;
    char path[PARLEY_META_ID_MAX + 16];
    snprintf(path, sizeof path, "/%s/comments", id);
    if (parley_meta_pass_add(p, PARLEY_INSTAGRAM_TASK_COMMENTS, t->account, id, path,
                             IG_COMMENTS_PARAMS) != 0)
      return 0;
  }
  return fresh;
}

static void take_comment(parley_meta_t *m, parley_meta_pass_t *p, parley_meta_task_t *t,
                         const json_t *c) {
  int64_t ms;
  created(c, &ms);
  if (!parley_meta_pass_new(p, t->account, ms))
    return;
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  int rc = parley_instagram_map_comment(m, t->account, t->node, c, &ev, &err);
  emit_mapped(m, p, rc, ev, &err);
}

static int read_comments(parley_meta_t *m, parley_meta_pass_t *p, parley_meta_task_t *t,
                         const json_t *page) {
  size_t i, k, n, nr;
  int fresh = 0;
  json_t *c, *r, *data = parley_sdk_json_array(page, "data", &n);
  json_array_foreach(data, i, c) {
    int64_t ms;
    created(c, &ms);
    fresh = parley_meta_pass_new(p, t->account, ms);
    take_comment(m, p, t, c);
    json_t *replies = parley_sdk_json_array(c, "replies.data", &nr);
    json_array_foreach(replies, k, r) {
      if (!json_object_get(r, "parent_id")) {
        /* replies listed under their comment name it implicitly */
        json_t *copy = json_copy(r);
        json_object_set(copy, "parent_id", json_object_get(c, "id"));
        take_comment(m, p, t, copy);
        json_decref(copy);
      } else {
        take_comment(m, p, t, r);
      }
    }
  }
  return fresh;
}

static int read_tags(parley_meta_t *m, parley_meta_pass_t *p, parley_meta_task_t *t,
                     const json_t *page) {
  size_t i, n;
  json_t *media, *data = parley_sdk_json_array(page, "data", &n);
  json_array_foreach(data, i, media) {
    int64_t ms;
    created(media, &ms);
    if (!parley_meta_pass_new(p, t->account, ms))
      return 0;
    parley_event_t *ev = NULL;
    parley_error_t err = {0};
    int rc = parley_instagram_map_tagged(m, t->account, media, &ev, &err);
    emit_mapped(m, p, rc, ev, &err);
  }
  return 1;
}

int parley_instagram_backfill_page(parley_meta_t *m, parley_meta_pass_t *p,
                                   parley_meta_task_t *t, const json_t *page) {
  switch (t->kind) {
  case PARLEY_INSTAGRAM_TASK_MEDIA:
    return read_media(m, p, t, page);
  case PARLEY_INSTAGRAM_TASK_COMMENTS:
    return read_comments(m, p, t, page);
  case PARLEY_INSTAGRAM_TASK_TAGS:
    return read_tags(m, p, t, page);
  default:
    return 0;
  }
}
