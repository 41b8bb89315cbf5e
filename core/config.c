/* parley core — the config model: from a node tree (YAML or JSON, see
 * config_yaml.c / config_json.c) to struct parley_config, its deep copy,
 * its cross-reference check, and loading from a file or a string.
 *
 * Every error reads "<source>:<line>: <key path>: <what>", so an operator
 * can go straight to the line. A value is quoted in a message only when it
 * is neither a secret nor the result of ${...} substitution. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config_enrich.h"
#include "config_read.h"
#include "options.h"
#include "util.h"

/* Larger than any sane config; bounds what a typo'd path can make us read. */
#define PARLEY_CONFIG_FILE_MAX (16u * 1024 * 1024)

/* ------------------------------------------------------------------ */
/* router:                                                             */
/* ------------------------------------------------------------------ */

/* "host:port" or "[v6]:port" with a port 1-65535, or "" to disable. */
static int cfg_listen_ok(const char *s) {
  if (!*s)
    return 1;
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s || !colon[1])
    return 0;
  char *end;
  long port = strtol(colon + 1, &end, 10);
  return *end == '\0' && colon[1] >= '0' && colon[1] <= '9' && port >= 1 && port <= 65535;
}

static int cfg_r_listen(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  char shown[96];
  int rc = parley_cfg_string(c, n, path, &c->cfg->listen);
  if (rc != 0 || cfg_listen_ok(n->value))
    return rc;
  parley_cfg_show(n, 0, shown, sizeof shown);
  return parley_cfg_fail(c, n->line, path,
                  "%s is not an address (use host:port, e.g. 127.0.0.1:8080, or \"\" to "
                  "disable the HTTP server)",
                  shown);
}

static int cfg_r_plugin_dir(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  parley_cfg_strv_free(c->cfg->plugin_dirs, c->cfg->n_plugin_dirs);
  c->cfg->plugin_dirs = NULL;
  c->cfg->n_plugin_dirs = 0;
  return parley_cfg_strlist(c, n, path, &c->cfg->plugin_dirs, &c->cfg->n_plugin_dirs);
}

static int cfg_r_journal(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  int rc = parley_cfg_string(c, n, path, &c->cfg->journal);
  if (rc == 0 && !n->value[0])
    return parley_cfg_fail(c, n->line, path, "the journal path is empty");
  return rc;
}

static int cfg_r_log_level(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
  char shown[96];
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_SCALAR, path, "a log level");
  if (rc != 0)
    return rc;
  for (int i = 0; i < 5; i++) {
    if (strcasecmp(n->value, names[i]) == 0) {
      c->cfg->log_level = PARLEY_LOG_ERROR + i;
      return 0;
    }
  }
  parley_cfg_show(n, 0, shown, sizeof shown);
  return parley_cfg_fail(c, n->line, path, "%s is not a log level (use error, warn, info, debug or trace)",
                  shown);
}

static int cfg_r_log_format(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  char shown[96];
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_SCALAR, path, "a log format");
  if (rc != 0)
    return rc;
  if (strcmp(n->value, "text") == 0 || strcmp(n->value, "json") == 0)
    return parley_cfg_string(c, n, path, &c->cfg->log_format);
  parley_cfg_show(n, 0, shown, sizeof shown);
  return parley_cfg_fail(c, n->line, path, "%s is not a log format (use text or json)", shown);
}

static int cfg_r_admin_token(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  /* a secret: the message never shows it, even when it is merely too short */
  int rc = parley_cfg_string(c, n, path, &c->cfg->admin_token);
  if (rc == 0 && !n->value[0])
    return parley_cfg_fail(c, n->line, path, "the admin token is empty");
  return rc;
}

static int cfg_r_state_dir(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  int rc = parley_cfg_string(c, n, path, &c->cfg->state_dir);
  if (rc == 0 && !n->value[0])
    return parley_cfg_fail(c, n->line, path, "the state directory is empty");
  return rc;
}

static int cfg_r_admin_auth(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  char shown[96];
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_SCALAR, path, "token or none");
  if (rc != 0)
    return rc;
  if (strcmp(n->value, "token") == 0 || strcmp(n->value, "none") == 0) {
    c->cfg->admin_auth_none = n->value[0] == 'n';
    return 0;
  }
  parley_cfg_show(n, 0, shown, sizeof shown);
  return parley_cfg_fail(c, n->line, path, "%s is not an admin auth mode (use token or none)",
                         shown);
}

static int cfg_r_secure_cookies(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  return parley_cfg_bool(c, n, path, &c->cfg->secure_cookies);
}

/* Agent names are what replies and the store record; "admin" is the admin
 * token's. Tokens are secrets: messages never show them. */
static int cfg_agent_name_ok(const char *s) {
  if (!*s || strlen(s) > 64 || strcmp(s, "admin") == 0)
    return 0;
  for (; *s; s++)
    if ((unsigned char)*s < 0x21 || *s == 0x7f)
      return 0;
  return 1;
}

