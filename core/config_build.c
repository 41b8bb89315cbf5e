/* parley core — building a config in code (the embedding API's
 * parley_config_new/set/add_*). Values are written as in YAML and go
 * through the same readers as a file's, so "1MiB" or "debug" mean the same
 * thing in both; cross-references (route outputs, duplicate names, kinds)
 * are checked by parley_config_check when the router is created. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_read.h"
#include "util.h"

#define PARLEY_BUILD_SOURCE "<code>"

parley_config_t *parley_config_new(void) {
  parley_config_t *cfg = NULL;
  parley_node_t *root = parley_node_new_map();
  char cwd[4096];
  /* relative paths set later resolve from the working directory */
  /* an empty document gives every default, exactly as an empty file does */
  if (root)
    parley_config_from_node(root, PARLEY_BUILD_SOURCE, getcwd(cwd, sizeof cwd), &cfg, NULL);
  parley_node_free(root);
  return cfg;
}

/* ------------------------------------------------------------------ */
/* router keys                                                         */
/* ------------------------------------------------------------------ */

#define PARLEY_SWAP(a, b)                                                     \
  do {                                                                        \
    void *tmp_ = (void *)(a);                                                 \
    (a) = (b);                                                                \
    (b) = tmp_;                                                               \
  } while (0)

/* Move the field named key from src (freshly read) into cfg. */
static void build_take(parley_config_t *cfg, parley_config_t *src, const char *key) {
  if (strcmp(key, "listen") == 0) {
    PARLEY_SWAP(cfg->listen, src->listen);
  } else if (strcmp(key, "plugin_dir") == 0) {
    size_t n = cfg->n_plugin_dirs;
    PARLEY_SWAP(cfg->plugin_dirs, src->plugin_dirs);
    cfg->n_plugin_dirs = src->n_plugin_dirs;
    src->n_plugin_dirs = n;
  } else if (strcmp(key, "journal") == 0) {
    PARLEY_SWAP(cfg->journal, src->journal);
  } else if (strcmp(key, "log_level") == 0) {
    cfg->log_level = src->log_level;
  } else if (strcmp(key, "log_format") == 0) {
    PARLEY_SWAP(cfg->log_format, src->log_format);
  } else if (strcmp(key, "admin_token") == 0) {
    PARLEY_SWAP(cfg->admin_token, src->admin_token);
  } else if (strcmp(key, "state_dir") == 0) {
    PARLEY_SWAP(cfg->state_dir, src->state_dir);
  } else if (strcmp(key, "admin_auth") == 0) {
    cfg->admin_auth_none = src->admin_auth_none;
  } else if (strcmp(key, "secure_cookies") == 0) {
    cfg->secure_cookies = src->secure_cookies;
  } else if (strcmp(key, "max_body") == 0) {
    cfg->max_body = src->max_body;
  } else if (strcmp(key, "max_connections") == 0) {
    cfg->max_connections = src->max_connections;
  } else if (strcmp(key, "queue_size") == 0) {
    cfg->queue_size = src->queue_size;
  } else if (strcmp(key, "retention") == 0) {
    cfg->retention_ms = src->retention_ms;
  } else if (strcmp(key, "dedup_window") == 0) {
    cfg->dedup_window_ms = src->dedup_window_ms;
  } else if (strcmp(key, "max_backlog") == 0) {
    cfg->max_backlog = src->max_backlog;
  } else if (strcmp(key, "max_backlog_age") == 0) {
    cfg->max_backlog_age_ms = src->max_backlog_age_ms;
  } else if (strcmp(key, "auth_limit.failures") == 0) {
    cfg->auth_limit.failures = src->auth_limit.failures;
  } else if (strcmp(key, "auth_limit.window") == 0) {
    cfg->auth_limit.window_ms = src->auth_limit.window_ms;
  } else if (strcmp(key, "auth_limit.max_lockout") == 0) {
    cfg->auth_limit.max_lockout_ms = src->auth_limit.max_lockout_ms;
  } else if (strcmp(key, "default_output") == 0) {
    PARLEY_SWAP(cfg->default_output, src->default_output);
    cfg->default_output_substituted = src->default_output_substituted;
  }
}

