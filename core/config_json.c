/* parley core — JSON reader.
 *
 * Why two parsers: jansson is the judge of what is valid JSON (strict: no
 * trailing commas, no comments, no duplicate keys, no NUL in strings, an
 * object or array at the top) and gives syntax errors with line:column; but
 * it keeps no position per value, and config errors must name a line. JSON
 * as people write configs is also YAML flow syntax, so libyaml loads the
 * same text once more, only to learn where each value starts. The values
 * always come from jansson; a position is copied only where both trees
 * agree on shape and keys. Where libyaml reads the text differently (it
 * cannot, for example, decode UTF-16 surrogate escapes) positions fall back
 * to line 0 ("somewhere in the file") instead of failing the load. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config.h"

#define PARLEY_JSON_MAX_DEPTH 64

typedef struct {
  const char *name;
  parley_error_t *err;
  yaml_document_t *doc; /* NULL when libyaml could not read the text */
} parley_jconv_t;

static void jc_mark(parley_node_t *n, const yaml_node_t *y) {
  if (y) {
    n->line = (int)y->start_mark.line + 1;
    n->column = (int)y->start_mark.column + 1;
  }
}

static int jc_fail(const parley_jconv_t *c, const parley_node_t *n, const char *path,
                   int code, const char *what) {
  if (!path[0])
    path = "(top level)";
  if (n->line > 0)
    return parley_error_set(c->err, code, "%s:%d:%d: %s: %s", c->name, n->line, n->column,
                            path, what);
  return parley_error_set(c->err, code, "%s: %s: %s", c->name, path, what);
}

/* The libyaml node for key of map y, if y is a map that has it. */
static yaml_node_t *jc_ykey(const parley_jconv_t *c, yaml_node_t *y, const char *key) {
  if (!y || y->type != YAML_MAPPING_NODE)
    return NULL;
  for (yaml_node_pair_t *p = y->data.mapping.pairs.start; p < y->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
    if (k && k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0)
      return yaml_document_get_node(c->doc, p->value);
  }
  return NULL;
}

static yaml_node_t *jc_yitem(const parley_jconv_t *c, yaml_node_t *y, size_t i) {
  if (!y || y->type != YAML_SEQUENCE_NODE ||
      i >= (size_t)(y->data.sequence.items.top - y->data.sequence.items.start))
    return NULL;
  return yaml_document_get_node(c->doc, y->data.sequence.items.start[i]);
}

static int jc_convert(const parley_jconv_t *c, json_t *j, yaml_node_t *y, const char *path,
                      int depth, parley_node_t **out);

static int jc_child(const parley_jconv_t *c, parley_node_t *parent, const char *key, json_t *j,
                    yaml_node_t *y, const char *path, int depth) {
  parley_node_t *child = NULL;
  int rc = jc_convert(c, j, y, path, depth + 1, &child);
  if (rc != 0)
    return rc;
  rc = parley_node_put(parent, key, child);
  return rc == PARLEY_ENOMEM ? parley_error_set(c->err, rc, "%s: out of memory", c->name) : rc;
}

static int jc_object(const parley_jconv_t *c, json_t *j, yaml_node_t *y, const char *path,
                     int depth, parley_node_t *n) {
  const char *key;
  json_t *v;
  json_object_foreach(j, key, v) {
    char sub[256];
    snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", key);
    int rc = jc_child(c, n, key, v, jc_ykey(c, y, key), sub, depth);
    if (rc != 0)
      return rc;
  }
  return 0;
}

