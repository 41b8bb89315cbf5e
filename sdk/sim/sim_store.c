/* parley-sim — the store: items and users of every platform as JSON
 * objects, ids per platform, queries newest first. Items are kept per
 * platform in id order, so a query walks from its newest bound down and
 * stops at its oldest bound or limit: polls stay cheap while a load test
 * fills the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim_internal.h"

#define PARLEY_SIM_DEFAULT_ID_BASE 1000000u

typedef struct parley_sim_idgen {
  char platform[32];
  uint64_t base;
  uint64_t seq;
} parley_sim_idgen_t;

struct parley_sim_store {
  json_t *items;      /* platform -> array of items, oldest (smallest id) first */
  json_t *item_index; /* "platform:id" -> item */
  json_t *brand_roots; /* platform -> newest brand item without parent */
  json_t *users;      /* array */
  json_t *user_index; /* "platform:id" -> user */
  parley_sim_idgen_t ids[PARLEY_SIM_MAX_PLATFORMS];
  size_t nids;
};

int parley_sim_store_new(parley_sim_store_t **out) {
  parley_sim_store_t *s = calloc(1, sizeof *s);
  if (!s) return PARLEY_ENOMEM;
  s->items = json_object();
  s->item_index = json_object();
  s->brand_roots = json_object();
  s->users = json_array();
  s->user_index = json_object();
  if (!s->items || !s->item_index || !s->brand_roots || !s->users || !s->user_index) {
    parley_sim_store_free(s);
    return PARLEY_ENOMEM;
  }
  *out = s;
  return 0;
}

void parley_sim_store_free(parley_sim_store_t *s) {
  if (!s) return;
  json_decref(s->items);
  json_decref(s->item_index);
  json_decref(s->brand_roots);
  json_decref(s->users);
  json_decref(s->user_index);
  free(s);
}

static parley_sim_idgen_t *parley_sim_idgen(parley_sim_store_t *s, const char *platform) {
  for (size_t i = 0; i < s->nids; i++)
    if (!strcmp(s->ids[i].platform, platform)) return &s->ids[i];
  if (s->nids == PARLEY_SIM_MAX_PLATFORMS) return NULL;
  parley_sim_idgen_t *g = &s->ids[s->nids++];
  snprintf(g->platform, sizeof g->platform, "%s", platform);
  g->base = PARLEY_SIM_DEFAULT_ID_BASE;
  return g;
}

void parley_sim_id_base(parley_sim_t *sim, const char *platform, uint64_t base) {
  parley_sim_idgen_t *g = parley_sim_idgen(sim->store, platform);
  if (g) g->base = base;
}

const char *parley_sim_next_id(parley_sim_t *sim, const char *platform, char *buf, size_t len) {
  parley_sim_idgen_t *g = parley_sim_idgen(sim->store, platform);
  uint64_t v = g ? g->base + ++g->seq : parley_sim_random(sim) >> 8;
  snprintf(buf, len, "%llu", (unsigned long long)v);
  return buf;
}

int parley_sim_id_cmp(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  /* Leading zeros do not occur in platform ids; length decides first. */
  if (la != lb) return la < lb ? -1 : 1;
  return strcmp(a, b);
}

static void parley_sim_key(char *buf, size_t len, const char *platform, const char *id) {
  snprintf(buf, len, "%s:%s", platform, id);
}

json_t *parley_sim_item_find(parley_sim_t *sim, const char *platform, const char *id) {
  char key[256];
  if (!platform || !id) return NULL;
  parley_sim_key(key, sizeof key, platform, id);
  return json_object_get(sim->store->item_index, key);
}

static const char *parley_sim_str(json_t *o, const char *k) {
  return json_string_value(json_object_get(o, k));
}