#define PARLEY_AUTH_LIMIT_PREFIX "auth_limit."

/* value as a scalar, unquoted; for "auth_limit.<key>" inside {<key>: value}. */
static parley_node_t *build_value(const char *key, const char *value) {
  parley_node_t *v = parley_node_new_scalar(value);
  if (v)
    v->quoted = 0;
  if (!v || strncmp(key, PARLEY_AUTH_LIMIT_PREFIX, strlen(PARLEY_AUTH_LIMIT_PREFIX)) != 0)
    return v;
  parley_node_t *map = parley_node_new_map();
  if (!map) {
    parley_node_free(v);
    return NULL;
  }
  if (parley_node_put(map, key + strlen(PARLEY_AUTH_LIMIT_PREFIX), v) != 0) { /* v freed */
    parley_node_free(map);
    return NULL;
  }
  return map;
}

/* {router: {key: value}} with value unquoted, as if typed in YAML; a key
 * "auth_limit.failures" gives {router: {auth_limit: {failures: value}}}. */
static parley_node_t *build_router_doc(const char *key, const char *value) {
  parley_node_t *root = parley_node_new_map(), *router = parley_node_new_map();
  parley_node_t *v = build_value(key, value);
  if (!root || !router || !v) {
    parley_node_free(root);
    parley_node_free(router);
    parley_node_free(v);
    return NULL;
  }
  const char *dot = strchr(key, '.');
  char section[32];
  if (dot && (size_t)(dot - key) < sizeof section) {
    memcpy(section, key, (size_t)(dot - key));
    section[dot - key] = '\0';
    key = section;
  }
  if (parley_node_put(router, key, v) != 0) {
    parley_node_free(root);
    parley_node_free(router);
    return NULL;
  }
  if (parley_node_put(root, "router", router) != 0) {
    parley_node_free(root);
    return NULL;
  }
  return root;
}

int parley_config_set(parley_config_t *cfg, const char *router_key, const char *value) {
  parley_config_t *src = NULL;
  if (!cfg || !router_key || !value)
    return PARLEY_EINVAL;
  /* the one map whose keys can be set one by one */
  if (strchr(router_key, '.') &&
      strncmp(router_key, PARLEY_AUTH_LIMIT_PREFIX, strlen(PARLEY_AUTH_LIMIT_PREFIX)) != 0)
    return PARLEY_ECONFIG;
  parley_node_t *root = build_router_doc(router_key, value);
  if (!root)
    return PARLEY_ENOMEM;
  int rc = parley_config_from_node(root, cfg->source, cfg->base_dir, &src, NULL);
  parley_node_free(root);
  if (rc != 0)
    return rc;
  build_take(cfg, src, router_key);
  parley_config_free(src);
  return 0;
}

/* ------------------------------------------------------------------ */
/* connectors and outputs                                              */
/* ------------------------------------------------------------------ */

static parley_conf_instance_t *build_find(parley_config_t *cfg, const char *name) {
  for (size_t i = 0; i < cfg->n_connectors; i++)
    if (strcmp(cfg->connectors[i].name, name) == 0)
      return &cfg->connectors[i];
  for (size_t i = 0; i < cfg->n_outputs; i++)
    if (strcmp(cfg->outputs[i].name, name) == 0)
      return &cfg->outputs[i];
  return NULL;
}

static int build_add(parley_config_t *cfg, parley_conf_instance_t **v, size_t *n,
                     const char *name, const char *plugin) {
  if (!cfg || !name || !plugin || !*plugin || !parley_util_is_instance_name(name))
    return PARLEY_EINVAL;
  if (build_find(cfg, name))
    return PARLEY_EDUP;
  parley_conf_instance_t *nv = realloc(*v, (*n + 1) * sizeof *nv);
  if (!nv)
    return PARLEY_ENOMEM;
  *v = nv;
  parley_conf_instance_t *in = &nv[*n];
  memset(in, 0, sizeof *in);
  in->name = strdup(name);
  in->plugin = strdup(plugin);
  if (!in->name || !in->plugin) {
    free(in->name);
    free(in->plugin);
    return PARLEY_ENOMEM;
  }
  (*n)++;
  return 0;
}