static int cfg_agent(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  parley_config_t *cfg = c->cfg;
  const parley_node_t *name = parley_node_get(n, "name"), *token = parley_node_get(n, "token");
  char sub[192];
  for (size_t i = 0; i < n->count; i++)
    if (strcmp(n->keys[i], "name") != 0 && strcmp(n->keys[i], "token") != 0) {
      parley_cfg_subpath(sub, sizeof sub, path, n->keys[i]);
      return parley_cfg_fail(c, n->items[i]->line, sub, "unknown key (known keys: name, token)");
    }
  if (!name || name->type != PARLEY_NODE_SCALAR || !cfg_agent_name_ok(name->value))
    return parley_cfg_fail(c, name ? name->line : n->line, path,
                           "an agent needs a name: 1-64 visible characters, not \"admin\"");
  if (!token || token->type != PARLEY_NODE_SCALAR || strlen(token->value) < 16)
    return parley_cfg_fail(c, token ? token->line : n->line, path,
                           "agent %s needs a token of at least 16 characters", name->value);
  for (size_t i = 0; i < cfg->n_agents; i++) {
    if (strcmp(cfg->agent_names[i], name->value) == 0)
      return parley_cfg_fail(c, name->line, path, "agent %s is listed twice", name->value);
    if (strcmp(cfg->agent_tokens[i], token->value) == 0)
      return parley_cfg_fail(c, token->line, path,
                             "agent %s has the token of agent %s: each needs its own",
                             name->value, cfg->agent_names[i]);
  }
  size_t k = cfg->n_agents;
  if (parley_cfg_strv_push(&cfg->agent_names, &k, name->value) != 0)
    return parley_cfg_nomem(c);
  if (parley_cfg_strv_push(&cfg->agent_tokens, &cfg->n_agents, token->value) != 0) {
    free(cfg->agent_names[k - 1]);
    return parley_cfg_nomem(c);
  }
  return 0;
}

static int cfg_r_agents(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  char sub[192];
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_SEQ, path, "a list of {name, token}");
  for (size_t i = 0; rc == 0 && i < n->count; i++) {
    snprintf(sub, sizeof sub, "%s[%zu]", path, i);
    rc = parley_cfg_expect(c, n->items[i], PARLEY_NODE_MAP, sub, "a map with name and token");
    if (rc == 0)
      rc = cfg_agent(c, n->items[i], sub);
  }
  return rc;
}

static int cfg_r_console_dir(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  int rc = parley_cfg_string(c, n, path, &c->cfg->console_dir);
  if (rc == 0 && !n->value[0])
    return parley_cfg_fail(c, n->line, path, "the console directory is empty");
  return rc;
}

static int cfg_r_max_body(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  uint64_t v = 0;
  int rc = parley_cfg_size(c, n, path, 1, &v);
  if (rc == 0)
    c->cfg->max_body = (size_t)v;
  return rc;
}

static int cfg_r_max_connections(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  int64_t v = 0;
  int rc = parley_cfg_uint(c, n, path, 1, 1000000, &v);
  if (rc == 0)
    c->cfg->max_connections = (size_t)v;
  return rc;
}

static int cfg_r_queue_size(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  int64_t v = 0;
  int rc = parley_cfg_uint(c, n, path, 1, INT32_MAX, &v);
  if (rc == 0)
    c->cfg->queue_size = (size_t)v;
  return rc;
}

static int cfg_r_retention(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  return parley_cfg_duration(c, n, path, &c->cfg->retention_ms);
}

static int cfg_r_dedup_window(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  return parley_cfg_duration(c, n, path, &c->cfg->dedup_window_ms);
}

static int cfg_r_max_backlog(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  return parley_cfg_size(c, n, path, 0, &c->cfg->max_backlog);
}

static int cfg_r_max_backlog_age(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  return parley_cfg_duration(c, n, path, &c->cfg->max_backlog_age_ms);
}

static int cfg_r_default_output(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  c->cfg->default_output_substituted = n->substituted;
  return parley_cfg_string(c, n, path, &c->cfg->default_output);
}

/* router.http: the HTTP server's limits (docs/http.md). */
static int cfg_h_timeout(parley_cfgctx_t *c, const parley_node_t *n, const char *path,
                         int64_t *out) {
  int64_t ms = 0;
  int rc = parley_cfg_duration(c, n, path, &ms);
  if (rc == 0 && ms < 100)
    return parley_cfg_fail(c, n->line, path, "must be at least 100ms");
  if (rc == 0)
    *out = ms;
  return rc;
}

static int cfg_h_count(parley_cfgctx_t *c, const parley_node_t *n, const char *path,
                       int64_t max, size_t *out) {
  int64_t v = 0;
  int rc = parley_cfg_uint(c, n, path, 1, max, &v);
  if (rc == 0)
    *out = (size_t)v;
  return rc;
}

static int cfg_h_bytes(parley_cfgctx_t *c, const parley_node_t *n, const char *path,
                       size_t *out) {
  uint64_t v = 0;
  int rc = parley_cfg_size(c, n, path, 64, &v);
  if (rc == 0 && v > (64u << 20))
    return parley_cfg_fail(c, n->line, path, "must be at most 64MiB");
  if (rc == 0)
    *out = (size_t)v;
  return rc;
}

