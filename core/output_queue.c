/* parley core — an output's queue and delivery cursor.
 *
 * The queue is a bounded read-ahead window over the journal. Fresh events
 * go straight in while the output keeps up; when it is full, the output
 * falls "behind" and later reads the missed events back from the journal
 * (tail marks how far it has looked). The cursor only advances past events
 * that were delivered or do not match, and is saved in the journal, so a
 * restart redelivers exactly the undelivered ones (at-least-once). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "router.h"
#include "util.h"

parley_blob_t *parley_blob_new(int64_t seq, const char *id, const char *json, size_t len) {
  parley_blob_t *b = calloc(1, sizeof *b);
  if (!b)
    return NULL;
  b->refs = 1;
  b->seq = seq;
  b->id = parley_strdup(id);
  b->json = malloc(len + 1);
  if (!b->id || !b->json) {
    free(b->id);
    free(b->json);
    free(b);
    return NULL;
  }
  memcpy(b->json, json, len);
  b->json[len] = '\0';
  b->len = len;
  return b;
}

void parley_blob_unref(parley_blob_t *b) {
  if (b && --b->refs == 0) {
    free(b->id);
    free(b->json);
    free(b);
  }
}

int parley_output_create(parley_router_t *r, const parley_conf_instance_t *co, unsigned index,
                         parley_output_t **out, parley_error_t *err) {
  parley_output_t *o = calloc(1, sizeof *o);
  if (!o)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  *out = o;
  o->r = r;
  o->index = index;
  o->name = parley_strdup(co->name);
  o->labels = parley_asprintf("output=\"%s\"", co->name);
  o->ring = calloc(r->queue_cap, sizeof *o->ring);
  if (!o->name || !o->labels || !o->ring)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  o->type = parley_output_type_find(co->plugin);
  if (!o->type)
    return parley_error_set(err, PARLEY_ECONFIG, "%s:%d: outputs[%u].type: unknown output type '%s'",
                            r->cfg->source, co->line, index, co->plugin);
  char where[64];
  snprintf(where, sizeof where, "outputs[%u].options", index);
  int rc = parley_options_bind(o->type->options, o->type->config_size, co->options,
                               r->cfg->source, where, &o->config, err);
  if (rc == 0)
    rc = o->type->create(o, o->config, &o->state, err);
  if (rc)
    return rc;
  o->c_delivered = parley_metrics_counter(r->metrics, "parley_output_delivered_total", o->labels);
  o->c_failed = parley_metrics_counter(r->metrics, "parley_output_failures_total", o->labels);
  o->g_backlog = parley_metrics_gauge(r->metrics, "parley_output_backlog", o->labels);
  return (o->c_delivered && o->c_failed && o->g_backlog) ? 0 : PARLEY_ENOMEM;
}

int parley_output_open(parley_output_t *o, parley_error_t *err) {
  parley_router_t *r = o->r;
  int rc = parley_journal_cursor_get(r->journal, o->name, &o->cursor);
  if (rc == PARLEY_ENOENT) {
    o->cursor = 0;
    rc = 0;
  }
  if (rc)
    return parley_error_set(err, rc, "output %s: cannot read its delivery cursor", o->name);
  o->saved_cursor = o->tail = o->cursor;
  uv_timer_init(r->loop, &o->retry);
  o->retry.data = o;
  o->retry_open = 1;
  if (o->type->open && (rc = o->type->open(o->state, r->loop, err)) != 0)
    return rc;
  o->opened = 1;
  return 0;
}

const char *parley_output_name(const parley_output_t *o) { return o->name; }

static int push(parley_output_t *o, parley_blob_t *b) {
  if (o->count == o->r->queue_cap)
    return 0;
  b->refs++;
  o->ring[(o->head + o->count) % o->r->queue_cap] = b;
  o->count++;
  o->tail = b->seq;
  return 1;
}

void parley_output_offer(parley_output_t *o, parley_blob_t *const *blobs,
                         const parley_output_mask_t *masks, size_t n, int64_t prev_last) {
  /* Behind: something before this batch is still only in the journal. */
  int caught_up = o->tail >= prev_last;
  for (size_t i = 0; i < n && caught_up; i++) {
    if (!blobs[i])
      caught_up = 0; /* out of memory building it: read it back later */
    else if (!(masks[i] & ((parley_output_mask_t)1 << o->index)))
      o->tail = blobs[i]->seq;
    else
      caught_up = push(o, blobs[i]);
  }
  parley_output_pump(o);
}

