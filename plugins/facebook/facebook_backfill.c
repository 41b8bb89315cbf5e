/* facebook — what the back-fill walks for one Page (facebook.md §8, §9):
 *
 *   /{page}/feed       posts, newest first: visitor posts newer than the
 *                      checkpoint are emitted (the Page's own are content,
 *                      not conversation, and are left out); every listed
 *                      post gets its comments read; further feed pages only
 *                      while the posts are still new
 *   /{post}/comments   filter=stream (replies included, flattened),
 *                      order=reverse_chronological: newest first, down to
 *                      the checkpoint
 *   /{page}/tagged     posts elsewhere that mention the Page
 * Conversations and their messages are read by the shared code. */
#include <stdio.h>
#include <string.h>

#include "facebook.h"
#include "parley/sdk/json.h"

#define FB_POST_FIELDS "id,message,created_time,from%7Bid,name%7D,permalink_url"
#define FB_COMMENT_FIELDS \
  "id,message,created_time,from%7Bid,name%7D,parent%7Bid%7D,permalink_url,attachment"

int parley_facebook_backfill_seed(parley_meta_t *m, parley_meta_pass_t *p, const char *page) {
  char path[PARLEY_META_ID_MAX + 16];
  (void)m;
  snprintf(path, sizeof path, "/%s/feed", page);
  int rc = parley_meta_pass_add(p, PARLEY_FACEBOOK_TASK_FEED, page, NULL, path,
                                "fields=" FB_POST_FIELDS "&limit=25");
  snprintf(path, sizeof path, "/%s/tagged", page);
  if (rc == 0)
    rc = parley_meta_pass_add(p, PARLEY_FACEBOOK_TASK_TAGGED, page, NULL, path,
                              "fields=" FB_POST_FIELDS "&limit=25");
  return rc;
}

static void emit_mapped(parley_meta_t *m, parley_meta_pass_t *p, int rc, parley_event_t *ev,
                        const parley_error_t *err) {
  if (rc == 0)
    parley_meta_pass_emit(p, ev);
  else
    m->host->log(m->inst, PARLEY_LOG_WARN, "back-fill: %s", err->message);
}

static int item_time(const json_t *item, int64_t *ms) {
  *ms = 0;
  return parley_meta_time(json_object_get(item, "created_time"), ms);
}

static int read_feed(parley_meta_t *m, parley_meta_pass_t *p, parley_meta_task_t *t,
                     const json_t *page, int tagged) {
  size_t i, n;
  int fresh = 0;
  json_t *post, *data = parley_sdk_json_array(page, "data", &n);
  json_array_foreach(data, i, post) {
    int64_t ms;
    const char *id = parley_sdk_json_str(post, "id", NULL);
    const char *from = parley_sdk_json_str(post, "from.id", NULL);
    item_time(post, &ms);
    fresh = parley_meta_pass_new(p, t->account, ms);
    if (fresh && (tagged || !from || strcmp(from, t->account) != 0)) {
      parley_event_t *ev = NULL;
      parley_error_t err = {0};
      int rc = parley_facebook_map_post(m, t->account, post, tagged, &ev, &err);
      emit_mapped(m, p, rc, ev, &err);
    }
    if (!tagged && id && strlen(id) < PARLEY_META_ID_MAX) {
      char path[PARLEY_META_ID_MAX + 16];
      snprintf(path, sizeof path, "/%s/comments", id);
      if (parley_meta_pass_add(p, PARLEY_FACEBOOK_TASK_COMMENTS, t->account, id, path,
                               "filter=stream&order=reverse_chronological&fields=" FB_COMMENT_FIELDS
                               "&limit=50") != 0)
        return 0;
    }
    if (tagged && !fresh)
      return 0;
  }
  return fresh; /* another page only while the posts are still new */
}

static int read_comments(parley_meta_t *m, parley_meta_pass_t *p, parley_meta_task_t *t,
                         const json_t *page) {
  size_t i, n;
  json_t *c, *data = parley_sdk_json_array(page, "data", &n);
  json_array_foreach(data, i, c) {
    int64_t ms;
    item_time(c, &ms);
    if (!parley_meta_pass_new(p, t->account, ms))
      return 0; /* newest first: the rest is older */
    parley_event_t *ev = NULL;
    parley_error_t err = {0};
    int rc = parley_facebook_map_comment(m, t->account, t->node, c, &ev, &err);
    emit_mapped(m, p, rc, ev, &err);
  }
  return 1;
}

int parley_facebook_backfill_page(parley_meta_t *m, parley_meta_pass_t *p, parley_meta_task_t *t,
                                  const json_t *page) {
  switch (t->kind) {
  case PARLEY_FACEBOOK_TASK_FEED:
    return read_feed(m, p, t, page, 0);
  case PARLEY_FACEBOOK_TASK_TAGGED:
    return read_feed(m, p, t, page, 1);
  case PARLEY_FACEBOOK_TASK_COMMENTS:
    return read_comments(m, p, t, page);
  default:
    return 0;
  }
}
