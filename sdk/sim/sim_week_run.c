/* parley-sim — delivering a generated week (sim_week.h).
 *
 * "history": every item is in the store from the start, as if the week had
 * happened before the simulator started (its API shows it at once).
 * "replay": the items are created at run time, in time order, replay_rate
 * per second, each with its backdated created_ms — as if the week were
 * fast-forwarded. Platforms push them to streams and webhooks as they come,
 * and polling connectors see them as new (ids grow): the way to bring a
 * week into parleyd, whose connectors read only their newest page on a
 * first run (docs/connectors/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/time.h"
#include "sim_week.h"

static parley_week_t *parley_week_of(parley_sim_t *sim) {
  return sim->internal ? parley_sim_in(sim)->week : NULL;
}

/* Add one entry: its parent's id (assigned when the parent was added,
 * always earlier in time order) becomes parent_id. */
static int parley_week_add(parley_sim_t *sim, parley_week_entry_t *e, parley_error_t *err) {
  if (e->parent) {
    const char *pid = json_string_value(json_object_get(e->parent->item, "id"));
    if (!e->parent->added || !pid)
      return parley_error_set(err, PARLEY_EINVAL, "week: an item's parent was not added");
    json_object_set_new(e->item, "parent_id", json_string(pid));
  }
  /* Webhooks report this item's time as the time of the change. */
  sim->event_ms = (uint64_t)e->ms;
  json_t *stored = parley_sim_item_add(sim, e->item, err);
  sim->event_ms = 0;
  e->added = 1;
  e->item = stored; /* borrowed from the store from now on */
  if (!stored) return err->code ? err->code : PARLEY_EINVAL;
  parley_week_t *w = parley_week_of(sim);
  w->delivered++;
  return 0;
}

static void parley_week_tick(parley_sim_t *sim, parley_sim_timer_t *t, void *data) {
  parley_week_t *w = data;
  uint64_t elapsed = uv_now(sim->loop) - w->replay_t0;
  size_t due = (size_t)(w->cfg.replay_rate * (double)elapsed / 1000.0) + 1;
  /* bounded per tick, so requests are served while a fast replay runs */
  for (unsigned n = 0; w->delivered < w->n && w->delivered < due && n < 500; n++) {
    parley_error_t err = {0};
    parley_week_entry_t *e = w->seq[w->delivered];
    if (parley_week_add(sim, e, &err) != 0) {
      parley_sim_log(sim, "week: item %zu: %s", w->delivered, err.message);
      w->delivered++;
    }
  }
  if (w->delivered >= w->n) {
    w->state = PARLEY_WEEK_DONE;
    w->timer = NULL;
    parley_sim_timer_stop(t);
    parley_sim_log(sim, "week: replay done, %zu items", w->n);
  }
}

static void parley_week_begin(parley_sim_t *sim, parley_sim_timer_t *t, void *data) {
  parley_week_t *w = data;
  if (t) parley_sim_timer_stop(t);
  uv_update_time(sim->loop);
  w->replay_t0 = uv_now(sim->loop);
  w->state = PARLEY_WEEK_REPLAYING;
  w->timer = parley_sim_timer_start(sim, 0, 10, parley_week_tick, w);
}

int parley_sim_week_start(parley_sim_t *sim) {
  parley_week_t *w = parley_week_of(sim);
  if (!w) return PARLEY_ENOENT;
  if (w->state != PARLEY_WEEK_WAITING) return PARLEY_ESTATE;
  if (w->timer) parley_sim_timer_stop(w->timer);
  w->timer = NULL;
  parley_week_begin(sim, NULL, w);
  return 0;
}

/* The directory of the scenario file, for relative week.texts. */
static char *parley_week_scenario_dir(parley_sim_t *sim) {
  const char *path = sim->config.scenario_path;
  const char *slash = path ? strrchr(path, '/') : NULL;
  char *dir = NULL;
  if (!path) return NULL;
  if (!slash) return strdup(".");
  if ((dir = malloc((size_t)(slash - path) + 2))) {
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    if (slash == path) strcpy(dir, "/");
  }
  return dir;
}

static int parley_week_setup(parley_sim_t *sim, parley_week_t *w, json_t *spec, parley_error_t *err) {
  char *dir = parley_week_scenario_dir(sim), *texts = NULL;
  int rc = parley_week_config(sim, spec, dir, &w->cfg, &texts, err);
  free(dir);
  if (rc == 0) rc = parley_week_texts_load(w, texts, err);
  free(texts);
  if (rc == 0) rc = parley_week_generate(sim, w, err);
  return rc;
}

int parley_sim_week_apply(parley_sim_t *sim, parley_error_t *err) {
  json_t *spec = json_object_get(sim->scenario, "week");
  if (!spec) return 0;
  parley_week_t *w = calloc(1, sizeof *w);
  if (!w) return parley_error_set(err, PARLEY_ENOMEM, "week: out of memory");
  parley_sim_in(sim)->week = w;
  int rc = parley_week_setup(sim, w, spec, err);
  if (rc) return rc;
  if (!w->cfg.replay) {
    w->state = PARLEY_WEEK_HISTORY;
    for (size_t i = 0; i < w->n && rc == 0; i++) rc = parley_week_add(sim, w->seq[i], err);
    return rc ? parley_error_set(err, rc, "scenario: week: %s", err->message) : 0;
  }
  w->state = PARLEY_WEEK_WAITING;
  if (w->cfg.replay_start_s >= 0)
    w->timer = parley_sim_timer_start(sim, (uint64_t)(w->cfg.replay_start_s * 1000.0), 0,
                                      parley_week_begin, w);
  return 0;
}

void parley_sim_week_free(parley_sim_t *sim) {
  parley_week_t *w = parley_week_of(sim);
  if (!w) return;
  for (size_t i = 0; i < w->n; i++)
    if (!w->pool[i].added) json_decref(w->pool[i].item);
  free(w->pool);
  free(w->seq);
  for (int p = 0; p < PARLEY_WEEK_NPLAT; p++) json_decref(w->customers[p]);
  json_decref(w->counts);
  parley_week_texts_free(w);
  free(w);
  parley_sim_in(sim)->week = NULL;
}

json_t *parley_sim_week_status(parley_sim_t *sim) {
  static const char *const states[] = {"history", "waiting", "replaying", "done"};
  char a[PARLEY_TIME_MAX], b[PARLEY_TIME_MAX];
  parley_week_t *w = parley_week_of(sim);
  if (!w) return NULL;
  parley_time_format(w->cfg.start_ms, a, sizeof a);
  parley_time_format(w->cfg.end_ms, b, sizeof b);
  json_t *langs = json_object();
  for (size_t i = 0; i < w->cfg.nlangs; i++)
    json_object_set_new(langs, w->cfg.langs[i], json_real(w->cfg.lang_w[i]));
  return json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:f,s:O,s:o,s:f,s:f,s:f,s:I}", "state",
                   states[w->state], "start", a, "end", b, "start_ms", (json_int_t)w->cfg.start_ms,
                   "end_ms", (json_int_t)w->cfg.end_ms, "items", (json_int_t)w->n, "delivered",
                   (json_int_t)w->delivered, "days", w->cfg.days, "per_platform", w->counts,
                   "languages", langs, "messages_per_day", w->cfg.per_day, "replay_rate",
                   w->cfg.replay_rate, "reply_share", w->cfg.reply_share, "seed",
                   (json_int_t)w->cfg.seed);
}
