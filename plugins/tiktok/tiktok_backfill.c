/* tiktok — the polling back-fill: the account's videos, their comments and
 * the replies to them, so nothing is lost while webhooks were not delivered
 * (parleyd down, TikTok giving up its retries, no webhook configured).
 *
 * A pass, on start and then every poll_interval (earlier when a webhook
 * hints at news), runs one request at a time:
 *   1. business/video/list/ (§3), cursor paging, the `videos` newest;
 *   2. per video, business/comment/list/ (§4.1), status ALL (hidden ones
 *      too), newest first, cursor paging down to the video's checkpoint,
 *      and on through reply_lookback: older top-level comments whose reply
 *      count changed since the last walk get their replies read;
 *   3. business/comment/reply/list/ (§4.2) of those, newest first, down to
 *      the checkpoint.
 * Every item newer than the video's checkpoint (tiktok_cursor.c) is mapped
 * and held; when a video's walk is complete its events are emitted oldest
 * first (parley/sdk/order.h: a thread reaches the outputs in its own order,
 * the customer's comment before the brand's reply) and its checkpoint moves
 * to the newest item taken, staged right after them so both land in the
 * same journal commit; a failure mid-video leaves it where it was and
 * the next pass re-reads that video only. A restart therefore neither skips
 * nor re-emits.
 *
 * The first pass of an instance (no "videos.seen" checkpoint) reads one page
 * per video and per reply thread, so a new instance does not crawl history.
 * A video first seen later (posted while parleyd was down) is read in full. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/sdk/json.h"
#include "parley/sdk/paging.h"
#include "parley/sdk/order.h"
#include "tiktok.h"

#define TT_SEEN_KEY "videos.seen"
#define TT_VIDEO_KEY "video."
#define TT_VIDEO_FIELDS "[\"item_id\",\"create_time\",\"share_url\",\"comments\"]"
#define TT_COMMENTS_MAX 30 /* max_count of the comment lists (§4.1) */
#define TT_VIDEOS_PAGE 20  /* max_count of the video list (§3) */
#define TT_PAGES_MAX 100   /* per walk and pass: 3000 comments */
#define TT_REPLY_COUNTS_MAX 100000

typedef enum { TT_VIDEOS, TT_COMMENTS, TT_REPLIES } tt_stage_t;

typedef struct tt_video {
  char id[PARLEY_TIKTOK_ID_MAX];
  char *url; /* share_url, may be NULL */
} tt_video_t;

struct parley_tiktok_pass {
  parley_tiktok_t *t;
  tt_stage_t stage;
  int first;                    /* the instance's first pass */
  tt_video_t *videos;
  size_t nvideos, vi;
  char cursor[PARLEY_SDK_CURSOR_MAX];
  size_t pages;                 /* pages of the current walk */
  parley_tiktok_cursor_t since; /* the video's checkpoint as loaded */
  parley_tiktok_cursor_t taken; /* ... advanced by what this pass took */
  json_t *threads;              /* [[comment id, replies count], ...] to read */
  int oom;                      /* a take failed: this video's checkpoint stays */
  size_t ri;
  parley_sdk_order_t held;      /* the video's events, emitted oldest first */
};

static void pass_free(parley_tiktok_pass_t *p) {
  if (!p)
    return;
  parley_sdk_order_clear(&p->held); /* a pass freed mid-video: re-read later */
  for (size_t i = 0; i < p->nvideos; i++)
    free(p->videos[i].url);
  free(p->videos);
  json_decref(p->threads);
  parley_tiktok_cursor_free(&p->since);
  parley_tiktok_cursor_free(&p->taken);
  free(p);
}

static const tt_video_t *video(const parley_tiktok_pass_t *p) { return &p->videos[p->vi]; }

static void finish(parley_tiktok_pass_t *p, const parley_sdk_error_t *e) {
  parley_tiktok_t *t = p->t;
  /* a failed video's events are emitted all the same; its checkpoint stays */
  parley_sdk_order_flush(&p->held);
  if (!e || e->code == 0) {
    if (p->first)
      t->host->checkpoint_set(t->inst, TT_SEEN_KEY, "1");
    parley_tiktok_count(t, "backfill_passes_total", 1);
  } else {
    parley_tiktok_count(t, "backfill_failures_total", 1);
  }
  t->pass = NULL;
  pass_free(p);
  parley_sdk_poll_done(t->poll, 0, e);
}