static int cfg_h_key(parley_cfgctx_t *c, const char *key, const parley_node_t *n,
                     const char *path) {
  parley_conf_http_t *h = &c->cfg->http;
  if (strcmp(key, "header_timeout") == 0)
    return cfg_h_timeout(c, n, path, &h->header_timeout_ms);
  if (strcmp(key, "body_timeout") == 0)
    return cfg_h_timeout(c, n, path, &h->body_timeout_ms);
  if (strcmp(key, "idle_timeout") == 0)
    return cfg_h_timeout(c, n, path, &h->idle_timeout_ms);
  if (strcmp(key, "max_connections") == 0) /* the same as router.max_connections */
    return cfg_h_count(c, n, path, 1000000, &c->cfg->max_connections);
  if (strcmp(key, "max_connections_per_client") == 0)
    return cfg_h_count(c, n, path, 1000000, &h->max_per_client);
  if (strcmp(key, "max_header_size") == 0)
    return cfg_h_bytes(c, n, path, &h->max_header_bytes);
  if (strcmp(key, "max_headers") == 0) /* h2o parses at most 100 */
    return cfg_h_count(c, n, path, 100, &h->max_headers);
  if (strcmp(key, "max_request_line") == 0)
    return cfg_h_bytes(c, n, path, &h->max_request_line);
  if (strcmp(key, "max_requests_per_connection") == 0)
    return cfg_h_count(c, n, path, INT32_MAX, &h->max_requests);
  if (strcmp(key, "stream_keepalive") == 0) /* event streams' ": keepalive" interval */
    return cfg_h_timeout(c, n, path, &h->stream_keepalive_ms);
  return parley_cfg_fail(c, n->line, path,
                         "unknown key (known keys: header_timeout, body_timeout, idle_timeout, "
                         "max_connections, max_connections_per_client, max_header_size, "
                         "max_headers, max_request_line, max_requests_per_connection, "
                         "stream_keepalive)");
}

static int cfg_r_http(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  char sub[192];
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_MAP, path, "a map");
  for (size_t i = 0; rc == 0 && i < n->count; i++) {
    parley_cfg_subpath(sub, sizeof sub, path, n->keys[i]);
    if (n->items[i]->type != PARLEY_NODE_NULL)
      rc = cfg_h_key(c, n->keys[i], n->items[i], sub);
  }
  return rc;
}

/* router.auth_limit: how many wrong tokens an address may send (docs/auth.md). */
static int cfg_al_duration(parley_cfgctx_t *c, const parley_node_t *n, const char *path,
                           int64_t *out) {
  int64_t ms = 0;
  int rc = parley_cfg_duration(c, n, path, &ms);
  if (rc == 0 && ms < 1000)
    return parley_cfg_fail(c, n->line, path,
                           "must be at least 1s (failures: 0 turns the limit off)");
  if (rc == 0 && ms > 86400000LL)
    return parley_cfg_fail(c, n->line, path, "must be at most 1d");
  if (rc == 0)
    *out = ms;
  return rc;
}

static int cfg_al_key(parley_cfgctx_t *c, const char *key, const parley_node_t *n,
                      const char *path) {
  parley_conf_auth_limit_t *a = &c->cfg->auth_limit;
  if (strcmp(key, "failures") == 0) {
    int64_t v = 0;
    int rc = parley_cfg_uint(c, n, path, 0, 1000, &v);
    if (rc == 0)
      a->failures = (unsigned)v;
    return rc;
  }
  if (strcmp(key, "window") == 0)
    return cfg_al_duration(c, n, path, &a->window_ms);
  if (strcmp(key, "max_lockout") == 0)
    return cfg_al_duration(c, n, path, &a->max_lockout_ms);
  return parley_cfg_fail(c, n->line, path,
                         "unknown key (known keys: failures, window, max_lockout)");
}

static int cfg_r_auth_limit(parley_cfgctx_t *c, const parley_node_t *n, const char *path) {
  char sub[192];
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_MAP, path, "a map");
  for (size_t i = 0; rc == 0 && i < n->count; i++) {
    parley_cfg_subpath(sub, sizeof sub, path, n->keys[i]);
    if (n->items[i]->type != PARLEY_NODE_NULL)
      rc = cfg_al_key(c, n->keys[i], n->items[i], sub);
  }
  return rc;
}

typedef int (*parley_cfg_key_fn)(parley_cfgctx_t *c, const parley_node_t *n, const char *path);

static const struct {
  const char *key;
  parley_cfg_key_fn fn;
} parley_router_keys[] = {
    {"listen", cfg_r_listen},
    {"plugin_dir", cfg_r_plugin_dir},
    {"journal", cfg_r_journal},
    {"log_level", cfg_r_log_level},
    {"log_format", cfg_r_log_format},
    {"admin_token", cfg_r_admin_token},
    {"state_dir", cfg_r_state_dir},
    {"admin_auth", cfg_r_admin_auth},
    {"secure_cookies", cfg_r_secure_cookies},
    {"agents", cfg_r_agents},
    {"auth_limit", cfg_r_auth_limit},
    {"console_dir", cfg_r_console_dir},
    {"max_body", cfg_r_max_body},
    {"max_connections", cfg_r_max_connections},
    {"queue_size", cfg_r_queue_size},
    {"retention", cfg_r_retention},
    {"dedup_window", cfg_r_dedup_window},
    {"max_backlog", cfg_r_max_backlog},
    {"max_backlog_age", cfg_r_max_backlog_age},
    {"default_output", cfg_r_default_output},
    {"http", cfg_r_http},
};
#define PARLEY_N_ROUTER_KEYS (sizeof parley_router_keys / sizeof parley_router_keys[0])

