/* linkedin — the comments source: the organization's newest posts, their
 * comments and the replies to them (linkedin.md §4, §5, §8).
 *
 * A pass lists the newest posts_window posts (GET /rest/posts?q=author),
 * then, post by post, walks GET /rest/socialActions/{post}/comments with
 * start/count down to the post's checkpoint, then the replies
 * (/socialActions/{comment}/comments) of every comment whose reply count
 * changed. Each post has its own checkpoint, "post:<URN>" = the highest
 * comment id (19-digit, time-ordered: compared as numbers, never as doubles)
 * seen under it, comments and replies alike; it moves only once the post's
 * whole walk is done, and is staged in the same loop turn as the events of
 * the walk's last page, so a crash re-reads rather than skips, and nothing
 * at or below a committed checkpoint is ever emitted again. A post's events
 * are held until its walk is done and emitted oldest first, right before
 * its checkpoint (parley/sdk/order.h): the walk may read newest first, and a
 * thread must reach the outputs in its own order.
 *
 * LinkedIn does not document whether comments come oldest or newest first
 * (§5.1). The walk does not rely on either: with more than one page it reads
 * the first and the last page and sees where the newest ids are; then it
 * walks from that end towards the other and stops at the first page holding
 * an id at or below the checkpoint. Pages are contiguous ranges, so the
 * order inside a page does not matter (a shuffled page loses nothing).
 *
 * The first pass of a new instance ("comments.started" unset) reads only the
 * first and the newest page of each post, so it does not crawl history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkedin.h"
#include "parley/sdk/json.h"
#include "parley/sdk/order.h"
#include "parley/sdk/paging.h"

#define CK_STARTED "comments.started"
#define REPLY_MEMORY_MAX 20000 /* remembered reply counts; cleared beyond */

/* Where a listing's walk is (see the comment at the top). */
typedef enum {
  PHASE_FIRST = 0, /* offset 0 */
  PHASE_PROBE,     /* the last page, to see which end is newest */
  PHASE_BACKWARD,  /* oldest first: from the end towards offset 0 */
  PHASE_FORWARD,   /* newest first: from offset 0 towards the end */
  PHASE_ALL,       /* no total: every page */
} walk_phase_t;

struct parley_linkedin_comments {
  parley_linkedin_t *li;
  parley_sdk_poll_t *poll;
  int first_run;
  json_t *posts;                          /* post URNs of this pass */
  size_t post_i;
  char post[PARLEY_LINKEDIN_URN_MAX];     /* the post being walked */
  char cp[PARLEY_SDK_ID_MAX];             /* its checkpoint, "" none */
  char newest[PARLEY_SDK_ID_MAX];         /* highest id seen under it */
  char parent[PARLEY_LINKEDIN_URN_MAX];   /* what is listed: post or comment */
  int64_t start, count, total, probe_start;
  int64_t first_len;                      /* elements on the first page */
  walk_phase_t phase;
  char first_max[PARLEY_SDK_ID_MAX];      /* highest id on the first page */
  int first_reached;                      /* the first page reached the checkpoint */
  int incomplete;                         /* a reply listing was refused */
  json_t *queue;                          /* [[comment URN, reply count], ...] */
  json_t *replies_seen;                   /* comment URN -> reply count read */
  parley_sdk_order_t held;                /* the post's events, emitted oldest first */
};

static void next_post(parley_linkedin_comments_t *s);
static void fetch(parley_linkedin_comments_t *s);

/* A failed pass emits what it read of the post all the same (a listing
 * that keeps failing must not hold back the rest); the checkpoint stays. */
static void failed(parley_linkedin_comments_t *s, const parley_sdk_error_t *e) {
  parley_sdk_order_flush(&s->held);
  parley_sdk_poll_done(s->poll, 0, e);
}

static void fail(parley_linkedin_comments_t *s, int code, const char *detail) {
  parley_sdk_error_t e;
  parley_sdk_error_transport(&e, code, detail);
  failed(s, &e);
}

/* ---- posts ---------------------------------------------------------------- */

static void on_posts(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data) {
  parley_linkedin_comments_t *s = data;
  size_t i, n;
  json_t *post, *elements = parley_sdk_json_array(r->json, "elements", &n);
  (void)c;
  if (r->status == PARLEY_ECANCELED)
    return;
  parley_linkedin_outcome(s->li, r, "GET /rest/posts");
  if (r->status < 0) {
    parley_sdk_poll_done(s->poll, 0, r->error);
    return;
  }
  json_array_clear(s->posts);
  json_array_foreach(elements, i, post) {
    const char *urn = parley_sdk_json_str(post, "id", NULL);
    if (parley_linkedin_is_post_urn(urn) && strlen(urn) < PARLEY_LINKEDIN_URN_MAX)
      json_array_append_new(s->posts, json_string(urn));
  }
  s->post_i = 0;
  next_post(s);
}

