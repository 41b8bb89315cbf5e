/* parley-sim — the scenario: load the file, then put its accounts, tokens,
 * customers and timeline into the store. Timeline items with a positive
 * "at" (seconds after start) are created when they come due, as if
 * customers wrote them then. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_week.h"

json_t *parley_sim_scenario_load(const char *path, parley_error_t *err) {
  json_error_t je;
  json_t *s = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (!s) {
    if (je.line < 1) /* not a syntax error: the file could not be read */
      parley_error_set(err, PARLEY_EIO, "%s: %s", path, je.text);
    else
      parley_error_set(err, PARLEY_EPARSE, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    return NULL;
  }
  if (!json_is_object(s)) {
    json_decref(s);
    parley_error_set(err, PARLEY_EPARSE, "%s: the scenario must be a JSON object", path);
    return NULL;
  }
  const char *keys[] = {"platforms", "users", "items"};
  for (size_t i = 0; i < 3; i++) {
    json_t *v = json_object_get(s, keys[i]);
    int want_object = i == 0;
    if (v && (want_object ? !json_is_object(v) : !json_is_array(v))) {
      json_decref(s);
      parley_error_set(err, PARLEY_EPARSE, "%s: '%s' must be %s", path, keys[i],
                       want_object ? "an object" : "an array");
      return NULL;
    }
  }
  json_t *week = json_object_get(s, "week");
  if (week && !json_is_object(week)) {
    json_decref(s);
    parley_error_set(err, PARLEY_EPARSE, "%s: 'week' must be an object", path);
    return NULL;
  }
  return s;
}

static int parley_sim_ref_eq(json_t *item, void *data) {
  const char *ref = json_string_value(json_object_get(item, "ref"));
  return ref && !strcmp(ref, data);
}

/* Turn the scenario's conveniences into store keys: "author" / "recipient"
 * handles into author_id / recipient_id, "parent_ref" into parent_id,
 * "at" (seconds relative to start) into created_ms. */
int parley_sim_item_resolve(parley_sim_t *sim, json_t *item, parley_error_t *err) {
  const char *platform = json_string_value(json_object_get(item, "platform"));
  const char *names[][2] = {{"author", "author_id"}, {"recipient", "recipient_id"}};
  for (size_t i = 0; i < 2; i++) {
    const char *handle = json_string_value(json_object_get(item, names[i][0]));
    if (!handle || json_object_get(item, names[i][1])) continue;
    json_t *u = parley_sim_user_by_handle(sim, platform, handle);
    if (!u) return parley_error_set(err, PARLEY_EINVAL, "%s '%s' is not a known %s user",
                                    names[i][0], handle, platform ? platform : "(no platform)");
    json_object_set(item, names[i][1], json_object_get(u, "id"));
  }
  const char *pref = json_string_value(json_object_get(item, "parent_ref"));
  if (pref && !json_object_get(item, "parent_id")) {
    parley_sim_filter_t f = {.platform = platform, .include_hidden = 1, .include_deleted = 1,
                             .match = parley_sim_ref_eq, .match_data = (void *)pref};
    json_t *found = parley_sim_items(sim, &f);
    json_t *parent = json_array_get(found, 0);
    if (parent) json_object_set(item, "parent_id", json_object_get(parent, "id"));
    json_decref(found);
    if (!parent)
      return parley_error_set(err, PARLEY_EINVAL, "parent_ref '%s' names no earlier item", pref);
  }
  /* other "<name>_ref" members (e.g. retweet_of_ref) become "<name>" */
  const char *key;
  json_t *val;
  void *tmp;
  json_object_foreach_safe(item, tmp, key, val) {
    size_t kl = strlen(key);
    char name[64];
    if (kl < 5 || kl - 4 >= sizeof name || strcmp(key + kl - 4, "_ref") || !strcmp(key, "parent_ref") ||
        !json_is_string(val))
      continue;
    snprintf(name, sizeof name, "%.*s", (int)(kl - 4), key);
    parley_sim_filter_t f = {.platform = platform, .include_hidden = 1, .include_deleted = 1,
                             .match = parley_sim_ref_eq, .match_data = (void *)json_string_value(val)};
    json_t *found = parley_sim_items(sim, &f);
    json_t *target = json_array_get(found, 0);
    if (target && !json_object_get(item, name)) json_object_set(item, name, json_object_get(target, "id"));
    json_decref(found);
    if (!target)
      return parley_error_set(err, PARLEY_EINVAL, "%s '%s' names no earlier item", key,
                              json_string_value(val));
  }
  json_t *at = json_object_get(item, "at");
  if (json_is_number(at) && !json_object_get(item, "created_ms")) {
    double ms = (double)sim->start_ms + json_number_value(at) * 1000.0;
    json_object_set_new(item, "created_ms", json_integer((json_int_t)(ms < 0 ? 0 : ms)));
  }
  return 0;
}

