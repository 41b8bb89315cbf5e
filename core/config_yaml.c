/* parley core — YAML reader: libyaml's event parser turned into a node tree
 * (node.h) that keeps each node's line and column, with ${...} substituted
 * in scalar values.
 *
 * The event API (not yaml_parser_load) is used so that every node gets its
 * own position and so aliases can be refused: a config is read by people,
 * and "&defaults / *defaults" indirection hides where a value came from.
 * Only one document per file. Duplicate keys are errors (libyaml allows
 * them; silently keeping the last one hides typos). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "config.h"

/* Deeper nesting is surely a mistake, and bounds the recursion of the
 * tree's free/clone. */
#define PARLEY_YAML_MAX_DEPTH 64

typedef struct {
  parley_node_t *node;  /* SEQ or MAP being filled */
  char *key;            /* MAP: key read, value not yet */
  yaml_mark_t key_mark; /* where that key starts */
} parley_yframe_t;

typedef struct {
  const char *name;
  parley_error_t *err;
  parley_yframe_t stack[PARLEY_YAML_MAX_DEPTH];
  int depth;
  parley_node_t *root;
  int documents;
} parley_ybuild_t;

/* Key path of the value being read: "connectors[0].options.token". */
static void yb_path(const parley_ybuild_t *b, char *buf, size_t size) {
  size_t n = 0;
  buf[0] = '\0';
  for (int i = 0; i < b->depth && n < size; i++) {
    const parley_yframe_t *f = &b->stack[i];
    int w;
    if (f->node->type == PARLEY_NODE_SEQ)
      w = snprintf(buf + n, size - n, "[%zu]", f->node->count);
    else if (f->key)
      w = snprintf(buf + n, size - n, "%s%s", n ? "." : "", f->key);
    else
      break; /* a map still reading its key: the path ends at the map */
    if (w < 0)
      return;
    n += (size_t)w;
  }
}

static int yb_fail_code(parley_ybuild_t *b, int code, const yaml_mark_t *m, const char *what) {
  char path[256];
  yb_path(b, path, sizeof path);
  if (path[0])
    return parley_error_set(b->err, code, "%s:%zu:%zu: %s: %s", b->name,
                            m->line + 1, m->column + 1, path, what);
  return parley_error_set(b->err, code, "%s:%zu:%zu: %s", b->name, m->line + 1, m->column + 1,
                          what);
}

static int yb_fail(parley_ybuild_t *b, const yaml_mark_t *m, const char *what) {
  return yb_fail_code(b, PARLEY_EPARSE, m, what);
}

/* Attach a finished node to the open collection (or make it the root). */
static int yb_attach(parley_ybuild_t *b, parley_node_t *n) {
  if (b->depth == 0) {
    b->root = n;
    return 0;
  }
  parley_yframe_t *f = &b->stack[b->depth - 1];
  if (f->node->type == PARLEY_NODE_SEQ)
    return parley_node_put(f->node, NULL, n);
  char *key = f->key;
  f->key = NULL;
  int rc = parley_node_put(f->node, key, n);
  free(key);
  return rc;
}

/* In a MAP frame waiting for a key, a scalar is that key. */
static int yb_wants_key(const parley_ybuild_t *b) {
  if (b->depth == 0)
    return 0;
  const parley_yframe_t *f = &b->stack[b->depth - 1];
  return f->node->type == PARLEY_NODE_MAP && f->key == NULL;
}

static int yb_key(parley_ybuild_t *b, const yaml_event_t *ev) {
  const char *k = (const char *)ev->data.scalar.value;
  parley_yframe_t *f = &b->stack[b->depth - 1];
  if (parley_node_get(f->node, k)) {
    char what[200];
    snprintf(what, sizeof what, "duplicate key '%.120s'", k);
    /* the path names the map; the key is in the message */
    return yb_fail(b, &ev->start_mark, what);
  }
  if (!(f->key = strdup(k)))
    return PARLEY_ENOMEM;
  f->key_mark = ev->start_mark;
  return 0;
}

static int yb_is_null(const yaml_event_t *ev) {
  const char *v = (const char *)ev->data.scalar.value;
  if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    return 0;
  return v[0] == '\0' || strcmp(v, "~") == 0 || strcasecmp(v, "null") == 0;
}

static int yb_scalar(parley_ybuild_t *b, const yaml_event_t *ev) {
  if (yb_wants_key(b))
    return yb_key(b, ev);
  parley_node_t *n = calloc(1, sizeof *n);
  if (!n)
    return PARLEY_ENOMEM;
  n->line = (int)ev->start_mark.line + 1;
  n->column = (int)ev->start_mark.column + 1;
  if (yb_is_null(ev)) {
    n->type = PARLEY_NODE_NULL;
  } else {
    parley_error_t serr = {0};
    n->type = PARLEY_NODE_SCALAR;
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    if (parley_config_substitute((const char *)ev->data.scalar.value, &n->value,
                                 &n->substituted, &serr) != 0) {
      parley_node_free(n);
      return yb_fail_code(b, serr.code, &ev->start_mark, serr.message);
    }
  }
  return yb_attach(b, n);
}