static int cfg_router_key(parley_cfgctx_t *c, const char *key, const parley_node_t *n) {
  char path[160];
  parley_cfg_subpath(path, sizeof path, "router", key);
  for (size_t i = 0; i < PARLEY_N_ROUTER_KEYS; i++) {
    if (strcmp(key, parley_router_keys[i].key) == 0)
      return n->type == PARLEY_NODE_NULL ? 0 /* keep the default */
                                         : parley_router_keys[i].fn(c, n, path);
  }
  return parley_cfg_fail(c, n->line, path,
                  "unknown key (known keys: listen, plugin_dir, journal, log_level, log_format, "
                  "admin_token, state_dir, admin_auth, secure_cookies, agents, auth_limit, "
                  "console_dir, max_body, max_connections, queue_size, retention, dedup_window, "
                  "max_backlog, max_backlog_age, default_output, http)");
}

static int cfg_router(parley_cfgctx_t *c, const parley_node_t *n) {
  if (n->type == PARLEY_NODE_NULL)
    return 0;
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_MAP, "router", "a map");
  for (size_t i = 0; rc == 0 && i < n->count; i++)
    rc = cfg_router_key(c, n->keys[i], n->items[i]);
  return rc;
}

/* ------------------------------------------------------------------ */
/* connectors: / outputs:                                              */
/* ------------------------------------------------------------------ */

static void cfg_instance_clear(parley_conf_instance_t *in) {
  free(in->name);
  free(in->plugin);
  parley_node_free(in->options);
  memset(in, 0, sizeof *in);
}

static int cfg_options(parley_cfgctx_t *c, const parley_node_t *v, const char *path,
                       parley_conf_instance_t *in) {
  if (v->type == PARLEY_NODE_NULL)
    return 0;
  int rc = parley_cfg_expect(c, v, PARLEY_NODE_MAP, path, "a map");
  if (rc != 0)
    return rc;
  parley_node_free(in->options);
  return (in->options = parley_node_clone(v)) ? 0 : parley_cfg_nomem(c);
}

/* One entry {name, <plugin_key>, options}. The options stay a node tree:
 * they are bound to the plugin's option table once it is loaded. */
static int cfg_instance(parley_cfgctx_t *c, const parley_node_t *n, const char *path,
                        const char *plugin_key, parley_conf_instance_t *in) {
  char sub[160];
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_MAP, path, "a map with name, ... and options");
  in->line = n->line;
  for (size_t i = 0; rc == 0 && i < n->count; i++) {
    const char *k = n->keys[i];
    const parley_node_t *v = n->items[i];
    parley_cfg_subpath(sub, sizeof sub, path, k);
    if (strcmp(k, "name") == 0) {
      rc = parley_cfg_string(c, v, sub, &in->name);
      in->name_substituted = v->substituted;
    } else if (strcmp(k, plugin_key) == 0)
      rc = parley_cfg_string(c, v, sub, &in->plugin);
    else if (strcmp(k, "options") == 0)
      rc = cfg_options(c, v, sub, in);
    else
      rc = parley_cfg_fail(c, v->line, sub, "unknown key (known keys: name, %s, options)", plugin_key);
  }
  if (rc == 0 && !in->name)
    rc = parley_cfg_fail(c, n->line, path, "missing 'name'");
  if (rc == 0 && !in->plugin)
    rc = parley_cfg_fail(c, n->line, path, "missing '%s'", plugin_key);
  return rc;
}

static int cfg_instances(parley_cfgctx_t *c, const parley_node_t *n, const char *section,
                         const char *plugin_key, parley_conf_instance_t **out, size_t *count) {
  if (n->type == PARLEY_NODE_NULL)
    return 0;
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_SEQ, section, "a list");
  if (rc != 0)
    return rc;
  if (n->count && !(*out = calloc(n->count, sizeof **out)))
    return parley_cfg_nomem(c);
  for (size_t i = 0; i < n->count; i++) {
    char path[64];
    snprintf(path, sizeof path, "%s[%zu]", section, i);
    (*count)++; /* counted first so a failed entry is freed with the rest */
    if ((rc = cfg_instance(c, n->items[i], path, plugin_key, &(*out)[i])) != 0)
      return rc;
  }
  return 0;
}


static int cfg_route_key(parley_cfgctx_t *c, parley_conf_route_t *r, const char *k,
                         const parley_node_t *v, const char *path) {
  if (strcmp(k, "name") == 0)
    return parley_cfg_string(c, v, path, &r->name);
  if (strcmp(k, "match") == 0)
    return parley_cfg_match(c, r, v, path);
  if (strcmp(k, "outputs") == 0) {
    r->names_substituted |= parley_cfg_substituted(v);
    int rc = v->type == PARLEY_NODE_NULL ? 0 : parley_cfg_strlist(c, v, path, &r->outputs, &r->n_outputs);
    if (rc == 0 && r->n_outputs == 0)
      rc = parley_cfg_fail(c, v->line, path, "a route needs at least one output");
    return rc;
  }
  return parley_cfg_fail(c, v->line, path, "unknown key (known keys: name, match, outputs)");
}

static int cfg_route(parley_cfgctx_t *c, const parley_node_t *n, size_t index,
                     parley_conf_route_t *r) {
  char path[64], sub[160];
  snprintf(path, sizeof path, "routes[%zu]", index);
  parley_cfg_match_init(r);
  r->line = n->line;
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_MAP, path, "a map with match and outputs");
  for (size_t i = 0; rc == 0 && i < n->count; i++) {
    parley_cfg_subpath(sub, sizeof sub, path, n->keys[i]);
    rc = cfg_route_key(c, r, n->keys[i], n->items[i], sub);
  }
  if (rc == 0 && r->n_outputs == 0)
    rc = parley_cfg_fail(c, n->line, path, "missing 'outputs' (a route needs at least one output)");
  if (rc == 0 && !r->name && !(r->name = strdup(path)))
    rc = parley_cfg_nomem(c);
  return rc;
}