static void parley_sim_due(parley_sim_t *sim, parley_sim_timer_t *t, void *data) {
  json_t *item = json_incref(data), *sched = parley_sim_in(sim)->scheduled;
  parley_error_t err = {0};
  size_t i;
  json_t *v;
  parley_sim_timer_stop(t);
  json_array_foreach(sched, i, v) if (v == item) {
    json_array_remove(sched, i);
    break;
  }
  json_object_del(item, "created_ms"); /* created now, when it comes due */
  if (parley_sim_item_resolve(sim, item, &err) != 0 ||
      !parley_sim_item_add(sim, json_incref(item), &err))
    parley_sim_log(sim, "scenario: timeline item: %s", err.message);
  json_decref(item);
}

static int parley_sim_apply_platforms(parley_sim_t *sim, parley_error_t *err) {
  const char *name;
  json_t *part;
  json_object_foreach(json_object_get(sim->scenario, "platforms"), name, part) {
    size_t i;
    json_t *t;
    if (!parley_sim_platform(sim, name)) continue; /* not compiled in */
    json_t *acct = parley_sim_account(sim, name);
    if (acct && json_is_string(json_object_get(acct, "id"))) {
      json_t *u = json_deep_copy(acct);
      json_object_set_new(u, "platform", json_string(name));
      json_object_set_new(u, "brand", json_true());
      int rc = parley_sim_user_add(sim, u, err);
      if (rc != 0) return rc;
    }
    json_array_foreach(json_object_get(part, "tokens"), i, t) {
      json_t *exp = json_object_get(t, "expires_in");
      const char *tok = json_string_value(json_object_get(t, "token"));
      if (!tok)
        return parley_error_set(err, PARLEY_EINVAL,
                                "scenario: platforms.%s.tokens[%zu]: 'token' must be a string",
                                name, i);
      parley_sim_token_add(sim, name, tok, json_string_value(json_object_get(t, "kind")),
                           json_string_value(json_object_get(t, "scopes")),
                           json_string_value(json_object_get(t, "user_id")),
                           json_is_integer(exp) ? (uint64_t)json_integer_value(exp) : 0);
    }
  }
  return 0;
}

static int parley_sim_apply_users(parley_sim_t *sim, parley_error_t *err) {
  size_t i;
  json_t *u;
  json_array_foreach(json_object_get(sim->scenario, "users"), i, u) {
    parley_error_t e = {0};
    if (!parley_sim_platform(sim, json_string_value(json_object_get(u, "platform")))) continue;
    if (parley_sim_user_add(sim, json_deep_copy(u), &e) != 0)
      return parley_error_set(err, e.code, "scenario: users[%zu]: %s", i, e.message);
  }
  return 0;
}

static int parley_sim_at_cmp(const void *a, const void *b) {
  double x = json_number_value(json_object_get(*(json_t *const *)a, "at"));
  double y = json_number_value(json_object_get(*(json_t *const *)b, "at"));
  return x < y ? -1 : x > y;
}

/* Items in timeline order, so ids grow with time as on the platforms. */
static int parley_sim_apply_items(parley_sim_t *sim, parley_error_t *err) {
  json_t *items = json_object_get(sim->scenario, "items");
  size_t n = json_array_size(items), i;
  json_t **v = calloc(n ? n : 1, sizeof *v);
  int rc = 0;
  if (!v) return parley_error_set(err, PARLEY_ENOMEM, "scenario: out of memory");
  for (i = 0; i < n; i++) v[i] = json_array_get(items, i);
  /* qsort is not stable; equal "at" keep file order through the index. */
  for (i = 0; i < n; i++) json_object_set_new(v[i], "_order", json_integer((json_int_t)i));
  qsort(v, n, sizeof *v, parley_sim_at_cmp);
  for (i = 0; i < n && rc == 0; i++) {
    json_t *item = json_deep_copy(v[i]);
    parley_error_t e = {0};
    size_t idx = (size_t)json_integer_value(json_object_get(item, "_order"));
    json_object_del(item, "_order");
    if (!json_is_object(item)) {
      rc = parley_error_set(err, PARLEY_EINVAL, "scenario: items[%zu]: not an object", idx);
    } else if (!parley_sim_platform(sim, json_string_value(json_object_get(item, "platform")))) {
      /* a platform not compiled in: skipped, not an error */
    } else if (json_number_value(json_object_get(item, "at")) > 0) {
      uint64_t ms = (uint64_t)(json_number_value(json_object_get(item, "at")) * 1000.0);
      /* The list owns it until due; the timer only points at it. */
      json_array_append(parley_sim_in(sim)->scheduled, item);
      parley_sim_timer_start(sim, ms, 0, parley_sim_due, item);
    } else if (parley_sim_item_resolve(sim, item, &e) != 0 ||
               !parley_sim_item_add(sim, json_incref(item), &e)) {
      rc = parley_error_set(err, e.code ? e.code : PARLEY_EINVAL, "scenario: items[%zu]: %s",
                            idx, e.message);
    }
    json_decref(item);
  }
  for (i = 0; i < n; i++) json_object_del(v[i], "_order");
  free(v);
  return rc;
}

int parley_sim_scenario_apply(parley_sim_t *sim, parley_error_t *err) {
  int rc = parley_sim_apply_platforms(sim, err);
  if (rc == 0) rc = parley_sim_apply_users(sim, err);
  if (rc == 0) rc = parley_sim_apply_items(sim, err);
  if (rc == 0) rc = parley_sim_week_apply(sim, err);
  return rc;
}
