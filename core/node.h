/* parley core — the parsed config document: a tree of nodes that remember
 * where they came from (file, line, column), shared by the YAML and JSON
 * readers so one validator serves both. Internal. */
#ifndef PARLEY_CORE_NODE_H
#define PARLEY_CORE_NODE_H

#include <stddef.h>

typedef enum {
  PARLEY_NODE_NULL = 0,
  PARLEY_NODE_SCALAR,
  PARLEY_NODE_SEQ,
  PARLEY_NODE_MAP,
} parley_node_type_t;

typedef struct parley_node {
  parley_node_type_t type;
  char *value;         /* SCALAR: text after ${...} substitution */
  int substituted;     /* value came (partly) from ${ENV} or ${file:}: never print it */
  int quoted;          /* SCALAR was quoted in the source (a string, never null/bool) */
  int line, column;    /* 1-based position in the source */
  size_t count;        /* SEQ/MAP: number of items */
  char **keys;         /* MAP: keys[i] names items[i] */
  struct parley_node **items;
} parley_node_t;

/* Free a node and its children. NULL is fine. */
void parley_node_free(parley_node_t *n);
/* Deep copy; NULL when out of memory. */
parley_node_t *parley_node_clone(const parley_node_t *n);
/* Map lookup; NULL if n is not a map or has no such key. */
const parley_node_t *parley_node_get(const parley_node_t *n, const char *key);
/* New nodes for building in code (line 0 = "built in code"). */
parley_node_t *parley_node_new_scalar(const char *value);
parley_node_t *parley_node_new_seq(void);
parley_node_t *parley_node_new_map(void);
/* Append to a SEQ (key NULL) or set in a MAP (replacing an existing key).
 * Takes ownership of child in every case. */
int parley_node_put(parley_node_t *parent, const char *key, parley_node_t *child);

#endif