int parley_config_add_connector(parley_config_t *cfg, const char *name, const char *plugin) {
  return cfg ? build_add(cfg, &cfg->connectors, &cfg->n_connectors, name, plugin)
             : PARLEY_EINVAL;
}

int parley_config_add_output(parley_config_t *cfg, const char *name, const char *type) {
  return cfg ? build_add(cfg, &cfg->outputs, &cfg->n_outputs, name, type) : PARLEY_EINVAL;
}

static parley_node_t **build_slot(parley_node_t *map, const char *key) {
  for (size_t i = 0; i < map->count; i++)
    if (strcmp(map->keys[i], key) == 0)
      return &map->items[i];
  return NULL;
}

/* Append value to the list at key, turning a single value into a list. */
static int build_append(parley_node_t *opts, const char *key, parley_node_t *v) {
  parley_node_t **slot = build_slot(opts, key);
  if (slot && (*slot)->type == PARLEY_NODE_SEQ)
    return parley_node_put(*slot, NULL, v);
  parley_node_t *seq = parley_node_new_seq();
  if (!seq) {
    parley_node_free(v);
    return PARLEY_ENOMEM;
  }
  if (slot && (*slot)->type == PARLEY_NODE_SCALAR) {
    int rc = parley_node_put(seq, NULL, *slot); /* the seq takes the old value */
    *slot = NULL;
    if (rc != 0) {
      parley_node_free(v);
      parley_node_free(seq);
      return rc;
    }
  }
  int rc = parley_node_put(seq, NULL, v);
  if (rc != 0) {
    parley_node_free(seq);
    return rc;
  }
  return parley_node_put(opts, key, seq); /* replaces (and frees) the emptied slot */
}

int parley_config_set_option(parley_config_t *cfg, const char *name, const char *key,
                             const char *value, int append) {
  if (!cfg || !name || !key || !*key || !value)
    return PARLEY_EINVAL;
  parley_conf_instance_t *in = build_find(cfg, name);
  if (!in)
    return PARLEY_ENOENT;
  if (!in->options && !(in->options = parley_node_new_map()))
    return PARLEY_ENOMEM;
  parley_node_t *v = parley_node_new_scalar(value);
  if (!v)
    return PARLEY_ENOMEM;
  v->quoted = 0; /* written as in YAML: "true", "30s", "42" keep their types */
  return append ? build_append(in->options, key, v) : parley_node_put(in->options, key, v);
}

/* ------------------------------------------------------------------ */
/* routes                                                              */
/* ------------------------------------------------------------------ */

static int build_uint(const char *s, int64_t *out) {
  char *end;
  if (*s < '0' || *s > '9')
    return PARLEY_EINVAL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || *end)
    return PARLEY_EINVAL;
  *out = (int64_t)v;
  return 0;
}

static int build_min_priority(const char *s, int *out) {
  int64_t v;
  if (build_uint(s, &v) || v > 100)
    return PARLEY_EINVAL;
  *out = (int)v;
  return 0;
}

/* One "field=value" of a match string. */
static int build_field(parley_conf_route_t *r, const char *field, const char *value) {
  parley_kind_t kind;
  parley_visibility_t vis;
  if (!*value)
    return PARLEY_EINVAL;
  if (strcmp(field, "platform") == 0)
    return parley_cfg_strv_push(&r->platforms, &r->n_platforms, value);
  if (strcmp(field, "kind") == 0)
    return parley_kind_parse(value, &kind) ? PARLEY_EINVAL
                                           : parley_cfg_strv_push(&r->kinds, &r->n_kinds, value);
  if (strcmp(field, "connector") == 0)
    return parley_cfg_strv_push(&r->connectors, &r->n_connectors, value);
  if (strcmp(field, "lang") == 0)
    return parley_cfg_strv_push(&r->langs, &r->n_langs, value);
  if (strcmp(field, "keywords") == 0 || strcmp(field, "keyword") == 0)
    return parley_cfg_strv_push(&r->keywords, &r->n_keywords, value);
  if (strcmp(field, "keyword_set") == 0 || strcmp(field, "keyword_sets") == 0)
    return parley_cfg_strv_push(&r->keyword_sets, &r->n_keyword_sets, value);
  if (strcmp(field, "min_priority") == 0)
    return build_min_priority(value, &r->min_priority);
  if (strcmp(field, "min_followers") == 0)
    return build_uint(value, &r->min_followers);
  if (strcmp(field, "visibility") == 0) {
    if (parley_visibility_parse(value, &vis) != 0)
      return PARLEY_EINVAL;
    r->visibility = (int)vis;
    return 0;
  }
  return PARLEY_EINVAL;
}