static int cfg_routes(parley_cfgctx_t *c, const parley_node_t *n) {
  parley_config_t *cfg = c->cfg;
  if (n->type == PARLEY_NODE_NULL)
    return 0;
  int rc = parley_cfg_expect(c, n, PARLEY_NODE_SEQ, "routes", "a list");
  if (rc != 0)
    return rc;
  if (n->count && !(cfg->routes = calloc(n->count, sizeof *cfg->routes)))
    return parley_cfg_nomem(c);
  for (size_t i = 0; rc == 0 && i < n->count; i++) {
    cfg->n_routes++;
    rc = cfg_route(c, n->items[i], i, &cfg->routes[i]);
  }
  return rc;
}

/* ------------------------------------------------------------------ */
/* The document                                                        */
/* ------------------------------------------------------------------ */

/* Checked now, so errors name file:line at load; the router builds its
 * enrichment stage from the kept node when it starts. */
static int cfg_enrich(parley_cfgctx_t *c, const parley_node_t *n) {
  parley_conf_enrich_t *e = NULL;
  int rc = parley_conf_enrich_parse(n, c->source, &e, c->err);
  parley_conf_enrich_free(e);
  if (rc == 0 && !(c->cfg->enrich = parley_node_clone(n)))
    rc = parley_cfg_nomem(c);
  return rc;
}

static int cfg_top(parley_cfgctx_t *c, const char *key, const parley_node_t *n) {
  parley_config_t *cfg = c->cfg;
  if (strcmp(key, "router") == 0)
    return cfg_router(c, n);
  if (strcmp(key, "connectors") == 0)
    return cfg_instances(c, n, "connectors", "plugin", &cfg->connectors, &cfg->n_connectors);
  if (strcmp(key, "outputs") == 0)
    return cfg_instances(c, n, "outputs", "type", &cfg->outputs, &cfg->n_outputs);
  if (strcmp(key, "routes") == 0)
    return cfg_routes(c, n);
  if (strcmp(key, "enrich") == 0)
    return cfg_enrich(c, n);
  return parley_cfg_fail(c, n->line, key,
                         "unknown top-level key (known keys: router, connectors, outputs, "
                         "routes, enrich)");
}

/* path made absolute against base (NULL base or absolute path: a copy). */
static char *cfg_resolve(const char *base, const char *path) {
  if (!base || path[0] == '/')
    return strdup(path);
  return parley_asprintf("%s/%s", base, path);
}

static int cfg_resolve_in_place(char **path, const char *base) {
  char *abs = cfg_resolve(base, *path);
  if (!abs)
    return PARLEY_ENOMEM;
  free(*path);
  *path = abs;
  return 0;
}

/* Relative paths are resolved now, from the config's directory, so they
 * do not change meaning when parleyd's working directory does. */
static int cfg_paths(parley_cfgctx_t *c) {
  parley_config_t *cfg = c->cfg;
  if (!cfg->journal && !(cfg->journal = strdup("parley.journal")))
    return parley_cfg_nomem(c);
  if (cfg_resolve_in_place(&cfg->journal, cfg->base_dir) != 0)
    return parley_cfg_nomem(c);
  if (cfg->state_dir && cfg_resolve_in_place(&cfg->state_dir, cfg->base_dir) != 0)
    return parley_cfg_nomem(c);
  if (cfg->console_dir && cfg_resolve_in_place(&cfg->console_dir, cfg->base_dir) != 0)
    return parley_cfg_nomem(c);
  for (size_t i = 0; i < cfg->n_plugin_dirs; i++)
    if (cfg_resolve_in_place(&cfg->plugin_dirs[i], cfg->base_dir) != 0)
      return parley_cfg_nomem(c);
  return 0;
}

static parley_config_t *cfg_alloc(const char *source, const char *base_dir) {
  parley_config_t *cfg = calloc(1, sizeof *cfg);
  if (!cfg)
    return NULL;
  cfg->log_level = PARLEY_LOG_INFO;
  cfg->max_body = 1024 * 1024;
  cfg->max_connections = 1024;
  cfg->queue_size = 10000;
  cfg->retention_ms = PARLEY_DEFAULT_RETENTION_MS;
  cfg->dedup_window_ms = PARLEY_DEFAULT_DEDUP_WINDOW_MS;
  cfg->max_backlog = PARLEY_DEFAULT_MAX_BACKLOG;
  cfg->auth_limit.failures = PARLEY_DEFAULT_AUTH_FAILURES;
  cfg->auth_limit.window_ms = PARLEY_DEFAULT_AUTH_WINDOW_MS;
  cfg->auth_limit.max_lockout_ms = PARLEY_DEFAULT_AUTH_MAX_LOCKOUT_MS;
  cfg->source = strdup(source);
  cfg->base_dir = base_dir ? strdup(base_dir) : NULL;
  cfg->listen = strdup("127.0.0.1:8080");
  cfg->log_format = strdup("text");
  if (!cfg->source || (base_dir && !cfg->base_dir) || !cfg->listen || !cfg->log_format) {
    parley_config_free(cfg);
    return NULL;
  }
  return cfg;
}