static int refill_one(int64_t seq, const char *id, const char *json, size_t len, void *data) {
  parley_output_t *o = data;
  parley_event_t *ev = NULL;
  parley_error_t err = {0};
  if (len == 0) {
    /* pruned by retention: only an output added after that reaches it */
    o->tail = seq;
    return 0;
  }
  if (parley_event_from_json(json, len, &ev, &err) != 0) {
    parley_log_instance(PARLEY_LOG_ERROR, "output", o->name,
                        "journal event %s unreadable, skipped: %s", id, err.message);
    o->tail = seq;
    return 0;
  }
  parley_output_mask_t m = parley_route_match(o->r->cfg, o->r->outputs, o->r->n_outputs, ev);
  parley_event_free(ev);
  if (!(m & ((parley_output_mask_t)1 << o->index))) {
    o->tail = seq;
    return 0;
  }
  parley_blob_t *b = parley_blob_new(seq, id, json, len);
  int ok = b && push(o, b);
  parley_blob_unref(b);
  return ok ? 0 : 1;
}

/* Read what the queue missed back from the journal. A read may bring
 * only events the output skips (no match, pruned): read on while it makes
 * progress, else the output would wait for the next commit to go on. */
static void refill(parley_output_t *o) {
  int64_t before;
  do {
    size_t room = o->r->queue_cap - o->count;
    if (room == 0 || o->tail >= o->r->last_seq || !o->r->journal)
      return;
    before = o->tail;
    if (parley_journal_read(o->r->journal, o->tail, room, refill_one, o) != 0)
      return;
  } while (o->count == 0 && o->tail > before);
}

int64_t parley_output_backlog(const parley_output_t *o) {
  return o->r->last_seq - o->cursor;
}

int parley_output_drained(const parley_output_t *o) {
  return o->count == 0 && o->inflight == 0 && o->tail >= o->r->last_seq;
}

static void save_cursor(parley_output_t *o) {
  if (o->cursor == o->saved_cursor)
    return;
  parley_router_cursor_moved(o->r);
  if (parley_journal_cursor_set(o->r->journal, o->name, o->cursor) == 0)
    o->saved_cursor = o->cursor;
}

static void deliver_next(parley_output_t *o) {
  if (o->inflight || o->failing || !o->opened)
    return;
  if (o->count == 0)
    refill(o);
  if (o->count == 0) {
    o->cursor = o->tail; /* everything up to tail was delivered or skipped */
    save_cursor(o);
    *o->g_backlog = 0;
    return;
  }
  size_t n = o->count < PARLEY_DELIVER_MAX ? o->count : PARLEY_DELIVER_MAX;
  parley_output_item_t items[PARLEY_DELIVER_MAX];
  for (size_t i = 0; i < n; i++) {
    parley_blob_t *b = o->ring[(o->head + i) % o->r->queue_cap];
    items[i] = (parley_output_item_t){b->seq, b->id, b->json, b->len};
  }
  o->inflight = n;
  *o->g_backlog = (double)parley_output_backlog(o);
  o->type->deliver(o->state, items, n);
}

/* deliver() may answer synchronously; loop instead of recursing. */
void parley_output_pump(parley_output_t *o) {
  if (o->in_pump) {
    o->repump = 1;
    return;
  }
  o->in_pump = 1;
  do {
    o->repump = 0;
    deliver_next(o);
  } while (o->repump);
  o->in_pump = 0;
}

static void retry_cb(uv_timer_t *t) {
  parley_output_t *o = t->data;
  o->failing = 0;
  parley_output_pump(o);
}