static char *build_trim(char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    s[--n] = '\0';
  return s;
}

static const char *const build_fields =
    "platform, kind, connector, lang, keywords, keyword_sets, min_priority, min_followers, "
    "visibility";

static int build_known(const char *field) {
  static const char *const known[] = {"platform",    "kind",          "connector",
                                      "lang",        "keywords",      "keyword",
                                      "keyword_set", "keyword_sets",  "min_priority",
                                      "min_followers", "visibility",  NULL};
  for (size_t i = 0; known[i]; i++)
    if (strcmp(field, known[i]) == 0)
      return 1;
  return 0;
}

/* "platform=twitter,kind=mention"; a field may repeat (any-of). On
 * PARLEY_EINVAL, msg (may be NULL) names the part that was wrong. */
static int build_match(parley_conf_route_t *r, const char *match, char *msg, size_t len) {
  char *copy = strdup(match), *save = NULL;
  int rc = 0;
  if (!copy)
    return PARLEY_ENOMEM;
  for (char *tok = strtok_r(copy, ",", &save); rc == 0 && tok; tok = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(tok, '=');
    if (!eq) {
      if (msg)
        snprintf(msg, len, "'%.64s' is not field=value", build_trim(tok));
      rc = PARLEY_EINVAL;
      break;
    }
    *eq = '\0';
    const char *field = build_trim(tok), *value = build_trim(eq + 1);
    rc = build_field(r, field, value);
    if (rc == PARLEY_EINVAL && msg) {
      if (!build_known(field))
        snprintf(msg, len, "unknown field '%.64s' (expected one of %s)", field, build_fields);
      else
        snprintf(msg, len, "%s: '%.64s' is not a valid value", field, value);
    }
  }
  free(copy);
  return rc;
}

int parley_config_parse_match(const char *match, parley_conf_route_t *r, char *msg,
                              size_t len) {
  parley_cfg_match_init(r);
  if (msg && len)
    *msg = '\0';
  int rc = match ? build_match(r, match, msg, len) : 0;
  if (rc == PARLEY_ENOMEM && msg)
    snprintf(msg, len, "out of memory");
  if (rc)
    parley_cfg_match_clear(r);
  return rc;
}

int parley_config_add_route(parley_config_t *cfg, const char *match, const char *output) {
  if (!cfg || !output || !*output)
    return PARLEY_EINVAL;
  parley_conf_route_t r;
  parley_cfg_match_init(&r);
  int rc = parley_cfg_strv_push(&r.outputs, &r.n_outputs, output);
  if (rc == 0 && match)
    rc = build_match(&r, match, NULL, 0);
  if (rc == 0 && !(r.name = parley_asprintf("routes[%zu]", cfg->n_routes)))
    rc = PARLEY_ENOMEM;
  parley_conf_route_t *nv = rc == 0 ? realloc(cfg->routes, (cfg->n_routes + 1) * sizeof *nv) : NULL;
  if (rc == 0 && !nv)
    rc = PARLEY_ENOMEM;
  if (rc != 0) {
    parley_cfg_match_clear(&r);
    return rc;
  }
  cfg->routes = nv;
  cfg->routes[cfg->n_routes++] = r;
  return 0;
}

void parley_config_match_free(parley_conf_route_t *r) {
  if (r)
    parley_cfg_match_clear(r);
}
