/* parley core — the config model (internal side of parley_config_t).
 *
 * The readers (config_yaml.c, config_json.c) turn text into a node tree
 * (node.h) with ${ENV}/${file:} substituted; config.c checks the tree's
 * shape — top-level keys router, connectors, outputs, routes; unknown keys
 * are errors — and fills this struct. Plugin options stay as nodes: they
 * are bound to the plugin's option table (options.h) once the plugin is
 * loaded, so the messages can still name file:line. */
#ifndef PARLEY_CORE_CONFIG_H
#define PARLEY_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "node.h"
#include "parley/parley.h"

/* Router defaults (docs/config-reference.md says why). */
#define PARLEY_DEFAULT_RETENTION_MS (7 * 86400000LL)     /* 7d */
#define PARLEY_DEFAULT_DEDUP_WINDOW_MS (30 * 86400000LL) /* 30d */
#define PARLEY_DEFAULT_MAX_BACKLOG (1024ULL * 1024 * 1024) /* 1GiB */
#define PARLEY_DEFAULT_AUTH_FAILURES 5
#define PARLEY_DEFAULT_AUTH_WINDOW_MS (10 * 60000LL)      /* 10m */
#define PARLEY_DEFAULT_AUTH_MAX_LOCKOUT_MS (5 * 60000LL)  /* 5m */

typedef struct parley_conf_instance {
  char *name;               /* unique among connectors and outputs */
  char *plugin;             /* connector plugin name or path; output type */
  parley_node_t *options;   /* MAP or NULL */
  int line;                 /* where the entry starts, 0 if built in code */
  int name_substituted;     /* name came from ${ENV} or ${file:}: errors never print it */
} parley_conf_instance_t;

typedef struct parley_conf_route {
  char *name;               /* optional; "routes[i]" when unset */
  /* match: every non-empty criterion must hold; lists are any-of */
  char **platforms; size_t n_platforms;
  char **kinds; size_t n_kinds;             /* validated wire names */
  char **connectors; size_t n_connectors;
  char **langs; size_t n_langs;
  char **keywords; size_t n_keywords;       /* case-insensitive, any-of, in text */
  char **keyword_sets; size_t n_keyword_sets; /* any-of, in signals.keywords */
  int min_priority;                          /* -1: any */
  int64_t min_followers;                     /* -1: any */
  int visibility;                            /* -1 any, else parley_visibility_t */
  char **outputs; size_t n_outputs;          /* at least one */
  int line;
  int names_substituted; /* an output or connector name came from ${...}: never printed */
} parley_conf_route_t;

/* router.http: the HTTP server's limits (docs/http.md); 0: the server's default. */
typedef struct parley_conf_http {
  int64_t header_timeout_ms, body_timeout_ms, idle_timeout_ms;
  int64_t stream_keepalive_ms; /* ": keepalive" on event streams; 0: 15 s */
  size_t max_per_client, max_header_bytes, max_headers, max_request_line, max_requests;
} parley_conf_http_t;

/* router.auth_limit: wrong tokens per client address (docs/auth.md). */
typedef struct parley_conf_auth_limit {
  unsigned failures;        /* allowed before a lockout; 0: no limit */
  int64_t window_ms;        /* an address quiet this long is forgotten */
  int64_t max_lockout_ms;   /* lockouts double up to this */
} parley_conf_auth_limit_t;

struct parley_config {
  char *source;             /* file path or given name, for messages */
  char *base_dir;           /* relative paths resolve from here */

  /* router: */
  char *listen;             /* "127.0.0.1:8080" default; "" disables */
  char **plugin_dirs; size_t n_plugin_dirs;
  char *journal;            /* default <base_dir>/parley.journal */
  int log_level;            /* parley_log_level_t, default INFO */
  char *log_format;         /* "text" (default) or "json" */
  char *admin_token;        /* secret, may be NULL: read or made in state_dir */
  char *state_dir;          /* default: the journal's directory */
  int admin_auth_none;      /* router.admin_auth: none (loopback listeners only) */
  int secure_cookies;       /* router.secure_cookies: the session cookie gets Secure */
  char **agent_names;       /* router.agents: names and their (secret) tokens */
  char **agent_tokens; size_t n_agents;
  parley_conf_auth_limit_t auth_limit; /* router.auth_limit: */
  char *console_dir;        /* the console's static files; NULL: the installed copy */
  size_t max_body;          /* webhook body limit, default 1 MiB */
  size_t max_connections;   /* default 1024; router.http.max_connections is the same */
  parley_conf_http_t http;  /* router.http: */
  size_t queue_size;        /* per-output in-memory queue bound, default 10000 */
  int64_t retention_ms;     /* delivered events' bodies kept this long; 0 keeps them. 7d */
  int64_t dedup_window_ms;  /* event ids kept at least this long for dedup. 30d */
  uint64_t max_backlog;     /* undelivered bytes before sources pause; 0 no bound. 1GiB */
  int64_t max_backlog_age_ms; /* oldest undelivered age before sources pause; 0 none */
  char *default_output;     /* for unrouted events; NULL: count only */
  int default_output_substituted; /* it came from ${...}: errors never print it */

  parley_conf_instance_t *connectors; size_t n_connectors;
  parley_conf_instance_t *outputs; size_t n_outputs;
  parley_conf_route_t *routes; size_t n_routes;
  parley_node_t *enrich;    /* the enrich: section, checked at load (config_enrich.h); NULL: off */
};

/* Parse text (format "yaml" or "json") into a node tree with substitution.
 * name is used in messages. Errors: "name:line:col: what". */
int parley_config_parse_yaml(const char *text, size_t len, const char *name,
                             parley_node_t **out, parley_error_t *err);
int parley_config_parse_json(const char *text, size_t len, const char *name,
                             parley_node_t **out, parley_error_t *err);
/* Substitute ${VAR} and ${file:/path} in s. Sets *substituted when anything
 * was. Missing variable or unreadable file: PARLEY_ECONFIG naming it. */
int parley_config_substitute(const char *s, char **out, int *substituted,
                             parley_error_t *err);
/* Build the model from a tree; err names source:line and the key path. */
int parley_config_from_node(const parley_node_t *root, const char *source,
                            const char *base_dir, parley_config_t **out,
                            parley_error_t *err);
/* Deep copy (the router keeps its own). */
parley_config_t *parley_config_clone(const parley_config_t *cfg);
/* Check cross-references: unique names, routes name existing outputs. */
/* A route match in its string form, "field=value[,field=value...]" (the
 * form parley_config_add_route takes; a field may repeat: any-of), into r
 * (initialised here; free with parley_config_match_free). NULL or "" match
 * every event. PARLEY_EINVAL with msg naming the bad part, PARLEY_ENOMEM. */
int parley_config_parse_match(const char *match, parley_conf_route_t *r, char *msg,
                              size_t len);
void parley_config_match_free(parley_conf_route_t *r);
int parley_config_check(const parley_config_t *cfg, parley_error_t *err);

#endif