/* Fill the keys every item has; see sim.h for the rules. */
static void parley_sim_item_defaults(parley_sim_t *sim, json_t *item, const char *platform) {
  char id[32];
  if (!json_is_string(json_object_get(item, "id")))
    json_object_set_new(item, "id", json_string(parley_sim_next_id(sim, platform, id, sizeof id)));
  if (!json_is_integer(json_object_get(item, "created_ms")))
    json_object_set_new(item, "created_ms", json_integer((json_int_t)parley_sim_now_ms()));
  if (!json_is_string(json_object_get(item, "conversation_id"))) {
    const char *parent = parley_sim_str(item, "parent_id");
    json_t *p = parley_sim_item_find(sim, platform, parent);
    const char *conv = p ? parley_sim_str(p, "conversation_id") : NULL;
    if (!conv) conv = parent ? parent : parley_sim_str(item, "id");
    json_object_set_new(item, "conversation_id", json_string(conv));
  }
  json_t *acct = parley_sim_account(sim, platform);
  if (!json_is_string(json_object_get(item, "account_id")) && parley_sim_str(acct, "id"))
    json_object_set_new(item, "account_id", json_string(parley_sim_str(acct, "id")));
  if (!json_is_boolean(json_object_get(item, "hidden")))
    json_object_set_new(item, "hidden", json_false());
  if (!json_is_boolean(json_object_get(item, "from_brand"))) {
    const char *author = parley_sim_str(item, "author_id");
    const char *brand = parley_sim_str(acct, "id");
    json_object_set_new(item, "from_brand",
                        json_boolean(author && brand && !strcmp(author, brand)));
  }
}