static void poll_fn(parley_sdk_poll_t *p, void *data) {
  parley_linkedin_comments_t *s = data;
  parley_linkedin_t *li = s->li;
  char path[PARLEY_LINKEDIN_URN_MAX * 3 + 128], flag[8];
  (void)p;
  s->first_run = li->host->checkpoint_get(li->inst, CK_STARTED, flag, sizeof flag) <= 0;
  snprintf(path, sizeof path, "/posts?q=author&author=%s&count=%lld&start=0&sortBy=CREATED",
           li->org_enc, (long long)li->cfg->posts_window);
  char *url = parley_linkedin_url(li, path);
  int rc = url ? parley_linkedin_send(li, NULL, url, "GET /rest/posts", NULL, on_posts, s)
               : PARLEY_ENOMEM;
  free(url);
  if (rc)
    fail(s, rc, "the posts request could not be sent");
}

/* ---- one listing (comments of a post, or replies of a comment) ----------- */

static void list_begin(parley_linkedin_comments_t *s, const char *parent) {
  snprintf(s->parent, sizeof s->parent, "%s", parent);
  s->start = 0;
  s->count = s->li->cfg->page_size;
  s->total = -1;
  s->phase = PHASE_FIRST;
  s->first_reached = 0;
  fetch(s);
}

static void on_list(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data);

static void fetch(parley_linkedin_comments_t *s) {
  char enc[PARLEY_LINKEDIN_URN_MAX * 3], path[sizeof enc + 96];
  parley_linkedin_urn_encode(s->parent, enc, sizeof enc);
  snprintf(path, sizeof path, "/socialActions/%s/comments?start=%lld&count=%lld", enc,
           (long long)s->start, (long long)s->count);
  char *url = parley_linkedin_url(s->li, path);
  int rc = url ? parley_linkedin_send(s->li, NULL, url, "GET /rest/socialActions/comments", NULL,
                                      on_list, s)
               : PARLEY_ENOMEM;
  free(url);
  if (rc)
    fail(s, rc, "the comments request could not be sent");
}

static int is_top_level(const parley_linkedin_comments_t *s) {
  return strcmp(s->parent, s->post) == 0;
}

/* Remember to read the replies of c when its reply count is not the one
 * last read (a restart forgets: its replies are read once more, and what is
 * at or below the checkpoint is not emitted again). */
static void queue_replies(parley_linkedin_comments_t *s, const json_t *c, const char *urn) {
  int64_t replies = parley_sdk_json_int(c, "commentsSummary.aggregatedTotalComments",
                                        parley_sdk_json_int(c, "commentsSummary.totalFirstLevelComments", 0));
  json_t *seen = json_object_get(s->replies_seen, urn);
  if (replies <= 0 || (seen && json_integer_value(seen) == replies))
    return;
  json_array_append_new(s->queue, json_pack("[s,I]", urn, (json_int_t)replies));
}

static int seen_on_page(const json_t *elements, size_t upto, const char *id) {
  for (size_t i = 0; i < upto; i++)
    if (strcmp(parley_sdk_json_str(json_array_get(elements, i), "id", ""), id) == 0)
      return 1;
  return 0;
}

static void take(parley_linkedin_comments_t *s, const json_t *c) {
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  if (parley_linkedin_map_comment(s->li, c, &ev, &err) == 0) {
    parley_linkedin_mark(s->li, ev); /* this response's repairs */
    parley_sdk_order_add(&s->held, ev);
  } else {
    parley_linkedin_count(s->li, "unmapped_total", 1);
    s->li->host->log(s->li->inst, PARLEY_LOG_WARN, "comments: %s", err.message);
  }
}

/* Emit what is above the checkpoint; returns 1 when the page reached it.
 * *max gets the page's highest id. */
static int read_page(parley_linkedin_comments_t *s, const json_t *elements, char *max,
                     size_t maxlen) {
  size_t i;
  json_t *c;
  int reached = 0;
  max[0] = '\0';
  json_array_foreach(elements, i, c) {
    const char *id = parley_sdk_json_str(c, "id", NULL);
    const char *urn = parley_sdk_json_str(c, "commentUrn", parley_sdk_json_str(c, "$URN", NULL));
    if (!parley_sdk_id_valid(id) || seen_on_page(elements, i, id))
      continue; /* a repeated element: emitted once */
    if (parley_sdk_id_cmp(id, max) > 0)
      snprintf(max, maxlen, "%s", id);
    if (s->cp[0] && parley_sdk_id_cmp(id, s->cp) <= 0) {
      reached = 1;
    } else {
      take(s, c);
      if (parley_sdk_id_cmp(id, s->newest) > 0)
        snprintf(s->newest, sizeof s->newest, "%s", id);
    }
    if (is_top_level(s) && urn && strlen(urn) < PARLEY_LINKEDIN_URN_MAX)
      queue_replies(s, c, urn);
  }
  return reached;
}