static void fail(parley_tiktok_pass_t *p, int rc, const char *what) {
  parley_sdk_error_t e;
  parley_sdk_error_transport(&e, rc, what);
  finish(p, &e);
}

/* ---- requests ----------------------------------------------------------- */

static void on_page(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data);

static void add_paging(parley_sdk_query_t *q, const char *cursor, int64_t max) {
  parley_sdk_query_add(q, "cursor", *cursor ? cursor : "0");
  parley_sdk_query_add_int(q, "max_count", max);
}

/* The top-level comment whose replies are being read. */
static const char *thread_id(const parley_tiktok_pass_t *p) {
  return json_string_value(json_array_get(json_array_get(p->threads, p->ri), 0));
}

/* Comments or replies of the current video, newest first, hidden ones too. */
static void comment_query(const parley_tiktok_pass_t *p, parley_sdk_query_t *q) {
  parley_sdk_query_add(q, "video_id", video(p)->id);
  if (p->stage == TT_REPLIES)
    parley_sdk_query_add(q, "comment_id", thread_id(p));
  parley_sdk_query_add(q, "status", "ALL");
  parley_sdk_query_add(q, "sort_field", "create_time");
  parley_sdk_query_add(q, "sort_order", "desc");
  add_paging(q, p->cursor, TT_COMMENTS_MAX);
}

static void fetch(parley_tiktok_pass_t *p) {
  parley_tiktok_t *t = p->t;
  parley_sdk_query_t q;
  parley_sdk_query_init_form(&q);
  const char *path = "business/comment/list/", *endpoint = "GET business/comment/list";
  if (p->stage == TT_VIDEOS) {
    int64_t left = t->cfg->videos - (int64_t)p->nvideos;
    parley_sdk_query_add(&q, "fields", TT_VIDEO_FIELDS);
    add_paging(&q, p->cursor, left < TT_VIDEOS_PAGE ? left : TT_VIDEOS_PAGE);
    path = "business/video/list/", endpoint = "GET business/video/list";
  } else {
    comment_query(p, &q);
    if (p->stage == TT_REPLIES)
      path = "business/comment/reply/list/", endpoint = "GET business/comment/reply/list";
  }
  int rc = parley_tiktok_get(t, path, &q, endpoint, on_page, p);
  if (rc)
    fail(p, rc, "the back-fill request could not be sent");
}

/* ---- walking ------------------------------------------------------------ */

static void next_video(parley_tiktok_pass_t *p);

static void video_key(const parley_tiktok_pass_t *p, char *key, size_t len) {
  snprintf(key, len, TT_VIDEO_KEY "%s", video(p)->id);
}

static void begin_video(parley_tiktok_pass_t *p) {
  char key[PARLEY_TIKTOK_ID_MAX + 8];
  video_key(p, key, sizeof key);
  char *saved = parley_tiktok_checkpoint_read(p->t, key);
  int rc = parley_tiktok_cursor_parse(&p->since, saved);
  free(saved);
  if (rc == 0)
    rc = parley_tiktok_cursor_copy(&p->taken, &p->since);
  if (rc) {
    fail(p, rc, "out of memory reading a video checkpoint");
    return;
  }
  json_array_clear(p->threads);
  p->oom = 0;
  p->ri = 0;
  p->cursor[0] = '\0';
  p->pages = 0;
  p->stage = TT_COMMENTS;
  fetch(p);
}

/* The video's walk is complete: stage its checkpoint with its last page. */
static void end_video(parley_tiktok_pass_t *p) {
  char key[PARLEY_TIKTOK_ID_MAX + 8];
  char *now = parley_tiktok_cursor_format(&p->taken), *old = parley_tiktok_cursor_format(&p->since);
  parley_sdk_order_flush(&p->held); /* oldest first, before the checkpoint */
  if (now && !p->oom && p->taken.ms > 0 && (!old || strcmp(now, old) != 0)) {
    video_key(p, key, sizeof key);
    p->t->host->checkpoint_set(p->t->inst, key, now);
  }
  free(now);
  free(old);
  p->vi++;
  next_video(p);
}

static void next_video(parley_tiktok_pass_t *p) {
  if (p->vi < p->nvideos)
    begin_video(p);
  else
    finish(p, NULL);
}

/* After a page: another page of this walk, the next reply thread, or the
 * next video. more: the page says more pages exist and they are wanted. */
