/* meta — the polling back-fill, so nothing is lost while webhooks were not
 * delivered (parleyd down, Meta giving up its retries).
 *
 * On start and then every backfill_interval, a pass walks Graph pages one at
 * a time from a queue the plugin fills (posts/media, their comments, tagged
 * media, conversations, thread messages), newest first, cursor by cursor,
 * down to the account's checkpoint: the wall time at which the previous
 * complete pass began, minus an overlap (meta.h). Every item at or after the
 * checkpoint is emitted; the core drops the ones already journaled (by id,
 * so the webhook and back-fill paths never duplicate). The pass holds its
 * events and emits them when it ends, oldest first (parley/sdk/order.h): the
 * edges list newest first, and a thread must reach the outputs in its own
 * order (the customer's message before the Page's answer). Only when the
 * whole pass succeeded do the checkpoints move, staged right after the
 * pass's events so both are committed together; a failed pass leaves them and is retried
 * with backoff by the SDK's poll scheduler, which also slows down as Meta's
 * usage headers near 100 % and pauses while the outputs lag.
 *
 * A first run (no checkpoint) reads only the first page of each edge, so a
 * new instance does not crawl the whole history. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"
#include "parley/sdk/json.h"
#include "parley/sdk/order.h"
#include "parley/sdk/paging.h"
#include "parley/sdk/query.h"

#define META_BACKFILL_MAX_PAGES 20 /* per task and pass */
#define META_CHECKPOINT_PREFIX "since_ms:"

struct parley_meta_pass {
  parley_meta_t *m;
  parley_meta_task_t *head, *tail;
  parley_meta_task_t *cur;  /* being fetched */
  int64_t started_ms;       /* wall clock at the start of the pass */
  int64_t *since;           /* per configured account, 0 = first run */
  size_t tasks_done;
  parley_sdk_order_t held;  /* the pass's events, emitted oldest first when it ends */
};

static void pass_free(parley_meta_pass_t *p) {
  if (!p)
    return;
  parley_sdk_order_clear(&p->held); /* a pass freed before it ended: re-read later */
  parley_meta_task_t *t = p->head;
  while (t) {
    parley_meta_task_t *next = t->next;
    free(t->url);
    free(t);
    t = next;
  }
  if (p->cur) {
    free(p->cur->url);
    free(p->cur);
  }
  free(p->since);
  free(p);
}

static long account_index(const parley_meta_pass_t *p, const char *account) {
  const parley_strlist_t *a = &p->m->cfg->accounts;
  for (size_t i = 0; i < a->count; i++)
    if (strcmp(a->items[i], account) == 0)
      return (long)i;
  return -1;
}

int64_t parley_meta_pass_since(const parley_meta_pass_t *p, const char *account) {
  long i = account_index(p, account);
  return i < 0 ? 0 : p->since[i];
}

int parley_meta_pass_first(const parley_meta_pass_t *p, const char *account) {
  return parley_meta_pass_since(p, account) == 0;
}

int parley_meta_pass_new(const parley_meta_pass_t *p, const char *account, int64_t ms) {
  int64_t since = parley_meta_pass_since(p, account);
  return since == 0 || ms >= since;
}

int parley_meta_pass_add(parley_meta_pass_t *p, int kind, const char *account,
                         const char *node, const char *path, const char *params) {
  parley_meta_task_t *t = calloc(1, sizeof *t);
  if (!t || !(t->url = parley_meta_url(p->m, path, params))) {
    free(t);
    return PARLEY_ENOMEM;
  }
  t->kind = kind;
  snprintf(t->account, sizeof t->account, "%s", account);
  snprintf(t->node, sizeof t->node, "%s", node ? node : account);
  if (p->tail)
    p->tail->next = t;
  else
    p->head = t;
  p->tail = t;
  return 0;
}

static void load_checkpoints(parley_meta_pass_t *p) {
  parley_meta_t *m = p->m;
  for (size_t i = 0; i < m->cfg->accounts.count; i++) {
    char key[PARLEY_META_ID_MAX + 16], buf[32];
    snprintf(key, sizeof key, META_CHECKPOINT_PREFIX "%s", m->cfg->accounts.items[i]);
    int n = m->host->checkpoint_get(m->inst, key, buf, sizeof buf);
    p->since[i] = n > 0 ? strtoll(buf, NULL, 10) : 0;
    if (p->since[i] < 0)
      p->since[i] = 0;
  }
}

/* The pass is complete: every account's checkpoint moves to the pass start
 * minus the overlap (never backwards). */