int parley_config_from_node(const parley_node_t *root, const char *source,
                            const char *base_dir, parley_config_t **out,
                            parley_error_t *err) {
  parley_cfgctx_t c = {.source = source ? source : "<config>", .err = err};
  if (!root || !out)
    return parley_error_set(err, PARLEY_EINVAL, "%s: no config document", c.source);
  if (root->type != PARLEY_NODE_MAP)
    return parley_cfg_fail(&c, root->line, "(top level)",
                    "expected a map with router, connectors, outputs and routes, got %s",
                    parley_cfg_kind(root));
  if (!(c.cfg = cfg_alloc(c.source, base_dir)))
    return parley_cfg_nomem(&c);
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < root->count; i++)
    rc = cfg_top(&c, root->keys[i], root->items[i]);
  if (rc == 0)
    rc = cfg_paths(&c);
  if (rc != 0) {
    parley_config_free(c.cfg);
    return rc;
  }
  *out = c.cfg;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Free and clone                                                      */
/* ------------------------------------------------------------------ */

/* The admin token is a secret: wipe it before its memory is reused. */
static void cfg_free_secret(char *s) {
  if (!s)
    return;
  for (volatile char *p = s; *p; p++)
    *p = '\0';
  free(s);
}

void parley_config_free(parley_config_t *cfg) {
  if (!cfg)
    return;
  free(cfg->source);
  free(cfg->base_dir);
  free(cfg->listen);
  parley_cfg_strv_free(cfg->plugin_dirs, cfg->n_plugin_dirs);
  free(cfg->journal);
  free(cfg->log_format);
  cfg_free_secret(cfg->admin_token);
  free(cfg->state_dir);
  parley_cfg_strv_free(cfg->agent_names, cfg->n_agents);
  for (size_t i = 0; i < cfg->n_agents; i++)
    cfg_free_secret(cfg->agent_tokens[i]);
  free(cfg->agent_tokens);
  free(cfg->console_dir);
  free(cfg->default_output);
  for (size_t i = 0; i < cfg->n_connectors; i++)
    cfg_instance_clear(&cfg->connectors[i]);
  free(cfg->connectors);
  for (size_t i = 0; i < cfg->n_outputs; i++)
    cfg_instance_clear(&cfg->outputs[i]);
  free(cfg->outputs);
  for (size_t i = 0; i < cfg->n_routes; i++)
    parley_cfg_match_clear(&cfg->routes[i]);
  free(cfg->routes);
  parley_node_free(cfg->enrich);
  free(cfg);
}

/* Copy a string that may be NULL; *ok drops to 0 when out of memory. */
static char *cfg_dup(const char *s, int *ok) {
  char *d = s ? strdup(s) : NULL;
  if (s && !d)
    *ok = 0;
  return d;
}