static void advance(parley_tiktok_pass_t *p, const json_t *body, int more) {
  if (more && ++p->pages < TT_PAGES_MAX &&
      parley_sdk_page_tiktok_next(body, p->cursor, sizeof p->cursor) > 0) {
    fetch(p);
    return;
  }
  if (p->pages >= TT_PAGES_MAX)
    p->t->host->log(p->t->inst, PARLEY_LOG_WARN, "back-fill: video %s: stopped after %d pages",
                    video(p)->id, TT_PAGES_MAX);
  if (p->stage == TT_REPLIES) { /* the thread is read: remember its count */
    json_t *th = json_array_get(p->threads, p->ri++);
    json_object_set(p->t->reply_counts, json_string_value(json_array_get(th, 0)),
                    json_array_get(th, 1));
  }
  p->cursor[0] = '\0';
  p->pages = 0;
  if (p->ri < json_array_size(p->threads)) {
    p->stage = TT_REPLIES;
    fetch(p);
  } else {
    end_video(p);
  }
}

/* ---- pages -------------------------------------------------------------- */

static void take_videos(parley_tiktok_pass_t *p, const json_t *body) {
  size_t i, n;
  json_t *v, *arr = parley_sdk_json_array(body, "data.videos", &n);
  tt_video_t *grown = realloc(p->videos, (p->nvideos + n + 1) * sizeof *grown);
  if (!grown)
    return;
  p->videos = grown;
  json_array_foreach(arr, i, v) {
    const char *id = parley_sdk_json_str(v, "item_id", NULL);
    if ((int64_t)p->nvideos >= p->t->cfg->videos)
      break;
    if (!parley_sdk_id_valid(id) || strlen(id) >= PARLEY_TIKTOK_ID_MAX) {
      parley_tiktok_count(p->t, "items_unmapped_total", 1);
      continue;
    }
    tt_video_t *dst = &p->videos[p->nvideos++];
    snprintf(dst->id, sizeof dst->id, "%s", id);
    const char *url = parley_sdk_json_str(v, "share_url", NULL);
    dst->url = url ? strdup(url) : NULL;
  }
}

static void emit_item(parley_tiktok_pass_t *p, const json_t *c, parley_tiktok_level_t level) {
  parley_tiktok_t *t = p->t;
  parley_tiktok_map_ctx_t ctx = {
      .account = t->account, .account_handle = t->cfg->account_handle,
      .video_id = video(p)->id, .video_url = video(p)->url, .level = level,
      .include_raw = t->cfg->include_raw,
      .parent_id = level == PARLEY_TIKTOK_LEVEL_REPLY ? thread_id(p) : NULL};
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  if (parley_tiktok_map_comment(c, &ctx, &ev, &err) == 0) {
    parley_tiktok_mark(t, ev); /* this response's repairs */
    parley_sdk_order_add(&p->held, ev);
  } else {
    parley_tiktok_count(t, "items_unmapped_total", 1);
    t->host->log(t->inst, PARLEY_LOG_WARN, "back-fill: video %s: item skipped: %s",
                 video(p)->id, err.message);
  }
}

/* A top-level comment with replies we have not read at this count. */
static void want_thread(parley_tiktok_pass_t *p, const json_t *c, const char *id, int64_t ms) {
  parley_tiktok_t *t = p->t;
  int64_t n = parley_sdk_json_int(c, "replies", 0);
  if (n <= 0 || (p->since.ms > 0 && ms < p->since.ms - t->cfg->reply_lookback_ms))
    return;
  json_t *known = json_object_get(t->reply_counts, id);
  if (json_is_integer(known) && json_integer_value(known) == n)
    return;
  json_array_append_new(p->threads, json_pack("[s,I]", id, (json_int_t)n));
}

/* Emit the new items of a comment page. Returns the oldest create_time on
 * it (INT64_MAX when empty). */