/* After the first page (offset 0). 1 to fetch again. */
static int plan_after_first(parley_linkedin_comments_t *s, int64_t n, const char *max,
                            int reached) {
  if (n < s->count || (s->total >= 0 && s->total <= n))
    return 0; /* everything is in hand */
  if (s->total < 0) { /* no total: the order cannot be seen, read to the end */
    s->phase = PHASE_ALL;
    s->start += n;
    return !s->first_run;
  }
  snprintf(s->first_max, sizeof s->first_max, "%s", max);
  s->first_reached = reached;
  s->first_len = n;
  s->phase = PHASE_PROBE;
  /* the last page, but not overlapping the first one */
  s->probe_start = s->start = s->total - s->count < n ? n : s->total - s->count;
  return 1;
}

/* Walk from the last page towards the first page, which was read (its
 * first_len elements are not read again). */
static int step_backward(parley_linkedin_comments_t *s) {
  int64_t page = s->li->cfg->page_size;
  int64_t next = s->start - page < s->first_len ? s->first_len : s->start - page;
  s->count = s->start - next;
  s->start = next;
  return s->count > 0;
}

/* Walk from the first page towards the last, which was read; the page
 * before it is cut short so no element is read twice. */
static int step_forward(parley_linkedin_comments_t *s) {
  s->start += s->count;
  s->count = s->li->cfg->page_size;
  if (s->start + s->count > s->probe_start)
    s->count = s->probe_start - s->start;
  return s->count > 0;
}

/* After the last page: the newest ids are at the end (oldest first) or at
 * the start (newest first). */
static int plan_after_probe(parley_linkedin_comments_t *s, const char *max, int reached) {
  int backward = parley_sdk_id_cmp(max, s->first_max) > 0;
  if (s->first_run)
    return 0;
  if (backward) {
    s->phase = PHASE_BACKWARD;
    return !reached && step_backward(s);
  }
  s->phase = PHASE_FORWARD;
  s->start = 0;
  return !s->first_reached && step_forward(s);
}

static int plan_next(parley_linkedin_comments_t *s, int64_t n, const char *max, int reached) {
  switch (s->phase) {
  case PHASE_FIRST:
    return plan_after_first(s, n, max, reached);
  case PHASE_PROBE:
    return plan_after_probe(s, max, reached);
  case PHASE_BACKWARD:
    return !reached && step_backward(s);
  case PHASE_FORWARD:
    return !reached && n == s->count && step_forward(s);
  default: /* PHASE_ALL */
    s->start += n;
    return n == s->count;
  }
}

static void list_done(parley_linkedin_comments_t *s);
static void continue_post(parley_linkedin_comments_t *s);

/* A 403/404 for one post's comments or one comment's replies (deleted
 * meanwhile, comments turned off) concerns that one alone: the others must
 * not wait for it. Its checkpoint does not move. */
static int refused_alone(const parley_sdk_http_result_t *r) {
  const parley_sdk_error_t *e = r->error;
  return !e->is_auth && !e->is_rate_limit && !e->is_transient &&
         (r->http_status == 403 || r->http_status == 404);
}

static void skip_post(parley_linkedin_comments_t *s, const parley_sdk_http_result_t *r) {
  parley_linkedin_count(s->li, "posts_skipped_total", 1);
  s->li->host->log(s->li->inst, PARLEY_LOG_WARN,
                   "comments of %s skipped this pass: HTTP %ld %s: %s", s->parent,
                   r->http_status, r->error->platform_code, r->error->message);
  if (!is_top_level(s)) { /* one comment's replies: the rest of the post goes on */
    s->incomplete = 1;
    json_array_remove(s->queue, 0);
    continue_post(s);
    return;
  }
  json_array_clear(s->queue);
  s->post_i++;
  next_post(s);
}