static void delivered(parley_output_t *o) {
  size_t n = o->inflight;
  int64_t last = o->ring[(o->head + n - 1) % o->r->queue_cap]->seq;
  for (size_t i = 0; i < n; i++) {
    parley_blob_unref(o->ring[o->head]);
    o->ring[o->head] = NULL;
    o->head = (o->head + 1) % o->r->queue_cap;
  }
  o->count -= n;
  o->inflight = 0;
  *o->c_delivered += n;
  o->cursor = o->count ? last : o->tail;
  save_cursor(o);
  if (o->attempts)
    parley_log_instance(PARLEY_LOG_INFO, "output", o->name,
                        "delivering again after %u failed attempts", o->attempts);
  o->attempts = 0;
  free(o->last_error);
  o->last_error = NULL;
}

/* Exponential backoff with jitter: 100 ms doubling up to 30 s. */
static uint64_t backoff_ms(unsigned attempts) {
  uint64_t base = 100u << (attempts < 9 ? attempts : 9);
  if (base > 30000)
    base = 30000;
  return base / 2 + (uint64_t)rand() % (base / 2 + 1);
}

/* Drop what is queued and start over after seq: the events after it are
 * read back from the journal and delivered again. */
static void rewind_now(parley_output_t *o) {
  int64_t seq = o->rewind_to;
  o->rewind_pending = 0;
  for (size_t i = 0; i < o->count; i++) {
    size_t k = (o->head + i) % o->r->queue_cap;
    parley_blob_unref(o->ring[k]);
    o->ring[k] = NULL;
  }
  o->head = o->count = 0;
  o->cursor = o->tail = seq;
  save_cursor(o);
  parley_log_instance(PARLEY_LOG_INFO, "output", o->name,
                      "replaying from the journal: every event after seq %lld again",
                      (long long)seq);
}

void parley_output_rewind(parley_output_t *o, int64_t seq) {
  o->rewind_to = seq < 0 ? 0 : seq;
  o->rewind_pending = 1;
  if (o->inflight)
    return; /* parley_output_done() rewinds once the batch is answered */
  rewind_now(o);
  parley_output_pump(o);
}

void parley_output_done(parley_output_t *o, int status, const char *message) {
  if (!o->inflight)
    return;
  if (o->rewind_pending) {
    /* the batch's outcome no longer matters: its events come again */
    o->inflight = 0;
    rewind_now(o);
    parley_output_pump(o);
    return;
  }
  if (status == 0) {
    delivered(o);
  } else {
    o->inflight = 0;
    o->failing = 1;
    (*o->c_failed)++;
    free(o->last_error);
    o->last_error = parley_strdup(message ? message : parley_strerror(status));
    uint64_t wait = backoff_ms(o->attempts++);
    char attempt[24], retry[24];
    snprintf(attempt, sizeof attempt, "%u", o->attempts);
    snprintf(retry, sizeof retry, "%llu", (unsigned long long)wait);
    parley_log_field_t f[] = {{"attempt", attempt}, {"retry_ms", retry}};
    parley_log_kv(PARLEY_LOG_WARN, "output", o->name, f, 2,
                  "delivery failed (attempt %u), retrying in %llu ms: %s", o->attempts,
                  (unsigned long long)wait, o->last_error);
    uv_timer_start(&o->retry, retry_cb, wait, 0);
  }
  parley_router_update_pause(o->r);
  parley_output_pump(o);
}

static void retry_closed(uv_handle_t *h) {
  parley_output_t *o = h->data;
  o->retry_open = 0;
}

void parley_output_close(parley_output_t *o, void (*cb)(parley_output_t *o)) {
  if (o->retry_open && !uv_is_closing((uv_handle_t *)&o->retry))
    uv_close((uv_handle_t *)&o->retry, retry_closed);
  save_cursor(o);
  if (o->opened && o->type->close) {
    o->opened = 0;
    o->type->close(o->state, cb, o);
  } else {
    cb(o);
  }
}

void parley_output_destroy(parley_output_t *o) {
  if (!o)
    return;
  for (size_t i = 0; i < o->count; i++)
    parley_blob_unref(o->ring[(o->head + i) % o->r->queue_cap]);
  if (o->type && o->state)
    o->type->destroy(o->state);
  if (o->type)
    parley_options_free(o->type->options, o->config);
  free(o->ring);
  free(o->last_error);
  free(o->labels);
  free(o->name);
  free(o);
}