static int64_t take_comments(parley_tiktok_pass_t *p, const json_t *body) {
  size_t i, n;
  int64_t oldest = INT64_MAX;
  json_t *c, *arr = parley_sdk_json_array(body, "data.comments", &n);
  parley_tiktok_level_t level =
      p->stage == TT_REPLIES ? PARLEY_TIKTOK_LEVEL_REPLY : PARLEY_TIKTOK_LEVEL_TOP;
  json_array_foreach(arr, i, c) {
    const char *id = parley_sdk_json_str(c, "comment_id", NULL);
    int64_t ms = parley_tiktok_comment_ms(c);
    if (ms < oldest)
      oldest = ms;
    /* an item without id or time is new too: mapping counts and logs it */
    if (ms <= 0 || !id || parley_tiktok_cursor_is_new(&p->since, ms, id)) {
      emit_item(p, c, level);
      if (ms > 0 && parley_tiktok_cursor_take(&p->taken, ms, id) != 0)
        p->oom = 1; /* the checkpoint would lose the id: do not move it */
    }
    if (level == PARLEY_TIKTOK_LEVEL_TOP && id && parley_sdk_id_valid(id))
      want_thread(p, c, id, ms);
  }
  return oldest;
}

/* Whether to read past a comment page whose oldest item is `oldest`. */
static int want_more(const parley_tiktok_pass_t *p, int64_t oldest) {
  if (p->since.ms == 0) /* no checkpoint: the first pass reads one page */
    return !p->first;
  int64_t floor = p->since.ms;
  if (p->stage == TT_COMMENTS) /* older comments may have new replies */
    floor -= p->t->cfg->reply_lookback_ms;
  return oldest >= floor;
}

static void on_page(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data) {
  parley_tiktok_pass_t *p = data;
  parley_tiktok_t *t = p->t;
  (void)c;
  parley_tiktok_outcome(t, r, "back-fill");
  if (r->status < 0) {
    if (r->status == PARLEY_ECANCELED)
      parley_sdk_order_clear(&p->held); /* stopping: the next start re-reads */
    finish(p, r->error);
    return;
  }
  int has_more = parley_sdk_json_bool(r->json, "data.has_more", 0);
  if (p->stage == TT_VIDEOS) {
    take_videos(p, r->json);
    if (has_more && (int64_t)p->nvideos < t->cfg->videos &&
        parley_sdk_page_tiktok_next(r->json, p->cursor, sizeof p->cursor) > 0) {
      fetch(p);
      return;
    }
    next_video(p);
    return;
  }
  int64_t oldest = take_comments(p, r->json);
  advance(p, r->json, has_more && want_more(p, oldest));
}

static void emit_held(parley_event_t *ev, void *data) { parley_tiktok_emit_marked(data, ev); }

static void poll_fn(parley_sdk_poll_t *poll, void *data) {
  parley_tiktok_t *t = data;
  char seen[8];
  (void)poll;
  parley_tiktok_pass_t *p = calloc(1, sizeof *p);
  if (!p || !(p->threads = json_array())) {
    free(p);
    parley_sdk_error_t e;
    parley_sdk_error_transport(&e, PARLEY_ENOMEM, "out of memory");
    parley_sdk_poll_done(t->poll, 0, &e);
    return;
  }
  p->t = t;
  /* comment and reply lists are newest first (§4.1, §4.2) */
  parley_sdk_order_init(&p->held, emit_held, t, 1);
  p->first = t->host->checkpoint_get(t->inst, TT_SEEN_KEY, seen, sizeof seen) <= 0;
  if (json_object_size(t->reply_counts) > TT_REPLY_COUNTS_MAX)
    json_object_clear(t->reply_counts); /* re-read each thread once */
  t->pass = p;
  p->stage = TT_VIDEOS;
  fetch(p);
}

int parley_tiktok_backfill_new(parley_tiktok_t *t, parley_error_t *err) {
  parley_sdk_poll_config_t pc = {0};
  uint64_t every = (uint64_t)t->cfg->poll_interval_ms;
  pc.interval_ms = every;
  pc.floor_ms = t->cfg->poll_floor_ms > 0 ? (uint64_t)t->cfg->poll_floor_ms : 1;
  pc.ceiling_ms = every > 15 * 60 * 1000 ? every : 15 * 60 * 1000;
  int rc = parley_sdk_poll_new(t->host, t->inst, t->http, "GET business/comment/list", &pc,
                               poll_fn, t, &t->poll);
  if (rc)
    return parley_error_set(err, rc, "tiktok: cannot create the back-fill scheduler");
  return 0;
}

void parley_tiktok_backfill_free(parley_tiktok_t *t) {
  pass_free(t->pass);
  t->pass = NULL;
  if (t->poll)
    parley_sdk_poll_free(t->poll);
  t->poll = NULL;
}