static void on_list(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data) {
  parley_linkedin_comments_t *s = data;
  char max[PARLEY_SDK_ID_MAX];
  size_t n;
  (void)c;
  if (r->status == PARLEY_ECANCELED) {
    parley_sdk_order_clear(&s->held); /* stopping: the next start re-reads */
    return;
  }
  parley_linkedin_outcome(s->li, r, "GET /rest/socialActions/comments");
  if (r->status < 0 && refused_alone(r)) {
    skip_post(s, r);
    return;
  }
  if (r->status < 0) {
    failed(s, r->error);
    return;
  }
  json_t *elements = parley_sdk_json_array(r->json, "elements", &n);
  s->total = parley_sdk_json_int(r->json, "paging.total", s->total);
  int reached = read_page(s, elements, max, sizeof max);
  if (plan_next(s, (int64_t)n, max, reached))
    fetch(s);
  else
    list_done(s);
}

static void stage_checkpoint(parley_linkedin_comments_t *s) {
  char key[PARLEY_LINKEDIN_URN_MAX + 8];
  parley_sdk_order_flush(&s->held); /* oldest first, in the checkpoint's loop turn */
  if (s->incomplete || !s->newest[0] || parley_sdk_id_cmp(s->newest, s->cp) <= 0)
    return; /* incomplete: read again next pass rather than skip a reply */
  snprintf(key, sizeof key, "post:%s", s->post);
  s->li->host->checkpoint_set(s->li->inst, key, s->newest);
}

/* A listing is complete: the replies of the comment it listed are now
 * read (remember their count). */
static void list_done(parley_linkedin_comments_t *s) {
  if (!is_top_level(s)) {
    json_t *done = json_array_get(s->queue, 0);
    if (json_object_size(s->replies_seen) >= REPLY_MEMORY_MAX)
      json_object_clear(s->replies_seen);
    json_object_set(s->replies_seen, json_string_value(json_array_get(done, 0)),
                    json_array_get(done, 1));
    json_array_remove(s->queue, 0);
  }
  continue_post(s);
}

/* The next comment with new replies, or the post is done. */
static void continue_post(parley_linkedin_comments_t *s) {
  if (json_array_size(s->queue) > 0) {
    list_begin(s, json_string_value(json_array_get(json_array_get(s->queue, 0), 0)));
    return;
  }
  stage_checkpoint(s);
  s->post_i++;
  next_post(s);
}

static void next_post(parley_linkedin_comments_t *s) {
  parley_linkedin_t *li = s->li;
  char key[PARLEY_LINKEDIN_URN_MAX + 8];
  parley_sdk_order_flush(&s->held); /* a skipped post's events so far */
  if (s->post_i >= json_array_size(s->posts)) {
    if (s->first_run)
      li->host->checkpoint_set(li->inst, CK_STARTED, "1");
    parley_linkedin_count(li, "comment_passes_total", 1);
    parley_sdk_poll_done(s->poll, 0, NULL);
    return;
  }
  snprintf(s->post, sizeof s->post, "%s", json_string_value(json_array_get(s->posts, s->post_i)));
  snprintf(key, sizeof key, "post:%s", s->post);
  if (li->host->checkpoint_get(li->inst, key, s->cp, sizeof s->cp) <= 0 ||
      !parley_sdk_id_valid(s->cp))
    s->cp[0] = '\0';
  snprintf(s->newest, sizeof s->newest, "%s", s->cp);
  s->incomplete = 0;
  json_array_clear(s->queue);
  list_begin(s, s->post);
}

parley_sdk_poll_t *parley_linkedin_comments_poll(parley_linkedin_comments_t *s) {
  return s->poll;
}

int parley_linkedin_comments_new(parley_linkedin_t *li, parley_linkedin_comments_t **out,
                                 parley_error_t *err) {
  parley_sdk_poll_config_t pc;
  parley_linkedin_comments_t *s = calloc(1, sizeof *s);
  if (!s || !(s->posts = json_array()) || !(s->queue = json_array()) ||
      !(s->replies_seen = json_object())) {
    parley_linkedin_comments_free(s);
    return parley_error_set(err, PARLEY_ENOMEM, "linkedin: out of memory");
  }
  s->li = li;
  /* LinkedIn documents no order (§5.1): times alone decide, ties as read */
  parley_sdk_order_init(&s->held, parley_linkedin_emit_held, li, 0);
  parley_linkedin_poll_config(li, &pc);
  int rc = parley_sdk_poll_new(li->host, li->inst, li->http, "GET /rest/socialActions/comments",
                               &pc, poll_fn, s, &s->poll);
  if (rc) {
    parley_linkedin_comments_free(s);
    return parley_error_set(err, rc, "linkedin: cannot create the comments poller");
  }
  *out = s;
  return 0;
}

void parley_linkedin_comments_free(parley_linkedin_comments_t *s) {
  if (!s)
    return;
  if (s->poll)
    parley_sdk_poll_free(s->poll);
  parley_sdk_order_clear(&s->held);
  json_decref(s->posts);
  json_decref(s->queue);
  json_decref(s->replies_seen);
  free(s);
}
