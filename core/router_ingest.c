/* parley core — ingest: emitted events and staged checkpoints collect in
 * one batch. At the end of the loop turn (or when it is full) the batch
 * goes to the prepare thread (enrichment, encoding) while the next one
 * collects; back on the loop it is committed to the journal in a single
 * transaction, routed, and its commit callbacks run. One batch is in
 * flight at a time, so batches commit in the order they were collected,
 * and under load they grow on their own (group commit). */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "parley/time.h"
#include "router.h"
#include "util.h"

static int grow(void **arr, size_t *cap, size_t need, size_t size) {
  if (need <= *cap)
    return 0;
  size_t n = *cap ? *cap * 2 : 64;
  while (n < need)
    n *= 2;
  void *p = realloc(*arr, n * size);
  if (!p)
    return PARLEY_ENOMEM;
  *arr = p;
  *cap = n;
  return 0;
}

static void commit_idle_cb(uv_idle_t *h) {
  parley_router_t *r = h->data;
  uv_idle_stop(h);
  r->commit_armed = 0;
  parley_router_commit_now(r);
}

static void arm_commit(parley_router_t *r) {
  if (r->commit_armed || r->run == PARLEY_ROUTER_NEW)
    return;
  r->commit_armed = 1;
  uv_idle_start(&r->commit_idle, commit_idle_cb);
}

/* Actions addressed by platform + account find their instance by this. */
static void remember_account(parley_instance_t *inst, const char *account) {
  if (!account || (inst->account && strcmp(inst->account, account) == 0))
    return;
  char *copy = parley_strdup(account);
  if (copy) {
    free(inst->account);
    inst->account = copy;
  }
}

/* The collecting batch, made when the first thing arrives for it. */
static parley_batch_t *collecting(parley_router_t *r) {
  if (!r->collect)
    r->collect = parley_prepare_fresh(r);
  return r->collect;
}

/* Validated here, so the connector hears at once what is wrong; enriched
 * and encoded later, off the loop. */
int parley_router_emit(parley_instance_t *inst, parley_event_t *ev) {
  parley_router_t *r = inst->r;
  parley_batch_t *b = collecting(r);
  parley_error_t err = {0};
  (*inst->c_emitted)++;
  inst->staged++;
  parley_event_set_connector(ev, inst->name);
  if (!parley_event_received_at(ev))
    parley_event_set_received_at(ev, parley_time_now());
  int rc = parley_event_validate(ev, &err);
  if (rc == 0)
    rc = b ? grow((void **)&b->ev, &b->cap_ev, b->n_ev + 1, sizeof *b->ev) : PARLEY_ENOMEM;
  if (rc) {
    (*inst->c_invalid)++;
    parley_log_instance(PARLEY_LOG_WARN, "connector", inst->name, "event refused: %s",
                        err.message[0] ? err.message : parley_strerror(rc));
    parley_event_free(ev);
    return rc == PARLEY_ENOMEM ? rc : PARLEY_EINVAL;
  }
  b->ev[b->n_ev++] = (parley_pending_event_t){inst, ev, NULL, 0};
  remember_account(inst, parley_event_account(ev));
  if (b->n_ev >= PARLEY_BATCH_MAX)
    parley_router_commit_now(r);
  else
    arm_commit(r);
  /* accepted; EBUSY asks the source to slow down */
  return r->paused || r->prep.queued > PARLEY_QUEUED_MAX ? PARLEY_EBUSY : 0;
}

int parley_router_stage_checkpoint(parley_instance_t *inst, const char *key, const char *value) {
  parley_router_t *r = inst->r;
  parley_batch_t *b = collecting(r);
  if (!key || !value)
    return PARLEY_EINVAL;
  if (!b || grow((void **)&b->cp, &b->cap_cp, b->n_cp + 1, sizeof *b->cp))
    return PARLEY_ENOMEM;
  parley_pending_cp_t cp = {inst, parley_strdup(key), parley_strdup(value)};
  if (!cp.key || !cp.value) {
    free(cp.key);
    free(cp.value);
    return PARLEY_ENOMEM;
  }
  b->cp[b->n_cp++] = cp;
  inst->staged++;
  arm_commit(r);
  return 0;
}

static int copy_out(const char *value, char *buf, size_t buflen) {
  size_t n = strlen(value);
  if (n + 1 > buflen)
    return PARLEY_ENOBUFS;
  memcpy(buf, value, n + 1);
  return (int)n;
}

