/* parley core — ingest: emitted events and staged checkpoints collect in
 * one pending batch that is committed to the journal in a single
 * transaction at the end of the loop turn (or when it is full), then routed. */
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

int parley_router_emit(parley_instance_t *inst, parley_event_t *ev) {
  parley_router_t *r = inst->r;
  parley_error_t err = {0};
  (*inst->c_emitted)++;
  inst->staged++;
  parley_event_set_connector(ev, inst->name);
  if (!parley_event_received_at(ev))
    parley_event_set_received_at(ev, parley_time_now());
  if (r->enrich)
    parley_enrich_event(r->enrich, ev);
  char *json = NULL;
  size_t len = 0;
  int rc = parley_event_validate(ev, &err);
  if (rc == 0)
    rc = parley_event_to_json(ev, &json, &len);
  if (rc == 0)
    rc = grow((void **)&r->pend, &r->cap_pend, r->n_pend + 1, sizeof *r->pend);
  if (rc) {
    (*inst->c_invalid)++;
    parley_log(PARLEY_LOG_WARN, inst->name, "event refused: %s",
               err.message[0] ? err.message : parley_strerror(rc));
    free(json);
    parley_event_free(ev);
    return rc == PARLEY_ENOMEM ? rc : PARLEY_EINVAL;
  }
  r->pend[r->n_pend++] = (parley_pending_event_t){inst, ev, json, len};
  remember_account(inst, parley_event_account(ev));
  if (r->n_pend >= PARLEY_BATCH_MAX)
    parley_router_commit_now(r);
  else
    arm_commit(r);
  return r->paused ? PARLEY_EBUSY : 0;
}

int parley_router_stage_checkpoint(parley_instance_t *inst, const char *key, const char *value) {
  parley_router_t *r = inst->r;
  if (!key || !value)
    return PARLEY_EINVAL;
  if (grow((void **)&r->pcp, &r->cap_pcp, r->n_pcp + 1, sizeof *r->pcp))
    return PARLEY_ENOMEM;
  parley_pending_cp_t cp = {inst, parley_strdup(key), parley_strdup(value)};
  if (!cp.key || !cp.value) {
    free(cp.key);
    free(cp.value);
    return PARLEY_ENOMEM;
  }
  r->pcp[r->n_pcp++] = cp;
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

int parley_router_get_checkpoint(parley_instance_t *inst, const char *key, char *buf,
                                 size_t buflen) {
  parley_router_t *r = inst->r;
  for (size_t i = r->n_pcp; i-- > 0;)
    if (r->pcp[i].inst == inst && strcmp(r->pcp[i].key, key) == 0)
      return copy_out(r->pcp[i].value, buf, buflen);
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
  if (cb) {
    if (grow((void **)&r->pcb, &r->cap_pcb, r->n_pcb + 1, sizeof *r->pcb))
      return PARLEY_ENOMEM;
    r->pcb[r->n_pcb++] = (parley_pending_cb_t){inst, cb, data};
  }
  arm_commit(r);
  return 0;
}

/* After a successful commit: hand every new event to the outputs whose
 * routes match and to the embedder's callback. */
static void route_committed(parley_router_t *r, parley_journal_entry_t *e, size_t n) {
  parley_blob_t **blobs = calloc(n ? n : 1, sizeof *blobs);
  parley_output_mask_t *masks = calloc(n ? n : 1, sizeof *masks);
  int64_t prev_last = r->last_seq, last = 0;
  size_t k = 0;
  for (size_t i = 0; blobs && masks && i < n; i++) {
    parley_instance_t *inst = r->pend[i].inst;
    if (e[i].duplicate) {
      (*inst->c_duplicate)++;
      continue;
    }
    (*inst->c_accepted)++;
    masks[k] = parley_route_match(r->cfg, r->outputs, r->n_outputs, r->pend[i].ev);
    if (!masks[k])
      (*r->c_unrouted)++;
    parley_care_live_event(r->care, r->pend[i].ev);
    if (r->on_event)
      r->on_event(r, r->pend[i].ev, r->on_event_data);
    blobs[k] = parley_blob_new(e[i].seq, e[i].id, r->pend[i].json, r->pend[i].len);
    parley_backlog_add(&r->backlog, e[i].seq, e[i].received_ms, r->pend[i].len);
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

void parley_router_clear_pending(parley_router_t *r) {
  for (size_t i = 0; i < r->n_pend; i++) {
    parley_event_free(r->pend[i].ev);
    free(r->pend[i].json);
  }
  for (size_t i = 0; i < r->n_pcp; i++) {
    free(r->pcp[i].key);
    free(r->pcp[i].value);
  }
  r->n_pend = r->n_pcp = 0;
}

static int journal_commit(parley_router_t *r, parley_journal_entry_t *e) {
  parley_journal_checkpoint_t *cps = calloc(r->n_pcp ? r->n_pcp : 1, sizeof *cps);
  if (!cps)
    return PARLEY_ENOMEM;
  for (size_t i = 0; i < r->n_pend; i++) {
    parley_pending_event_t *p = &r->pend[i];
    e[i] = (parley_journal_entry_t){.id = parley_event_id(p->ev),
                                    .instance = p->inst->name,
                                    .conversation = parley_event_conversation_id(p->ev),
                                    .json = p->json,
                                    .json_len = p->len};
  }
  for (size_t i = 0; i < r->n_pcp; i++)
    cps[i] = (parley_journal_checkpoint_t){r->pcp[i].inst->name, r->pcp[i].key, r->pcp[i].value};
  parley_error_t err = {0};
  int rc = parley_journal_commit(r->journal, e, r->n_pend, cps, r->n_pcp, &err);
  if (rc) {
    r->commit_failures++;
    *r->c_rejected += r->n_pend;
    parley_log(PARLEY_LOG_ERROR, "journal", "commit of %zu events failed: %s", r->n_pend,
               err.message);
  }
  free(cps);
  return rc;
}

int parley_router_commit_now(parley_router_t *r) {
  if (!r->n_pend && !r->n_pcp && !r->n_pcb)
    return 0;
  if (r->committing) {
    /* Called from a callback of this commit (an embedder stopping the
     * router from on_event): commit what it added on the next turn, so the
     * batch in hand is neither freed nor overtaken. */
    arm_commit(r);
    return 0;
  }
  r->committing = 1;
  parley_journal_entry_t *e = calloc(r->n_pend ? r->n_pend : 1, sizeof *e);
  int rc = e ? journal_commit(r, e) : PARLEY_ENOMEM;
  if (rc == 0)
    route_committed(r, e, r->n_pend);
  free(e);
  parley_router_clear_pending(r);
  /* Callbacks may emit and commit again: detach the list first. */
  parley_pending_cb_t *cbs = r->pcb;
  size_t ncb = r->n_pcb;
  r->pcb = NULL;
  r->n_pcb = r->cap_pcb = 0;
  for (size_t i = 0; i < ncb; i++)
    cbs[i].cb(cbs[i].inst, rc ? PARLEY_EIO : 0, cbs[i].data);
  free(cbs);
  r->committing = 0;
  parley_router_update_pause(r);
  return rc;
}