static int yb_open(parley_ybuild_t *b, const yaml_event_t *ev, parley_node_type_t type) {
  if (yb_wants_key(b))
    return yb_fail(b, &ev->start_mark, "a key must be a plain string, not a list or map");
  if (b->depth == PARLEY_YAML_MAX_DEPTH)
    return yb_fail(b, &ev->start_mark, "nested too deeply");
  parley_node_t *n = type == PARLEY_NODE_MAP ? parley_node_new_map() : parley_node_new_seq();
  if (!n)
    return PARLEY_ENOMEM;
  /* A block map or list under a key starts on the line after it; the key's
   * line is the one an operator looks for ("options:", "routes:"). */
  const yaml_mark_t *m = &ev->start_mark;
  if (b->depth > 0 && b->stack[b->depth - 1].key)
    m = &b->stack[b->depth - 1].key_mark;
  n->line = (int)m->line + 1;
  n->column = (int)m->column + 1;
  b->stack[b->depth].node = n;
  b->stack[b->depth].key = NULL;
  b->depth++;
  return 0;
}

static int yb_close(parley_ybuild_t *b) {
  parley_node_t *n = b->stack[--b->depth].node;
  free(b->stack[b->depth].key); /* NULL: libyaml pairs every key with a value */
  b->stack[b->depth].key = NULL;
  return yb_attach(b, n);
}

static int yb_event(parley_ybuild_t *b, const yaml_event_t *ev) {
  switch (ev->type) {
  case YAML_DOCUMENT_START_EVENT:
    if (++b->documents > 1)
      return yb_fail(b, &ev->start_mark, "only one YAML document is allowed in a config");
    return 0;
  case YAML_ALIAS_EVENT:
    return yb_fail(b, &ev->start_mark,
                   "YAML aliases (*name) are not supported; write the value out");
  case YAML_SCALAR_EVENT:
    return yb_scalar(b, ev);
  case YAML_SEQUENCE_START_EVENT:
    return yb_open(b, ev, PARLEY_NODE_SEQ);
  case YAML_MAPPING_START_EVENT:
    return yb_open(b, ev, PARLEY_NODE_MAP);
  case YAML_SEQUENCE_END_EVENT:
  case YAML_MAPPING_END_EVENT:
    return yb_close(b);
  default:
    return 0;
  }
}

static int yb_syntax_error(parley_ybuild_t *b, const yaml_parser_t *p) {
  /* problem_mark is where libyaml noticed; that is the line to look at */
  const yaml_mark_t *m = &p->problem_mark;
  if (p->error == YAML_MEMORY_ERROR)
    return parley_error_set(b->err, PARLEY_ENOMEM, "%s: out of memory", b->name);
  return parley_error_set(b->err, PARLEY_EPARSE, "%s:%zu:%zu: YAML syntax error: %s%s%s",
                          b->name, m->line + 1, m->column + 1,
                          p->problem ? p->problem : "unknown problem",
                          p->context ? " " : "", p->context ? p->context : "");
}

static void yb_cleanup(parley_ybuild_t *b) {
  while (b->depth > 0) {
    b->depth--;
    parley_node_free(b->stack[b->depth].node);
    free(b->stack[b->depth].key);
  }
  parley_node_free(b->root);
  b->root = NULL;
}

int parley_config_parse_yaml(const char *text, size_t len, const char *name,
                             parley_node_t **out, parley_error_t *err) {
  parley_ybuild_t b = {.name = name ? name : "<string>", .err = err};
  yaml_parser_t parser;
  yaml_event_t ev;
  int rc = 0, done = 0;
  if (!text || !out)
    return parley_error_set(err, PARLEY_EINVAL, "%s: no text to parse", b.name);
  if (!yaml_parser_initialize(&parser))
    return parley_error_set(err, PARLEY_ENOMEM, "%s: out of memory", b.name);
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  while (rc == 0 && !done) {
    if (!yaml_parser_parse(&parser, &ev)) {
      rc = yb_syntax_error(&b, &parser);
      break;
    }
    done = ev.type == YAML_STREAM_END_EVENT;
    rc = yb_event(&b, &ev);
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  if (rc == PARLEY_ENOMEM && err && err->code != PARLEY_ENOMEM)
    parley_error_set(err, rc, "%s: out of memory", b.name);
  if (rc != 0) {
    yb_cleanup(&b);
    return rc;
  }
  if (!b.root) { /* an empty file is an empty config */
    b.root = parley_node_new_map();
    if (!b.root)
      return parley_error_set(err, PARLEY_ENOMEM, "%s: out of memory", b.name);
    b.root->line = 1;
    b.root->column = 1;
  }
  *out = b.root;
  return 0;
}