/* b's newest value for inst/key, else found. */
static const char *staged_value(const parley_batch_t *b, parley_instance_t *inst,
                                const char *key, const char *found) {
  for (size_t i = 0; b && i < b->n_cp; i++)
    if (b->cp[i].inst == inst && strcmp(b->cp[i].key, key) == 0)
      found = b->cp[i].value;
  return found;
}

int parley_router_get_checkpoint(parley_instance_t *inst, const char *key, char *buf,
                                 size_t buflen) {
  parley_router_t *r = inst->r;
  /* the newest value staged: in the batches on their way (oldest first;
   * only the loop links them), then the collecting one; else the journal */
  const char *found = NULL;
  for (const parley_batch_t *b = r->prep.head; b; b = b->next)
    found = staged_value(b, inst, key, found);
  found = staged_value(r->collect, inst, key, found);
  if (found)
    return copy_out(found, buf, buflen);
  if (!r->journal)
    return PARLEY_ENOENT;
  char *value = NULL;
  int rc = parley_journal_checkpoint_get(r->journal, inst->name, key, &value);
  if (rc == 0)
    rc = copy_out(value, buf, buflen);
  free(value);
  return rc;
}

int parley_router_commit_later(parley_router_t *r, parley_instance_t *inst,
                               parley_commit_cb cb, void *data) {
  parley_batch_t *b = collecting(r);
  if (cb) {
    if (!b || grow((void **)&b->cb, &b->cap_cb, b->n_cb + 1, sizeof *b->cb))
      return PARLEY_ENOMEM;
    b->cb[b->n_cb++] = (parley_pending_cb_t){inst, cb, data};
  }
  arm_commit(r);
  return 0;
}

/* After a successful commit: hand every new event to the outputs whose
 * routes match and to the embedder's callback. */
static void route_committed(parley_router_t *r, parley_batch_t *b, parley_journal_entry_t *e) {
  parley_pending_event_t *pend = b->ev;
  size_t n = b->n_ev;
  parley_blob_t **blobs = calloc(n ? n : 1, sizeof *blobs);
  parley_output_mask_t *masks = calloc(n ? n : 1, sizeof *masks);
  int64_t prev_last = r->last_seq, last = 0;
  size_t k = 0;
  for (size_t i = 0; blobs && masks && i < n; i++) {
    parley_instance_t *inst = pend[i].inst;
    if (e[i].duplicate) {
      (*inst->c_duplicate)++;
      continue;
    }
    (*inst->c_accepted)++;
    masks[k] = parley_route_match(r->cfg, r->outputs, r->n_outputs, pend[i].ev);
    if (!masks[k])
      (*r->c_unrouted)++;
    parley_care_live_event(r->care, pend[i].ev);
    if (r->on_event)
      r->on_event(r, pend[i].ev, r->on_event_data);
    parley_router_events_publish(r, pend[i].ev, e[i].seq, pend[i].json, pend[i].len);
    blobs[k] = parley_blob_new(e[i].seq, e[i].id, pend[i].json, pend[i].len);
    parley_backlog_add(&r->backlog, e[i].seq, e[i].received_ms, pend[i].len);
    last = e[i].seq;
    k++;
  }
  if (last > r->last_seq)
    r->last_seq = last;
  for (size_t o = 0; k && o < r->n_outputs; o++)
    parley_output_offer(r->outputs[o], blobs, masks, k, prev_last);
  for (size_t i = 0; i < k; i++)
    parley_blob_unref(blobs[i]);
  free(blobs);
  free(masks);
}

/* Free the events and checkpoints; keep the arrays for the next batch. */
static void batch_clear(parley_batch_t *b) {
  for (size_t i = 0; i < b->n_ev; i++) {
    parley_event_free(b->ev[i].ev);
    free(b->ev[i].json);
  }
  for (size_t i = 0; i < b->n_cp; i++) {
    free(b->cp[i].key);
    free(b->cp[i].value);
  }
  b->n_ev = b->n_cp = 0;
}

void parley_batch_free(parley_batch_t *b) {
  if (!b)
    return;
  batch_clear(b);
  free(b->ev);
  free(b->cp);
  free(b->cb);
  free(b);
}