static char **cfg_dupv(char **v, size_t n, int *ok) {
  if (n == 0)
    return NULL;
  char **d = calloc(n, sizeof *d);
  if (!d) {
    *ok = 0;
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    d[i] = cfg_dup(v[i], ok);
  return d;
}

static parley_conf_instance_t *cfg_dup_instances(const parley_conf_instance_t *src, size_t n,
                                                 int *ok) {
  if (n == 0)
    return NULL;
  parley_conf_instance_t *d = calloc(n, sizeof *d);
  if (!d) {
    *ok = 0;
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    d[i].name = cfg_dup(src[i].name, ok);
    d[i].plugin = cfg_dup(src[i].plugin, ok);
    d[i].line = src[i].line;
    d[i].name_substituted = src[i].name_substituted;
    if (src[i].options && !(d[i].options = parley_node_clone(src[i].options)))
      *ok = 0;
  }
  return d;
}

static void cfg_dup_route(parley_conf_route_t *d, const parley_conf_route_t *s, int *ok) {
  *d = *s; /* scalars; every pointer is replaced below */
  d->name = cfg_dup(s->name, ok);
  d->platforms = cfg_dupv(s->platforms, s->n_platforms, ok);
  d->kinds = cfg_dupv(s->kinds, s->n_kinds, ok);
  d->connectors = cfg_dupv(s->connectors, s->n_connectors, ok);
  d->langs = cfg_dupv(s->langs, s->n_langs, ok);
  d->keywords = cfg_dupv(s->keywords, s->n_keywords, ok);
  d->keyword_sets = cfg_dupv(s->keyword_sets, s->n_keyword_sets, ok);
  d->outputs = cfg_dupv(s->outputs, s->n_outputs, ok);
}

parley_config_t *parley_config_clone(const parley_config_t *cfg) {
  if (!cfg)
    return NULL;
  int ok = 1;
  parley_config_t *d = calloc(1, sizeof *d);
  if (!d)
    return NULL;
  *d = *cfg; /* scalars; every pointer is replaced below */
  d->source = cfg_dup(cfg->source, &ok);
  d->base_dir = cfg_dup(cfg->base_dir, &ok);
  d->listen = cfg_dup(cfg->listen, &ok);
  d->plugin_dirs = cfg_dupv(cfg->plugin_dirs, cfg->n_plugin_dirs, &ok);
  d->journal = cfg_dup(cfg->journal, &ok);
  d->log_format = cfg_dup(cfg->log_format, &ok);
  d->admin_token = cfg_dup(cfg->admin_token, &ok);
  d->state_dir = cfg_dup(cfg->state_dir, &ok);
  d->agent_names = cfg_dupv(cfg->agent_names, cfg->n_agents, &ok);
  d->agent_tokens = cfg_dupv(cfg->agent_tokens, cfg->n_agents, &ok);
  d->console_dir = cfg_dup(cfg->console_dir, &ok);
  d->default_output = cfg_dup(cfg->default_output, &ok);
  d->connectors = cfg_dup_instances(cfg->connectors, cfg->n_connectors, &ok);
  d->outputs = cfg_dup_instances(cfg->outputs, cfg->n_outputs, &ok);
  if (cfg->enrich && !(d->enrich = parley_node_clone(cfg->enrich)))
    ok = 0;
  d->routes = cfg->n_routes ? calloc(cfg->n_routes, sizeof *d->routes) : NULL;
  if (cfg->n_routes && !d->routes)
    ok = 0;
  for (size_t i = 0; d->routes && i < cfg->n_routes; i++)
    cfg_dup_route(&d->routes[i], &cfg->routes[i], &ok);
  if (!ok) {
    /* Arrays that could not be allocated hold no items to free. */
    if (!d->plugin_dirs)
      d->n_plugin_dirs = 0;
    if (!d->agent_names || !d->agent_tokens) {
      /* free what one of the two holds; the other is NULL */
      parley_cfg_strv_free(d->agent_names, d->agent_names ? d->n_agents : 0);
      parley_cfg_strv_free(d->agent_tokens, d->agent_tokens ? d->n_agents : 0);
      d->agent_names = d->agent_tokens = NULL;
      d->n_agents = 0;
    }
    if (!d->connectors)
      d->n_connectors = 0;
    if (!d->outputs)
      d->n_outputs = 0;
    if (!d->routes)
      d->n_routes = 0;
    parley_config_free(d);
    return NULL;
  }
  return d;
}

/* ------------------------------------------------------------------ */
/* Cross-references                                                    */
/* ------------------------------------------------------------------ */

static const parley_conf_instance_t *cfg_find(const parley_conf_instance_t *v, size_t n,
                                              const char *name, size_t before) {
  for (size_t i = 0; i < n && i < before; i++)
    if (v[i].name && strcmp(v[i].name, name) == 0)
      return &v[i];
  return NULL;
}

/* A name from ${...} may be a secret put in the wrong place: not printed. */
static const char *cfg_shown(const char *name, int substituted) {
  return substituted ? "${...}" : name ? name : "";
}

static int cfg_check_instances(parley_cfgctx_t *c, const parley_conf_instance_t *v, size_t n,
                               const char *section) {
  const parley_config_t *cfg = c->cfg;
  char path[64];
  for (size_t i = 0; i < n; i++) {
    const parley_conf_instance_t *dup;
    snprintf(path, sizeof path, "%s[%zu].name", section, i);
    const char *shown = cfg_shown(v[i].name, v[i].name_substituted);
    if (!parley_util_is_instance_name(v[i].name))
      return parley_cfg_fail(c, v[i].line, path,
                      "'%.60s' is not a valid name (use letters, digits, _ and -)", shown);
    /* names are unique across connectors and outputs: both appear in
     * metrics, logs and /hooks/<name> */
    dup = cfg_find(cfg->connectors, cfg->n_connectors, v[i].name,
                   v == cfg->connectors ? i : SIZE_MAX);
    if (!dup && v == cfg->outputs)
      dup = cfg_find(cfg->outputs, cfg->n_outputs, v[i].name, i);
    if (dup)
      return parley_cfg_fail(c, v[i].line, path, "duplicate name '%s' (first used on line %d)",
                      shown, dup->line);
  }
  return 0;
}

static int cfg_check_route_names(parley_cfgctx_t *c, const parley_conf_route_t *r,
                                 const char *path) {
  const parley_config_t *cfg = c->cfg;
  for (size_t k = 0; k < r->n_outputs; k++)
    if (!cfg_find(cfg->outputs, cfg->n_outputs, r->outputs[k], SIZE_MAX))
      return parley_cfg_fail(c, r->line, path, "route '%s' sends to output '%.60s', which is not "
                      "defined in outputs", r->name ? r->name : "",
                      cfg_shown(r->outputs[k], r->names_substituted));
  for (size_t k = 0; k < r->n_connectors; k++)
    if (!cfg_find(cfg->connectors, cfg->n_connectors, r->connectors[k], SIZE_MAX))
      return parley_cfg_fail(c, r->line, path, "route '%s' matches connector '%.60s', which is not "
                      "defined in connectors", r->name ? r->name : "",
                      cfg_shown(r->connectors[k], r->names_substituted));
  return 0;
}

static int cfg_check_routes(parley_cfgctx_t *c) {
  const parley_config_t *cfg = c->cfg;
  char path[64];
  for (size_t i = 0; i < cfg->n_routes; i++) {
    const parley_conf_route_t *r = &cfg->routes[i];
    int rc;
    snprintf(path, sizeof path, "routes[%zu]", i);
    if (r->n_outputs == 0)
      return parley_cfg_fail(c, r->line, path, "a route needs at least one output");
    if ((rc = cfg_check_route_names(c, r, path)) != 0)
      return rc;
    for (size_t j = 0; j < i; j++)
      if (r->name && cfg->routes[j].name && strcmp(r->name, cfg->routes[j].name) == 0)
        return parley_cfg_fail(c, r->line, path, "duplicate route name '%.60s' (first used on line %d)",
                        r->name, cfg->routes[j].line);
    snprintf(path, sizeof path, "routes[%zu].match.kind", i);
    if ((rc = parley_cfg_kinds_ok(c, NULL, path, r->kinds, r->n_kinds)) != 0)
      return rc;
  }
  return 0;
}

int parley_config_check(const parley_config_t *cfg, parley_error_t *err) {
  if (!cfg)
    return parley_error_set(err, PARLEY_EINVAL, "no config to check");
  /* check only reads; the context's pointer is non-const for the parsers */
  parley_cfgctx_t c = {.source = cfg->source ? cfg->source : "<config>", .err = err,
                       .cfg = (parley_config_t *)cfg};
  int rc;
  if ((rc = cfg_check_instances(&c, cfg->connectors, cfg->n_connectors, "connectors")) != 0 ||
      (rc = cfg_check_instances(&c, cfg->outputs, cfg->n_outputs, "outputs")) != 0 ||
      (rc = cfg_check_routes(&c)) != 0)
    return rc;
  if (cfg->default_output && !cfg_find(cfg->outputs, cfg->n_outputs, cfg->default_output, SIZE_MAX))
    return parley_cfg_fail(&c, 0, "router.default_output", "'%.60s' is not defined in outputs",
                    cfg_shown(cfg->default_output, cfg->default_output_substituted));
  return 0;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

/* Directory part of a path ("." when there is none), made absolute so
 * relative paths keep their meaning after a chdir. */
static char *cfg_dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
  char cwd[4096];
  if (!dir || dir[0] == '/' || !getcwd(cwd, sizeof cwd))
    return dir;
  char *abs = strcmp(dir, ".") == 0 ? strdup(cwd) : parley_asprintf("%s/%s", cwd, dir);
  free(dir);
  return abs;
}

static int cfg_parse_text(const char *text, size_t len, const char *format, const char *name,
                          parley_node_t **root, parley_error_t *err) {
  if (format && strcmp(format, "yaml") == 0)
    return parley_config_parse_yaml(text, len, name, root, err);
  if (format && strcmp(format, "json") == 0)
    return parley_config_parse_json(text, len, name, root, err);
  return parley_error_set(err, PARLEY_EINVAL, "%s: unknown config format '%s' (use yaml or json)",
                          name, format ? format : "(null)");
}

int parley_config_load_string(parley_config_t **out, const char *text, size_t len,
                              const char *format, const char *name, parley_error_t *err) {
  parley_node_t *root = NULL;
  parley_config_t *cfg = NULL;
  name = name ? name : "<string>";
  if (!out || !text)
    return parley_error_set(err, PARLEY_EINVAL, "%s: no config text", name);
  int rc = cfg_parse_text(text, len, format, name, &root, err);
  if (rc != 0)
    return rc;
  char *dir = cfg_dir_of(name);
  if (!dir) {
    parley_node_free(root);
    return parley_error_set(err, PARLEY_ENOMEM, "%s: out of memory", name);
  }
  rc = parley_config_from_node(root, name, dir, &cfg, err);
  free(dir);
  parley_node_free(root);
  if (rc == 0 && (rc = parley_config_check(cfg, err)) != 0) {
    parley_config_free(cfg);
    cfg = NULL;
  }
  if (rc == 0)
    *out = cfg;
  return rc;
}

static const char *cfg_format_of(const char *path) {
  const char *dot = strrchr(path, '.');
  if (dot && strchr(dot, '/'))
    dot = NULL;
  if (dot && (strcasecmp(dot, ".yaml") == 0 || strcasecmp(dot, ".yml") == 0))
    return "yaml";
  if (dot && strcasecmp(dot, ".json") == 0)
    return "json";
  return NULL;
}

static int cfg_read_file(const char *path, char **text, size_t *len, parley_error_t *err) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return parley_error_set(err, errno == ENOENT ? PARLEY_ENOENT : PARLEY_EIO,
                            "%s: cannot open: %s", path, strerror(errno));
  char *buf = malloc(PARLEY_CONFIG_FILE_MAX + 1);
  if (!buf) {
    fclose(f);
    return parley_error_set(err, PARLEY_ENOMEM, "%s: out of memory", path);
  }
  size_t n = fread(buf, 1, PARLEY_CONFIG_FILE_MAX + 1, f);
  int bad = ferror(f);
  fclose(f);
  if (bad || n > PARLEY_CONFIG_FILE_MAX) {
    free(buf);
    return bad ? parley_error_set(err, PARLEY_EIO, "%s: read error", path)
               : parley_error_set(err, PARLEY_ETOOBIG, "%s: larger than %u bytes", path,
                                  PARLEY_CONFIG_FILE_MAX);
  }
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return 0;
}

int parley_config_load_file(parley_config_t **out, const char *path, parley_error_t *err) {
  char *text = NULL;
  size_t len = 0;
  if (!out || !path)
    return parley_error_set(err, PARLEY_EINVAL, "no config file given");
  const char *format = cfg_format_of(path);
  if (!format)
    return parley_error_set(err, PARLEY_EINVAL,
                            "%s: unknown config format (name the file .yaml, .yml or .json)",
                            path);
  int rc = cfg_read_file(path, &text, &len, err);
  if (rc != 0)
    return rc;
  rc = parley_config_load_string(out, text, len, format, path, err);
  free(text);
  return rc;
}