/* Index of the first item of list whose id is greater than id. */
static size_t parley_sim_after(json_t *list, const char *id) {
  size_t lo = 0, hi = json_array_size(list);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (parley_sim_id_cmp(parley_sim_str(json_array_get(list, mid), "id"), id) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Index of the first item of list whose id is not smaller than id. */
static size_t parley_sim_from(json_t *list, const char *id) {
  size_t lo = 0, hi = json_array_size(list);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (parley_sim_id_cmp(parley_sim_str(json_array_get(list, mid), "id"), id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

json_t *parley_sim_item_add(parley_sim_t *sim, json_t *item, parley_error_t *err) {
  char key[256];
  if (!json_is_object(item)) {
    json_decref(item);
    parley_error_set(err, PARLEY_EINVAL, "item: must be a JSON object");
    return NULL;
  }
  const char *platform = parley_sim_str(item, "platform");
  const parley_sim_platform_t *p = parley_sim_platform(sim, platform);
  if (!p) {
    parley_error_set(err, PARLEY_EINVAL, "item: platform '%s' is not served by this simulator",
                     platform ? platform : "(missing)");
    json_decref(item);
    return NULL;
  }
  parley_sim_item_defaults(sim, item, platform);
  parley_sim_key(key, sizeof key, platform, parley_sim_str(item, "id"));
  if (json_object_get(sim->store->item_index, key)) {
    parley_error_set(err, PARLEY_EDUP, "item: %s id '%s' exists already", platform,
                     parley_sim_str(item, "id"));
    json_decref(item);
    return NULL;
  }
  json_t *list = json_object_get(sim->store->items, platform);
  if (!list) {
    list = json_array();
    json_object_set_new(sim->store->items, platform, list);
  }
  /* Ids usually grow, so this is an append; explicit ids may land earlier. */
  json_array_insert_new(list, parley_sim_after(list, parley_sim_str(item, "id")), item);
  json_object_set(sim->store->item_index, key, item);
  json_t *root = json_object_get(sim->store->brand_roots, platform);
  if (json_is_true(json_object_get(item, "from_brand")) && !json_is_string(json_object_get(item, "parent_id")) &&
      (!root || parley_sim_id_cmp(parley_sim_str(item, "id"), parley_sim_str(root, "id")) > 0))
    json_object_set(sim->store->brand_roots, platform, item);
  if (sim->running && p->on_item) p->on_item(sim, item);
  return item;
}

static int parley_sim_eq(json_t *item, const char *k, const char *want) {
  if (!want) return 1;
  const char *v = parley_sim_str(item, k);
  return v && !strcmp(v, want);
}

static int parley_sim_filter_match(json_t *item, const parley_sim_filter_t *f) {
  const char *id = parley_sim_str(item, "id");
  if (!parley_sim_eq(item, "platform", f->platform) || !parley_sim_eq(item, "type", f->type) ||
      !parley_sim_eq(item, "account_id", f->account_id) ||
      !parley_sim_eq(item, "author_id", f->author_id) ||
      !parley_sim_eq(item, "conversation_id", f->conversation_id) ||
      !parley_sim_eq(item, "parent_id", f->parent_id))
    return 0;
  if (!f->include_hidden && json_is_true(json_object_get(item, "hidden"))) return 0;
  if (!f->include_deleted && json_is_true(json_object_get(item, "deleted"))) return 0;
  if (f->newer_than && parley_sim_id_cmp(id, f->newer_than) <= 0) return 0;
  if (f->older_than && parley_sim_id_cmp(id, f->older_than) >= 0) return 0;
  return f->match ? f->match(item, f->match_data) : 1;
}

/* Append the matches of one platform's list to out, newest first. */
static void parley_sim_scan(json_t *list, const parley_sim_filter_t *f, json_t *out) {
  size_t i = f->older_than ? parley_sim_from(list, f->older_than) : json_array_size(list);
  while (i-- > 0) {
    json_t *item = json_array_get(list, i);
    if (f->newer_than && parley_sim_id_cmp(parley_sim_str(item, "id"), f->newer_than) <= 0) break;
    if (!parley_sim_filter_match(item, f)) continue;
    json_array_append(out, item);
    if (f->limit && json_array_size(out) >= f->limit) break;
  }
}

static int parley_sim_name_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *parley_sim_items(parley_sim_t *sim, const parley_sim_filter_t *f) {
  json_t *out = json_array();
  if (!out) return NULL;
  if (f->platform) {
    json_t *list = json_object_get(sim->store->items, f->platform);
    if (list) parley_sim_scan(list, f, out);
    return out;
  }
  /* every platform, in name order */
  const char *names[PARLEY_SIM_MAX_PLATFORMS * 2], *name;
  size_t n = 0;
  json_t *list;
  json_object_foreach(sim->store->items, name, list) if (n < sizeof names / sizeof names[0]) names[n++] = name;
  qsort(names, n, sizeof names[0], parley_sim_name_cmp);
  for (size_t i = 0; i < n && (!f->limit || json_array_size(out) < f->limit); i++)
    parley_sim_scan(json_object_get(sim->store->items, names[i]), f, out);
  return out;
}

int parley_sim_user_add(parley_sim_t *sim, json_t *user, parley_error_t *err) {
  char key[256];
  const char *platform = parley_sim_str(user, "platform"), *id = parley_sim_str(user, "id");
  if (!json_is_object(user) || !platform || !id) {
    json_decref(user);
    return parley_error_set(err, PARLEY_EINVAL, "user: needs string members platform and id");
  }
  parley_sim_key(key, sizeof key, platform, id);
  if (json_object_get(sim->store->user_index, key)) {
    json_decref(user);
    return parley_error_set(err, PARLEY_EDUP, "user: %s id '%s' exists already", platform, id);
  }
  json_array_append_new(sim->store->users, user);
  json_object_set(sim->store->user_index, key, user);
  return 0;
}

json_t *parley_sim_user_find(parley_sim_t *sim, const char *platform, const char *id) {
  char key[256];
  if (!platform || !id) return NULL;
  parley_sim_key(key, sizeof key, platform, id);
  return json_object_get(sim->store->user_index, key);
}

json_t *parley_sim_user_by_handle(parley_sim_t *sim, const char *platform, const char *handle) {
  size_t i;
  json_t *u;
  if (!handle) return NULL;
  if (handle[0] == '@') handle++;
  json_array_foreach(sim->store->users, i, u) {
    const char *h = parley_sim_str(u, "handle");
    if (parley_sim_eq(u, "platform", platform) && h && !strcasecmp(h[0] == '@' ? h + 1 : h, handle))
      return u;
  }
  return NULL;
}

json_t *parley_sim_users(parley_sim_t *sim, const char *platform) {
  json_t *out = json_array(), *u;
  size_t i;
  json_array_foreach(sim->store->users, i, u) {
    if (parley_sim_eq(u, "platform", platform) && !json_is_true(json_object_get(u, "brand")))
      json_array_append(out, u);
  }
  return out;
}

json_t *parley_sim_store_brand_root(parley_sim_t *sim, const char *platform) {
  return json_object_get(sim->store->brand_roots, platform);
}