static int journal_commit(parley_router_t *r, parley_batch_t *b, parley_journal_entry_t *e) {
  parley_journal_checkpoint_t *cps = calloc(b->n_cp ? b->n_cp : 1, sizeof *cps);
  if (!cps)
    return PARLEY_ENOMEM;
  for (size_t i = 0; i < b->n_ev; i++) {
    parley_pending_event_t *p = &b->ev[i];
    e[i] = (parley_journal_entry_t){.id = parley_event_id(p->ev),
                                    .instance = p->inst->name,
                                    .conversation = parley_event_conversation_id(p->ev),
                                    .json = p->json,
                                    .json_len = p->len};
  }
  for (size_t i = 0; i < b->n_cp; i++)
    cps[i] = (parley_journal_checkpoint_t){b->cp[i].inst->name, b->cp[i].key, b->cp[i].value};
  parley_error_t err = {0};
  int rc = parley_journal_commit(r->journal, e, b->n_ev, cps, b->n_cp, &err);
  if (rc) {
    r->commit_failures++;
    *r->c_rejected += b->n_ev;
    parley_log(PARLEY_LOG_ERROR, "journal", "commit of %zu events failed: %s", b->n_ev,
               err.message);
  }
  free(cps);
  return rc;
}

/* ---- preparing and completing a batch ---- */

void parley_router_prepare_batch(parley_router_t *r, parley_batch_t *b) {
  for (size_t i = 0; i < b->n_ev; i++) {
    parley_pending_event_t *p = &b->ev[i];
    if (r->enrich)
      parley_enrich_event(r->enrich, p->ev);
    if (parley_event_to_json(p->ev, &p->json, &p->len) != 0)
      p->json = NULL;
  }
}

/* Events the prepare step could not encode (enrichment made them invalid,
 * or memory ran out) are refused here, on the loop, with the reason. */
static void drop_unprepared(parley_router_t *r, parley_batch_t *b) {
  size_t k = 0;
  for (size_t i = 0; i < b->n_ev; i++) {
    parley_pending_event_t *p = &b->ev[i];
    if (p->json) {
      b->ev[k++] = *p;
      continue;
    }
    parley_error_t err = {0};
    int rc = parley_event_validate(p->ev, &err);
    (*p->inst->c_invalid)++;
    parley_log_instance(PARLEY_LOG_WARN, "connector", p->inst->name,
                        "event refused after enrichment: %s",
                        rc ? err.message : parley_strerror(PARLEY_ENOMEM));
    parley_event_free(p->ev);
  }
  b->n_ev = k;
  (void)r;
}

/* Callbacks may emit and ask for commits: that collects in r->collect and
 * is committed after this batch (committing is set meanwhile, so nested
 * calls do not commit further batches out of order). */
void parley_router_commit_batch(parley_router_t *r, parley_batch_t *b) {
  drop_unprepared(r, b);
  int rc = 0;
  if (b->n_ev || b->n_cp) {
    parley_journal_entry_t *e = calloc(b->n_ev ? b->n_ev : 1, sizeof *e);
    rc = e ? journal_commit(r, b, e) : PARLEY_ENOMEM;
    if (rc == 0)
      route_committed(r, b, e);
    free(e);
  }
  batch_clear(b);
  for (size_t i = 0; i < b->n_cb; i++)
    b->cb[i].cb(b->cb[i].inst, rc ? PARLEY_EIO : 0, b->cb[i].data);
  b->n_cb = 0;
}

void parley_router_commit_prepared(parley_router_t *r) {
  if (r->committing)
    return;
  r->committing = 1;
  parley_enrich_flush(r->enrich);
  parley_batch_t *b;
  while ((b = parley_prepare_pop(r)) != NULL) {
    parley_router_commit_batch(r, b);
    parley_prepare_recycle(r, b);
  }
  r->committing = 0;
  parley_router_update_pause(r);
  /* what callbacks added goes next turn; queued batches come by the async */
  const parley_batch_t *c = r->collect;
  if (c && (c->n_ev || c->n_cp || c->n_cb))
    arm_commit(r);
}

int parley_router_commit_pending(const parley_router_t *r) {
  const parley_batch_t *c = r->collect;
  return r->prep.head || r->committing || (c && (c->n_ev || c->n_cp || c->n_cb));
}

void parley_router_commit_now(parley_router_t *r) {
  parley_batch_t *c = r->collect;
  if (c && (c->n_ev || c->n_cp || c->n_cb)) {
    r->collect = NULL;
    parley_prepare_submit(r, c);
  }
  /* what needed no thread (checkpoints, callbacks) commits now, behind
   * anything already prepared */
  parley_router_commit_prepared(r);
}

void parley_router_commit_sync(parley_router_t *r) {
  parley_router_commit_now(r);
  parley_prepare_wait(r);
  parley_router_commit_prepared(r);
}
