/* parley core — the config document tree (node.h): nodes that remember
 * where they came from, shared by the YAML and JSON readers. */
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "parley/error.h"

void parley_node_free(parley_node_t *n) {
  if (!n)
    return;
  for (size_t i = 0; i < n->count; i++) {
    if (n->keys)
      free(n->keys[i]);
    parley_node_free(n->items[i]);
  }
  free(n->keys);
  free(n->items);
  free(n->value);
  free(n);
}

static parley_node_t *node_new(parley_node_type_t type) {
  parley_node_t *n = calloc(1, sizeof *n);
  if (n)
    n->type = type;
  return n;
}

parley_node_t *parley_node_new_scalar(const char *value) {
  parley_node_t *n = node_new(PARLEY_NODE_SCALAR);
  if (!n)
    return NULL;
  n->value = strdup(value ? value : "");
  if (!n->value) {
    free(n);
    return NULL;
  }
  /* Built in code, the value is exactly the given text: a string. */
  n->quoted = 1;
  return n;
}

parley_node_t *parley_node_new_seq(void) { return node_new(PARLEY_NODE_SEQ); }
parley_node_t *parley_node_new_map(void) { return node_new(PARLEY_NODE_MAP); }

const parley_node_t *parley_node_get(const parley_node_t *n, const char *key) {
  if (!n || n->type != PARLEY_NODE_MAP || !key)
    return NULL;
  for (size_t i = 0; i < n->count; i++)
    if (strcmp(n->keys[i], key) == 0)
      return n->items[i];
  return NULL;
}

/* Grow items (and keys for a map) by one slot. Capacity is not stored in
 * the node, so grow exactly; configs are small. */
static int node_grow(parley_node_t *p) {
  parley_node_t **items = realloc(p->items, (p->count + 1) * sizeof *items);
  if (!items)
    return PARLEY_ENOMEM;
  p->items = items;
  if (p->type == PARLEY_NODE_MAP) {
    char **keys = realloc(p->keys, (p->count + 1) * sizeof *keys);
    if (!keys)
      return PARLEY_ENOMEM;
    p->keys = keys;
  }
  return 0;
}

static int node_put_key(parley_node_t *parent, const char *key, parley_node_t *child) {
  for (size_t i = 0; i < parent->count; i++) {
    if (strcmp(parent->keys[i], key) == 0) {
      parley_node_free(parent->items[i]);
      parent->items[i] = child;
      return 0;
    }
  }
  char *k = strdup(key);
  if (!k || node_grow(parent) != 0) {
    free(k);
    parley_node_free(child);
    return PARLEY_ENOMEM;
  }
  parent->keys[parent->count] = k;
  parent->items[parent->count++] = child;
  return 0;
}

int parley_node_put(parley_node_t *parent, const char *key, parley_node_t *child) {
  if (!parent || !child || (parent->type == PARLEY_NODE_MAP) != (key != NULL) ||
      (parent->type != PARLEY_NODE_MAP && parent->type != PARLEY_NODE_SEQ)) {
    parley_node_free(child);
    return PARLEY_EINVAL;
  }
  if (key)
    return node_put_key(parent, key, child);
  if (node_grow(parent) != 0) {
    parley_node_free(child);
    return PARLEY_ENOMEM;
  }
  parent->items[parent->count++] = child;
  return 0;
}

parley_node_t *parley_node_clone(const parley_node_t *n) {
  if (!n)
    return NULL;
  parley_node_t *c = node_new(n->type);
  if (!c)
    return NULL;
  c->substituted = n->substituted;
  c->quoted = n->quoted;
  c->line = n->line;
  c->column = n->column;
  if (n->value && !(c->value = strdup(n->value)))
    goto fail;
  for (size_t i = 0; i < n->count; i++) {
    parley_node_t *item = parley_node_clone(n->items[i]);
    if (!item || parley_node_put(c, n->type == PARLEY_NODE_MAP ? n->keys[i] : NULL, item) != 0)
      goto fail;
  }
  return c;
fail:
  parley_node_free(c);
  return NULL;
}