static void save_checkpoints(parley_meta_pass_t *p) {
  parley_meta_t *m = p->m;
  int64_t next = p->started_ms - PARLEY_META_BACKFILL_OVERLAP_MS;
  for (size_t i = 0; i < m->cfg->accounts.count; i++) {
    char key[PARLEY_META_ID_MAX + 16], buf[32];
    if (next <= p->since[i])
      continue;
    snprintf(key, sizeof key, META_CHECKPOINT_PREFIX "%s", m->cfg->accounts.items[i]);
    snprintf(buf, sizeof buf, "%" PRId64, next);
    m->host->checkpoint_set(m->inst, key, buf);
  }
}

static void run_next(parley_meta_pass_t *p);

/* DM threads, newest activity first (§11): each thread updated since the
 * checkpoint gets its messages read, newest first, down to the checkpoint. */
static int seed_conversations(parley_meta_t *m, parley_meta_pass_t *p, const char *account) {
  char path[PARLEY_META_ID_MAX + 32], params[96];
  snprintf(path, sizeof path, "/%s/conversations", account);
  snprintf(params, sizeof params, "platform=%s&fields=id,updated_time&limit=25",
           m->plat->conversations_platform);
  return parley_meta_pass_add(p, PARLEY_META_TASK_CONVERSATIONS, account, NULL, path, params);
}

static int read_conversations(parley_meta_t *m, parley_meta_pass_t *p, parley_meta_task_t *t,
                              const json_t *page) {
  size_t i, n;
  json_t *conv, *data = parley_sdk_json_array(page, "data", &n);
  (void)m;
  json_array_foreach(data, i, conv) {
    int64_t ms = 0;
    const char *id = parley_sdk_json_str(conv, "id", NULL);
    parley_meta_time(json_object_get(conv, "updated_time"), &ms);
    if (!parley_meta_pass_new(p, t->account, ms))
      return 0; /* threads are ordered by their last message */
    char path[PARLEY_META_ID_MAX + 16];
    if (!id || strlen(id) >= PARLEY_META_ID_MAX)
      continue;
    snprintf(path, sizeof path, "/%s/messages", id);
    if (parley_meta_pass_add(p, PARLEY_META_TASK_MESSAGES, t->account, id, path,
                             "fields=id,message,created_time,from,to,attachments&limit=25") != 0)
      return 0;
  }
  return 1;
}

static int read_messages(parley_meta_t *m, parley_meta_pass_t *p, parley_meta_task_t *t,
                         const json_t *page) {
  size_t i, n;
  json_t *msg, *data = parley_sdk_json_array(page, "data", &n);
  json_array_foreach(data, i, msg) {
    int64_t ms = 0;
    parley_meta_time(json_object_get(msg, "created_time"), &ms);
    if (!parley_meta_pass_new(p, t->account, ms))
      return 0;
    parley_event_t *ev = NULL;
    parley_error_t err = {0};
    if (parley_meta_map_thread_message(m, t->account, msg, &ev, &err) == 0)
      parley_meta_pass_emit(p, ev);
    else
      m->host->log(m->inst, PARLEY_LOG_WARN, "back-fill: %s", err.message);
  }
  return 1;
}

static int read_page(parley_meta_t *m, parley_meta_pass_t *p, parley_meta_task_t *t,
                     const json_t *page) {
  if (t->kind == PARLEY_META_TASK_CONVERSATIONS)
    return read_conversations(m, p, t, page);
  if (t->kind == PARLEY_META_TASK_MESSAGES)
    return read_messages(m, p, t, page);
  return m->plat->backfill_page(m, p, t, page);
}

static void finish(parley_meta_pass_t *p, const parley_sdk_error_t *e) {
  parley_meta_t *m = p->m;
  /* A failed pass emits what it read all the same (an edge that keeps
   * failing must not hold back the others); its checkpoints stay. */
  parley_sdk_order_flush(&p->held);
  if (!e || e->code == 0) {
    save_checkpoints(p);
    parley_meta_count(m, "backfill_passes_total", 1);
    m->host->log(m->inst, PARLEY_LOG_DEBUG, "back-fill pass done: %zu page(s)", p->tasks_done);
  } else {
    parley_meta_count(m, "backfill_failures_total", 1);
  }
  m->pass = NULL;
  pass_free(p);
  parley_sdk_poll_done(m->poll, 0, e);
}

static void on_page(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data);