static int jc_array(const parley_jconv_t *c, json_t *j, yaml_node_t *y, const char *path,
                    int depth, parley_node_t *n) {
  for (size_t i = 0; i < json_array_size(j); i++) {
    char sub[256];
    snprintf(sub, sizeof sub, "%s[%zu]", path, i);
    int rc = jc_child(c, n, NULL, json_array_get(j, i), jc_yitem(c, y, i), sub, depth);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* A JSON string: the only place ${...} can appear. */
static int jc_string(const parley_jconv_t *c, json_t *j, const char *path, parley_node_t *n) {
  parley_error_t serr = {0};
  n->quoted = 1;
  if (parley_config_substitute(json_string_value(j), &n->value, &n->substituted, &serr) != 0)
    return jc_fail(c, n, path, serr.code, serr.message);
  return 0;
}

static int jc_number(json_t *j, parley_node_t *n) {
  char buf[64];
  if (json_is_integer(j))
    snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
  else
    snprintf(buf, sizeof buf, "%.17g", json_real_value(j));
  return (n->value = strdup(buf)) ? 0 : PARLEY_ENOMEM;
}

static int jc_scalar(const parley_jconv_t *c, json_t *j, const char *path, parley_node_t *n) {
  n->type = PARLEY_NODE_SCALAR;
  if (json_is_string(j))
    return jc_string(c, j, path, n);
  if (json_is_number(j))
    return jc_number(j, n);
  return (n->value = strdup(json_is_true(j) ? "true" : "false")) ? 0 : PARLEY_ENOMEM;
}

static int jc_convert(const parley_jconv_t *c, json_t *j, yaml_node_t *y, const char *path,
                      int depth, parley_node_t **out) {
  parley_node_t *n = calloc(1, sizeof *n);
  int rc = 0;
  if (!n)
    return parley_error_set(c->err, PARLEY_ENOMEM, "%s: out of memory", c->name);
  jc_mark(n, y);
  if (depth > PARLEY_JSON_MAX_DEPTH) {
    rc = jc_fail(c, n, path, PARLEY_EPARSE, "nested too deeply");
  } else if (json_is_object(j)) {
    n->type = PARLEY_NODE_MAP;
    rc = jc_object(c, j, y, path, depth, n);
  } else if (json_is_array(j)) {
    n->type = PARLEY_NODE_SEQ;
    rc = jc_array(c, j, y, path, depth, n);
  } else if (!json_is_null(j)) {
    rc = jc_scalar(c, j, path, n);
  }
  if (rc == PARLEY_ENOMEM && (!c->err || c->err->code != PARLEY_ENOMEM))
    parley_error_set(c->err, rc, "%s: out of memory", c->name);
  if (rc != 0) {
    parley_node_free(n);
    return rc;
  }
  *out = n;
  return 0;
}

/* Best effort: 1 and a loaded document, or 0 when libyaml cannot read it. */
static int jc_load_positions(const char *text, size_t len, yaml_document_t *doc) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser))
    return 0;
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  int ok = yaml_parser_load(&parser, doc);
  yaml_parser_delete(&parser);
  if (ok && !yaml_document_get_root_node(doc)) {
    yaml_document_delete(doc);
    ok = 0;
  }
  return ok;
}

int parley_config_parse_json(const char *text, size_t len, const char *name,
                             parley_node_t **out, parley_error_t *err) {
  json_error_t jerr;
  yaml_document_t doc;
  parley_jconv_t c = {.name = name ? name : "<string>", .err = err};
  if (!text || !out)
    return parley_error_set(err, PARLEY_EINVAL, "%s: no text to parse", c.name);
  /* Editors on Windows like to start files with a UTF-8 byte order mark;
   * jansson refuses it, libyaml skips it. */
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
    text += 3;
    len -= 3;
  }
  json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!j) {
    /* jansson quotes the text "near" the error, which may be a token:
     * keep only its description of the problem. */
    char *near = strstr(jerr.text, " near '");
    if (near)
      *near = '\0';
    return parley_error_set(err, PARLEY_EPARSE, "%s:%d:%d: JSON syntax error: %s", c.name,
                            jerr.line, jerr.column, jerr.text);
  }
  int have_doc = jc_load_positions(text, len, &doc);
  if (have_doc)
    c.doc = &doc;
  int rc = jc_convert(&c, j, have_doc ? yaml_document_get_root_node(&doc) : NULL, "", 0, out);
  if (have_doc)
    yaml_document_delete(&doc);
  json_decref(j);
  return rc;
}