static void fetch(parley_meta_pass_t *p) {
  parley_meta_task_t *t = p->cur;
  char *url = t->url;
  char *paged = NULL;
  if (t->after[0]) {
    parley_sdk_query_t q;
    if (parley_sdk_query_init_url(&q, t->url) == 0 && parley_sdk_query_add(&q, "after", t->after) == 0)
      paged = parley_sdk_query_steal(&q);
    parley_sdk_query_free(&q);
    url = paged;
  }
  /* Meta's limits are app/business wide: one rate-limit key for all */
  int rc = url ? parley_meta_graph_send(p->m, "GET", url, "GET graph", NULL, NULL, on_page, p)
               : PARLEY_ENOMEM;
  free(paged);
  if (rc) {
    parley_sdk_error_t e;
    parley_sdk_error_transport(&e, rc, "the back-fill request could not be sent");
    finish(p, &e);
  }
}

static void on_page(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data) {
  parley_meta_pass_t *p = data;
  parley_meta_t *m = p->m;
  parley_meta_task_t *t = p->cur;
  (void)c;
  if (r->status < 0) {
    if (r->status != PARLEY_ECANCELED) {
      parley_meta_call_outcome(m, r, "back-fill");
      if (!r->error->is_auth)
        m->host->log(m->inst, PARLEY_LOG_WARN, "back-fill of %s (account %s): HTTP %ld: %s",
                     t->node, t->account, r->http_status, r->error->message);
    } else {
      parley_sdk_order_clear(&p->held); /* stopping: the next start re-reads */
    }
    finish(p, r->error);
    return;
  }
  parley_meta_call_outcome(m, r, "back-fill");
  p->tasks_done++;
  t->pages++;
  int more = read_page(m, p, t, r->json);
  char cursor[sizeof t->after];
  int n = parley_sdk_page_meta_next(r->json, cursor, sizeof cursor);
  if (more && n > 0 && !parley_meta_pass_first(p, t->account) &&
      t->pages < META_BACKFILL_MAX_PAGES) {
    snprintf(t->after, sizeof t->after, "%s", cursor);
    fetch(p);
    return;
  }
  free(t->url);
  free(t);
  p->cur = NULL;
  run_next(p);
}

static void run_next(parley_meta_pass_t *p) {
  parley_meta_task_t *t = p->head;
  if (!t) {
    finish(p, NULL);
    return;
  }
  p->head = t->next;
  if (!p->head)
    p->tail = NULL;
  t->next = NULL;
  p->cur = t;
  fetch(p);
}

static void emit_held(parley_event_t *ev, void *data) { parley_meta_emit_marked(data, ev); }

void parley_meta_pass_emit(parley_meta_pass_t *p, parley_event_t *ev) {
  parley_meta_mark(p->m, ev); /* the repairs of the response being read now */
  parley_sdk_order_add(&p->held, ev);
}

static void poll_fn(parley_sdk_poll_t *poll, void *data) {
  parley_meta_t *m = data;
  parley_sdk_error_t e;
  (void)poll;
  parley_meta_pass_t *p = calloc(1, sizeof *p);
  if (p)
    p->since = calloc(m->cfg->accounts.count, sizeof *p->since);
  if (!p || !p->since) {
    pass_free(p);
    parley_sdk_error_transport(&e, PARLEY_ENOMEM, "out of memory");
    parley_sdk_poll_done(m->poll, 0, &e);
    return;
  }
  p->m = m;
  /* Graph edges list newest first (comments: reverse_chronological) */
  parley_sdk_order_init(&p->held, emit_held, m, 1);
  p->started_ms = m->host->wall_ms(m->inst);
  load_checkpoints(p);
  for (size_t i = 0; i < m->cfg->accounts.count; i++) {
    const char *acct = m->cfg->accounts.items[i];
    if (m->plat->backfill_seed(m, p, acct) != 0 || seed_conversations(m, p, acct) != 0) {
      pass_free(p);
      parley_sdk_error_transport(&e, PARLEY_ENOMEM, "out of memory");
      parley_sdk_poll_done(m->poll, 0, &e);
      return;
    }
  }
  m->pass = p;
  run_next(p);
}

int parley_meta_backfill_new(parley_meta_t *m, parley_error_t *err) {
  parley_sdk_poll_config_t pc = {0};
  uint64_t every = (uint64_t)m->cfg->backfill_interval_ms;
  pc.interval_ms = every;
  pc.floor_ms = every < 1000 ? every : 1000;
  pc.ceiling_ms = every > 15 * 60 * 1000 ? every : 15 * 60 * 1000;
  int rc = parley_sdk_poll_new(m->host, m->inst, m->http, "GET graph", &pc, poll_fn, m, &m->poll);
  if (rc)
    return parley_error_set(err, rc, "%s: cannot create the back-fill scheduler", m->plat->name);
  return 0;
}

void parley_meta_backfill_free(parley_meta_t *m) {
  pass_free(m->pass);
  m->pass = NULL;
  if (m->poll)
    parley_sdk_poll_free(m->poll);
  m->poll = NULL;
}
