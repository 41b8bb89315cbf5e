/* Config loader: YAML/JSON to model, substitution, validation, builder.
 * Every error is expected to read "<file>:<line>: <key path>: <what>". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "parley/parley.h"

#define DATA PARLEY_SOURCE_DIR "/tests/unit/data/config"
#define TOKEN "s3cr3t-t0ken-value"

static int load_yaml(const char *text, parley_config_t **cfg, parley_error_t *err) {
  return parley_config_load_string(cfg, text, strlen(text), "yaml", "parley.yaml", err);
}

static void assert_message_has(const parley_error_t *err, const char *part) {
  if (!strstr(err->message, part))
    fail_msg("expected '%s' in error message: %s", part, err->message);
}

/* Load text that must fail with ECONFIG (or EPARSE) naming every part. */
static void assert_yaml_fails(const char *text, int code, const char *part1, const char *part2) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  assert_int_equal(load_yaml(text, &cfg, &err), code);
  assert_null(cfg);
  assert_int_equal(err.code, code);
  assert_message_has(&err, part1);
  if (part2)
    assert_message_has(&err, part2);
}

static int set_token_env(void **state) {
  (void)state;
  setenv("PARLEY_TEST_ADMIN_TOKEN", TOKEN, 1);
  unsetenv("PARLEY_TEST_UNSET");
  return 0;
}

/* ---- reading a whole config ---- */

static void full_yaml_fills_every_field(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(parley_config_load_file(&cfg, DATA "/full.yaml", &err), 0);
  assert_string_equal(cfg->listen, "127.0.0.1:9090");
  assert_int_equal(cfg->n_plugin_dirs, 2);
  assert_string_equal(cfg->plugin_dirs[0], DATA "/plugins"); /* relative: from the config */
  assert_string_equal(cfg->plugin_dirs[1], "/usr/lib/parley/plugins");
  assert_string_equal(cfg->journal, DATA "/var/parley.journal");
  assert_int_equal(cfg->log_level, PARLEY_LOG_DEBUG);
  assert_string_equal(cfg->log_format, "json");
  assert_string_equal(cfg->admin_token, TOKEN);
  assert_int_equal(cfg->max_body, 512 * 1024);
  assert_int_equal(cfg->max_connections, 64);
  assert_int_equal(cfg->queue_size, 500);
  assert_string_equal(cfg->default_output, "archive");
  assert_int_equal(cfg->n_connectors, 2);
  assert_string_equal(cfg->connectors[0].name, "brand-twitter");
  assert_string_equal(cfg->connectors[0].plugin, "twitter");
  assert_int_equal(cfg->connectors[0].line, 15);
  assert_non_null(parley_node_get(cfg->connectors[0].options, "poll"));
  assert_null(cfg->connectors[1].options);
  assert_int_equal(cfg->n_outputs, 2);
  assert_string_equal(cfg->outputs[1].plugin, "webhook");
  assert_int_equal(cfg->n_routes, 2);
  assert_string_equal(cfg->routes[0].name, "urgent");
  assert_int_equal(cfg->routes[0].n_kinds, 2);
  assert_string_equal(cfg->routes[0].kinds[1], "direct_message");
  assert_int_equal(cfg->routes[0].min_followers, 1000);
  assert_int_equal(cfg->routes[0].visibility, PARLEY_VISIBILITY_PUBLIC);
  assert_int_equal(cfg->routes[0].n_outputs, 2);
  assert_string_equal(cfg->routes[1].name, "routes[1]");
  assert_int_equal(cfg->routes[1].min_followers, -1);
  assert_int_equal(cfg->routes[1].visibility, -1);
  assert_int_equal(cfg->routes[1].n_outputs, 1);
  parley_config_free(cfg);
}

static void empty_config_has_the_documented_defaults(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(parley_config_load_string(&cfg, "", 0, "yaml", "/etc/parley/p.yaml", &err), 0);
  assert_string_equal(cfg->listen, "127.0.0.1:8080");
  assert_string_equal(cfg->journal, "/etc/parley/parley.journal");
  assert_int_equal(cfg->log_level, PARLEY_LOG_INFO);
  assert_string_equal(cfg->log_format, "text");
  assert_null(cfg->admin_token);
  assert_int_equal(cfg->max_body, 1024 * 1024);
  assert_int_equal(cfg->max_connections, 1024);
  assert_int_equal(cfg->queue_size, 10000);
  assert_int_equal(cfg->retention_ms, 7 * 86400000LL);
  assert_int_equal(cfg->dedup_window_ms, 30 * 86400000LL);
  assert_int_equal(cfg->max_backlog, 1024ULL * 1024 * 1024);
  assert_int_equal(cfg->max_backlog_age_ms, 0);
  assert_int_equal(cfg->auth_limit.failures, 5);
  assert_int_equal(cfg->auth_limit.window_ms, 600000);
  assert_int_equal(cfg->auth_limit.max_lockout_ms, 300000);
  assert_null(cfg->default_output);
  assert_int_equal(cfg->n_plugin_dirs + cfg->n_connectors + cfg->n_outputs + cfg->n_routes, 0);
  parley_config_free(cfg);
}

static void strv_equal(char **a, size_t na, char **b, size_t nb) {
  assert_int_equal(na, nb);
  for (size_t i = 0; i < na; i++)
    assert_string_equal(a[i], b[i]);
}

static void node_equal(const parley_node_t *a, const parley_node_t *b) {
  if (!a || !b) {
    assert_ptr_equal(a, b);
    return;
  }
  assert_int_equal(a->type, b->type);
  if (a->type == PARLEY_NODE_SCALAR)
    assert_string_equal(a->value, b->value);
  assert_int_equal(a->substituted, b->substituted);
  assert_int_equal(a->count, b->count);
  for (size_t i = 0; i < a->count; i++) {
    if (a->type == PARLEY_NODE_MAP)
      assert_string_equal(a->keys[i], b->keys[i]);
    node_equal(a->items[i], b->items[i]);
  }
}

static void instances_equal(const parley_conf_instance_t *a, const parley_conf_instance_t *b,
                            size_t n) {
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(a[i].name, b[i].name);
    assert_string_equal(a[i].plugin, b[i].plugin);
    node_equal(a[i].options, b[i].options);
  }
}

static void routes_equal(const parley_conf_route_t *a, const parley_conf_route_t *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(a[i].name, b[i].name);
    strv_equal(a[i].platforms, a[i].n_platforms, b[i].platforms, b[i].n_platforms);
    strv_equal(a[i].kinds, a[i].n_kinds, b[i].kinds, b[i].n_kinds);
    strv_equal(a[i].connectors, a[i].n_connectors, b[i].connectors, b[i].n_connectors);
    strv_equal(a[i].langs, a[i].n_langs, b[i].langs, b[i].n_langs);
    strv_equal(a[i].keywords, a[i].n_keywords, b[i].keywords, b[i].n_keywords);
    strv_equal(a[i].outputs, a[i].n_outputs, b[i].outputs, b[i].n_outputs);
    assert_int_equal(a[i].min_followers, b[i].min_followers);
    assert_int_equal(a[i].visibility, b[i].visibility);
  }
}

/* Two configs describe the same thing (positions and source aside). */
static void models_equal(const parley_config_t *a, const parley_config_t *b) {
  assert_string_equal(a->listen, b->listen);
  strv_equal(a->plugin_dirs, a->n_plugin_dirs, b->plugin_dirs, b->n_plugin_dirs);
  assert_string_equal(a->journal, b->journal);
  assert_int_equal(a->log_level, b->log_level);
  assert_string_equal(a->log_format, b->log_format);
  assert_string_equal(a->admin_token, b->admin_token);
  assert_int_equal(a->max_body, b->max_body);
  assert_int_equal(a->max_connections, b->max_connections);
  assert_int_equal(a->queue_size, b->queue_size);
  assert_string_equal(a->default_output, b->default_output);
  assert_int_equal(a->n_connectors, b->n_connectors);
  instances_equal(a->connectors, b->connectors, a->n_connectors);
  assert_int_equal(a->n_outputs, b->n_outputs);
  instances_equal(a->outputs, b->outputs, a->n_outputs);
  assert_int_equal(a->n_routes, b->n_routes);
  routes_equal(a->routes, b->routes, a->n_routes);
}

static void yaml_and_json_give_the_same_model(void **state) {
  parley_config_t *y = NULL, *j = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(parley_config_load_file(&y, DATA "/full.yaml", &err), 0);
  assert_int_equal(parley_config_load_file(&j, DATA "/full.json", &err), 0);
  models_equal(y, j);
  parley_config_free(y);
  parley_config_free(j);
}

static void json_errors_name_the_line(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(parley_config_load_file(&cfg, DATA "/typo.json", &err), PARLEY_ECONFIG);
  assert_message_has(&err, "typo.json:4: router.lisen: unknown key");
}

static void json_with_a_byte_order_mark_loads(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  const char *text = "\xEF\xBB\xBF{\"router\": {\"log_level\": \"warn\"}}";
  (void)state;
  assert_int_equal(parley_config_load_string(&cfg, text, strlen(text), "json", "p.json", &err), 0);
  assert_int_equal(cfg->log_level, PARLEY_LOG_WARN);
  parley_config_free(cfg);
}

static void clone_is_deep_and_equal(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(parley_config_load_file(&cfg, DATA "/full.yaml", &err), 0);
  parley_config_t *copy = parley_config_clone(cfg);
  assert_non_null(copy);
  assert_ptr_not_equal(copy->routes[0].kinds, cfg->routes[0].kinds);
  models_equal(cfg, copy);
  parley_config_free(cfg);
  assert_string_equal(copy->routes[0].keywords[1], "broken"); /* survives the original */
  parley_config_free(copy);
}

/* ---- unknown keys ---- */

static void typo_at_top_level_names_file_line_and_key(void **state) {
  (void)state;
  assert_yaml_fails("router:\n  listen: ''\nrouters:\n  x: 1\n", PARLEY_ECONFIG,
                    "parley.yaml:3: routers: unknown top-level key", NULL);
}

static void typo_inside_router_names_file_line_and_key(void **state) {
  (void)state;
  assert_yaml_fails("router:\n  log_level: info\n  lisen: 0.0.0.0:80\n", PARLEY_ECONFIG,
                    "parley.yaml:3: router.lisen: unknown key", NULL);
}

static void unknown_key_in_a_connector_entry_is_an_error(void **state) {
  (void)state;
  assert_yaml_fails("connectors:\n  - name: a\n    plugin: twitter\n    optons: {}\n",
                    PARLEY_ECONFIG, "parley.yaml:4: connectors[0].optons: unknown key", NULL);
}

/* ---- values ---- */

static void bad_log_level_is_named(void **state) {
  (void)state;
  assert_yaml_fails("router:\n  log_level: loud\n", PARLEY_ECONFIG,
                    "parley.yaml:2: router.log_level: 'loud' is not a log level", NULL);
}

static void max_body_takes_sizes_with_units(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(load_yaml("router:\n  max_body: 1MiB\n", &cfg, &err), 0);
  assert_int_equal(cfg->max_body, 1024 * 1024);
  parley_config_free(cfg);
  assert_int_equal(load_yaml("router:\n  max_body: 2048\n", &cfg, &err), 0);
  assert_int_equal(cfg->max_body, 2048);
  parley_config_free(cfg);
  assert_yaml_fails("router:\n  max_body: 5 MB\n", PARLEY_ECONFIG,
                    "parley.yaml:2: router.max_body: '5 MB' is not a size", NULL);
}

static void retention_and_backlog_bounds_take_durations_and_sizes(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(load_yaml("router:\n  retention: 2d\n  dedup_window: 90d\n"
                             "  max_backlog: 512MiB\n  max_backlog_age: 1h30m\n",
                             &cfg, &err), 0);
  assert_int_equal(cfg->retention_ms, 2 * 86400000LL);
  assert_int_equal(cfg->dedup_window_ms, 90 * 86400000LL);
  assert_int_equal(cfg->max_backlog, 512ULL * 1024 * 1024);
  assert_int_equal(cfg->max_backlog_age_ms, 5400000);
  parley_config_free(cfg);
  /* 0 turns each off */
  assert_int_equal(load_yaml("router:\n  retention: 0\n  max_backlog: 0\n", &cfg, &err), 0);
  assert_int_equal(cfg->retention_ms, 0);
  assert_int_equal(cfg->max_backlog, 0);
  parley_config_free(cfg);
  assert_yaml_fails("router:\n  log_level: info\n  retention: a week\n", PARLEY_ECONFIG,
                    "parley.yaml:3: router.retention: 'a week' is not a duration", NULL);
  assert_yaml_fails("router:\n  max_backlog: 512MB\n", PARLEY_ECONFIG,
                    "parley.yaml:2: router.max_backlog: '512MB' is not a size or 0", NULL);
  assert_yaml_fails("router:\n  max_backlog_age: [1h]\n", PARLEY_ECONFIG,
                    "parley.yaml:2: router.max_backlog_age:", NULL);
  assert_yaml_fails("router:\n  dedup_window: -1d\n", PARLEY_ECONFIG,
                    "parley.yaml:2: router.dedup_window: '-1d' is not a duration", NULL);
}

static void listen_empty_disables_and_garbage_is_refused(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(load_yaml("router:\n  listen: \"\"\n", &cfg, &err), 0);
  assert_string_equal(cfg->listen, "");
  parley_config_free(cfg);
  assert_yaml_fails("router:\n  listen: localhost\n", PARLEY_ECONFIG,
                    "parley.yaml:2: router.listen: 'localhost' is not an address", NULL);
}

static void console_dir_resolves_from_the_config_and_refuses_empty(void **state) {
  parley_config_t *cfg = NULL, *copy;
  parley_error_t err = {0};
  const char *text = "router:\n  console_dir: www/console\n";
  (void)state;
  assert_int_equal(parley_config_load_string(&cfg, "", 0, "yaml", "/etc/parley/p.yaml", &err), 0);
  assert_null(cfg->console_dir); /* the installed copy */
  parley_config_free(cfg);
  assert_int_equal(parley_config_load_string(&cfg, text, strlen(text), "yaml",
                                             "/etc/parley/p.yaml", &err), 0);
  assert_string_equal(cfg->console_dir, "/etc/parley/www/console");
  copy = parley_config_clone(cfg);
  assert_non_null(copy);
  assert_string_equal(copy->console_dir, cfg->console_dir);
  assert_ptr_not_equal(copy->console_dir, cfg->console_dir);
  parley_config_free(copy);
  parley_config_free(cfg);
  assert_yaml_fails("router:\n  console_dir: \"\"\n", PARLEY_ECONFIG, "parley.yaml:2",
                    "router.console_dir: the console directory is empty");
}

static void plugin_dir_takes_a_single_string(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(load_yaml("router:\n  plugin_dir: /opt/parley\n", &cfg, &err), 0);
  assert_int_equal(cfg->n_plugin_dirs, 1);
  assert_string_equal(cfg->plugin_dirs[0], "/opt/parley");
  parley_config_free(cfg);
}

static void map_where_a_string_is_expected_is_an_error(void **state) {
  (void)state;
  assert_yaml_fails("router:\n  journal:\n    path: x\n", PARLEY_ECONFIG,
                    "parley.yaml:2: router.journal: expected a string, got a map", NULL);
}

/* ---- substitution ---- */

static void env_variable_is_substituted(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(load_yaml("router:\n  admin_token: \"${PARLEY_TEST_ADMIN_TOKEN}\"\n", &cfg, &err),
                   0);
  assert_string_equal(cfg->admin_token, TOKEN);
  parley_config_free(cfg);
}

static void missing_env_variable_names_the_variable_and_line(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(load_yaml("router:\n  log_level: info\n  admin_token: ${PARLEY_TEST_UNSET}\n",
                             &cfg, &err),
                   PARLEY_ECONFIG);
  assert_message_has(&err, "parley.yaml:3:");
  assert_message_has(&err, "router.admin_token");
  assert_message_has(&err, "environment variable PARLEY_TEST_UNSET is not set");
}

static void file_reference_reads_the_file_without_its_newline(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(load_yaml("router:\n  admin_token: ${file:" DATA "/secret.txt}\n", &cfg, &err),
                   0);
  assert_string_equal(cfg->admin_token, "tok-from-file");
  parley_config_free(cfg);
}

static void unreadable_file_reference_names_the_path(void **state) {
  (void)state;
  assert_yaml_fails("router:\n  admin_token: ${file:/nonexistent/parley-token}\n", PARLEY_ECONFIG,
                    "parley.yaml:2:", "${file:/nonexistent/parley-token}");
}

static void double_dollar_escapes_a_reference(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(load_yaml("router:\n  journal: /tmp/$${HOME}/j\n", &cfg, &err), 0);
  assert_string_equal(cfg->journal, "/tmp/${HOME}/j");
  parley_config_free(cfg);
}

static void substitute_marks_what_it_replaced(void **state) {
  char *out = NULL;
  int subst = -1;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(parley_config_substitute("a-${PARLEY_TEST_ADMIN_TOKEN}-b", &out, &subst, &err),
                   0);
  assert_string_equal(out, "a-" TOKEN "-b");
  assert_int_equal(subst, 1);
  free(out);
}

static void dollar_without_brace_is_kept(void **state) {
  char *out = NULL;
  int subst = -1;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(parley_config_substitute("cost: $5 or $", &out, &subst, &err), 0);
  assert_string_equal(out, "cost: $5 or $");
  assert_int_equal(subst, 0);
  free(out);
}

static void unterminated_reference_is_an_error(void **state) {
  char *out = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(parley_config_substitute("${NOT_CLOSED", &out, NULL, &err), PARLEY_ECONFIG);
  assert_null(out);
  assert_message_has(&err, "unterminated '${'");
}

static void invalid_variable_name_is_an_error(void **state) {
  char *out = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(parley_config_substitute("${MY VAR}", &out, NULL, &err), PARLEY_ECONFIG);
  assert_message_has(&err, "'${MY VAR}' is not a valid variable reference");
}

static void substituted_text_is_not_substituted_again(void **state) {
  char *out = NULL;
  int subst = 0;
  parley_error_t err = {0};
  (void)state;
  setenv("PARLEY_TEST_INDIRECT", "${PARLEY_TEST_ADMIN_TOKEN}", 1);
  assert_int_equal(parley_config_substitute("${PARLEY_TEST_INDIRECT}", &out, &subst, &err), 0);
  assert_string_equal(out, "${PARLEY_TEST_ADMIN_TOKEN}");
  free(out);
}

/* ---- secrets never appear in messages ---- */

static void substituted_value_is_not_quoted_in_errors(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(load_yaml("router:\n  log_level: ${PARLEY_TEST_ADMIN_TOKEN}\n", &cfg, &err),
                   PARLEY_ECONFIG);
  assert_null(strstr(err.message, TOKEN));
  assert_message_has(&err, "parley.yaml:2: router.log_level: the value from ${...}");
}

static void malformed_json_error_does_not_quote_the_text(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  const char *text = "{\"router\": {\"admin_token\": \"" TOKEN "\" \"x\": 1}}";
  (void)state;
  assert_int_equal(parley_config_load_string(&cfg, text, strlen(text), "json", "p.json", &err),
                   PARLEY_EPARSE);
  assert_message_has(&err, "p.json:1:");
  assert_null(strstr(err.message, TOKEN));
}

static void secret_is_not_quoted_in_any_router_error(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  (void)state;
  /* every failure on the token's own line, and a later one */
  assert_int_equal(load_yaml("router:\n  admin_token: [" TOKEN "]\n", &cfg, &err),
                   PARLEY_ECONFIG);
  assert_null(strstr(err.message, TOKEN));
  assert_int_equal(load_yaml("router:\n  admin_token: " TOKEN "\n  max_body: x\n", &cfg, &err),
                   PARLEY_ECONFIG);
  assert_null(strstr(err.message, TOKEN));
}

/* ---- syntax ---- */

static void yaml_syntax_error_names_line_and_column(void **state) {
  (void)state;
  assert_yaml_fails("router:\n  listen: [a, b\n", PARLEY_EPARSE, "parley.yaml:3:",
                    "YAML syntax error");
}

static void json_syntax_error_names_line_and_column(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  const char *text = "{\n  \"router\": {\n    \"listen\": \"x\",\n  }\n}\n";
  (void)state;
  assert_int_equal(parley_config_load_string(&cfg, text, strlen(text), "json", "p.json", &err),
                   PARLEY_EPARSE);
  assert_message_has(&err, "p.json:4:");
  assert_message_has(&err, "JSON syntax error");
}

static void duplicate_yaml_key_is_an_error(void **state) {
  (void)state;
  assert_yaml_fails("router:\n  listen: ''\n  listen: ':1'\n", PARLEY_EPARSE,
                    "parley.yaml:3:3: router: duplicate key 'listen'", NULL);
}

static void yaml_aliases_are_refused(void **state) {
  (void)state;
  assert_yaml_fails("router:\n  journal: &j /tmp/j\n  default_output: *j\n", PARLEY_EPARSE,
                    "parley.yaml:3:", "aliases");
}

static void top_level_list_is_refused(void **state) {
  (void)state;
  assert_yaml_fails("- router\n", PARLEY_ECONFIG, "parley.yaml:1:", "expected a map");
}

static void unknown_file_extension_is_refused(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(parley_config_load_file(&cfg, DATA "/parley.toml", &err), PARLEY_EINVAL);
  assert_message_has(&err, ".yaml, .yml or .json");
}

static void missing_file_is_not_found(void **state) {
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(parley_config_load_file(&cfg, DATA "/absent.yaml", &err), PARLEY_ENOENT);
  assert_message_has(&err, "absent.yaml: cannot open");
}

/* ---- routes and names ---- */

static void unknown_kind_in_a_route_is_named(void **state) {
  (void)state;
  assert_yaml_fails("outputs:\n  - {name: o, type: ndjson}\nroutes:\n"
                    "  - match:\n      kind: [mention, mentions]\n    outputs: o\n",
                    PARLEY_ECONFIG, "parley.yaml:5: routes[0].match.kind: 'mentions' is not an event kind",
                    NULL);
}

static void unknown_kind_in_a_block_list_names_the_item_line(void **state) {
  (void)state;
  assert_yaml_fails("outputs:\n  - {name: o, type: ndjson}\nroutes:\n"
                    "  - match:\n      kind:\n        - mention\n        - replies\n    outputs: o\n",
                    PARLEY_ECONFIG, "parley.yaml:7: routes[0].match.kind: 'replies'", NULL);
}

static void route_to_a_missing_output_is_an_error(void **state) {
  (void)state;
  assert_yaml_fails("outputs:\n  - {name: o, type: ndjson}\nroutes:\n"
                    "  - outputs: [o, nowhere]\n",
                    PARLEY_ECONFIG, "parley.yaml:4: routes[0]", "output 'nowhere'");
}

static void route_without_outputs_is_an_error(void **state) {
  (void)state;
  assert_yaml_fails("routes:\n  - match: {kind: mention}\n", PARLEY_ECONFIG,
                    "parley.yaml:2: routes[0]: missing 'outputs'", NULL);
}

static void unknown_match_field_is_an_error(void **state) {
  (void)state;
  assert_yaml_fails("outputs:\n  - {name: o, type: ndjson}\nroutes:\n"
                    "  - match: {sentiment: negative}\n    outputs: o\n",
                    PARLEY_ECONFIG, "parley.yaml:4: routes[0].match.sentiment: unknown match field",
                    NULL);
}

static void bad_visibility_is_named(void **state) {
  (void)state;
  assert_yaml_fails("outputs:\n  - {name: o, type: ndjson}\nroutes:\n"
                    "  - match: {visibility: secret}\n    outputs: o\n",
                    PARLEY_ECONFIG, "routes[0].match.visibility: 'secret' is not a visibility", NULL);
}

static void duplicate_connector_names_are_an_error(void **state) {
  (void)state;
  assert_yaml_fails("connectors:\n  - {name: a, plugin: twitter}\n  - {name: a, plugin: tiktok}\n",
                    PARLEY_ECONFIG, "parley.yaml:3: connectors[1].name: duplicate name 'a'",
                    "line 2");
}

static void output_may_not_reuse_a_connector_name(void **state) {
  (void)state;
  assert_yaml_fails("connectors:\n  - {name: a, plugin: twitter}\noutputs:\n  - {name: a, type: ndjson}\n",
                    PARLEY_ECONFIG, "parley.yaml:4: outputs[0].name: duplicate name 'a'", NULL);
}

static void invalid_instance_name_is_an_error(void **state) {
  (void)state;
  assert_yaml_fails("connectors:\n  - {name: 'my account', plugin: twitter}\n", PARLEY_ECONFIG,
                    "parley.yaml:2: connectors[0].name: 'my account' is not a valid name", NULL);
}

/* found by fuzzing: a name from ${...} (a secret put in the wrong place)
 * was quoted in the error */
static void substituted_instance_name_is_never_printed(void **state) {
  (void)state;
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  assert_int_equal(load_yaml("connectors:\n  - {name: 'a ${PARLEY_TEST_ADMIN_TOKEN}', plugin: twitter}\n",
                             &cfg, &err), PARLEY_ECONFIG);
  assert_null(cfg);
  assert_message_has(&err, "connectors[0].name: '${...}' is not a valid name");
  assert_null(strstr(err.message, TOKEN));
  assert_int_equal(load_yaml("connectors:\n  - {name: x, plugin: twitter}\n"
                             "  - {name: '${PARLEY_TEST_ADMIN_TOKEN}', plugin: twitter}\n"
                             "outputs:\n  - {name: '${PARLEY_TEST_ADMIN_TOKEN}', type: ndjson}\n",
                             &cfg, &err), PARLEY_ECONFIG);
  assert_message_has(&err, "duplicate name '${...}'");
  assert_null(strstr(err.message, TOKEN));
}

/* found by fuzzing: a reference to an output or connector from ${...}
 * that names none was quoted in the error */
static void substituted_reference_is_never_printed(void **state) {
  (void)state;
  static const char *const yaml[] = {
      "router:\n  default_output: 'all${PARLEY_TEST_ADMIN_TOKEN}'\n",
      "outputs:\n  - {name: out, type: ndjson}\n"
      "routes:\n  - {outputs: [out, '${PARLEY_TEST_ADMIN_TOKEN}']}\n",
      "outputs:\n  - {name: out, type: ndjson}\n"
      "routes:\n  - {match: {connector: '${PARLEY_TEST_ADMIN_TOKEN}'}, outputs: [out]}\n",
  };
  static const char *const said[] = {
      "router.default_output: '${...}' is not defined in outputs",
      "sends to output '${...}', which is not defined",
      "matches connector '${...}', which is not defined",
  };
  for (size_t i = 0; i < sizeof yaml / sizeof *yaml; i++) {
    parley_config_t *cfg = NULL;
    parley_error_t err = {0};
    assert_int_equal(load_yaml(yaml[i], &cfg, &err), PARLEY_ECONFIG);
    assert_null(cfg);
    assert_message_has(&err, said[i]);
    assert_null(strstr(err.message, TOKEN));
  }
}

static void connector_without_plugin_is_an_error(void **state) {
  (void)state;
  assert_yaml_fails("connectors:\n  - name: a\n", PARLEY_ECONFIG,
                    "parley.yaml:2: connectors[0]: missing 'plugin'", NULL);
}

static void default_output_must_exist(void **state) {
  (void)state;
  assert_yaml_fails("router:\n  default_output: archive\n", PARLEY_ECONFIG,
                    "router.default_output: 'archive' is not defined in outputs", NULL);
}

/* ---- building in code ---- */

static void builder_makes_a_config_that_checks(void **state) {
  parley_config_t *cfg = parley_config_new();
  parley_error_t err = {0};
  (void)state;
  assert_non_null(cfg);
  assert_string_equal(cfg->listen, "127.0.0.1:8080");
  assert_int_equal(parley_config_set(cfg, "log_level", "debug"), 0);
  assert_int_equal(parley_config_set(cfg, "max_body", "64KiB"), 0);
  assert_int_equal(parley_config_set(cfg, "listen", ""), 0);
  assert_int_equal(parley_config_set(cfg, "retention", "1h"), 0);
  assert_int_equal(parley_config_set(cfg, "dedup_window", "2d"), 0);
  assert_int_equal(parley_config_set(cfg, "max_backlog", "64MiB"), 0);
  assert_int_equal(parley_config_set(cfg, "max_backlog_age", "10m"), 0);
  assert_int_equal(parley_config_set(cfg, "auth_limit.failures", "3"), 0);
  assert_int_equal(parley_config_set(cfg, "auth_limit.max_lockout", "1m"), 0);
  assert_int_equal(parley_config_set(cfg, "auth_limit.window", "0"), PARLEY_ECONFIG);
  assert_int_equal(parley_config_set(cfg, "auth_limit.lockout", "1m"), PARLEY_ECONFIG);
  assert_int_equal(parley_config_set(cfg, "auth_limit", "3"), PARLEY_ECONFIG);
  assert_int_equal(parley_config_set(cfg, "http.idle_timeout", "1s"), PARLEY_ECONFIG);
  assert_int_equal(parley_config_add_connector(cfg, "tw", "twitter"), 0);
  assert_int_equal(parley_config_add_output(cfg, "out", "ndjson"), 0);
  assert_int_equal(parley_config_set_option(cfg, "tw", "poll", "30s", 0), 0);
  assert_int_equal(parley_config_set_option(cfg, "tw", "keywords", "acme", 1), 0);
  assert_int_equal(parley_config_set_option(cfg, "tw", "keywords", "help", 1), 0);
  assert_int_equal(parley_config_add_route(cfg, "platform=twitter, kind=mention,kind=reply", "out"),
                   0);
  assert_int_equal(parley_config_add_route(cfg, NULL, "out"), 0);
  assert_int_equal(parley_config_set(cfg, "default_output", "out"), 0);
  assert_int_equal(parley_config_check(cfg, &err), 0);

  assert_int_equal(cfg->log_level, PARLEY_LOG_DEBUG);
  assert_int_equal(cfg->max_body, 64 * 1024);
  assert_string_equal(cfg->listen, "");
  assert_int_equal(cfg->retention_ms, 3600000);
  assert_int_equal(cfg->dedup_window_ms, 2 * 86400000LL);
  assert_int_equal(cfg->max_backlog, 64ULL * 1024 * 1024);
  assert_int_equal(cfg->max_backlog_age_ms, 600000);
  assert_int_equal(cfg->auth_limit.failures, 3);
  assert_int_equal(cfg->auth_limit.max_lockout_ms, 60000);
  assert_int_equal(cfg->auth_limit.window_ms, 600000); /* the refused value kept the default */
  const parley_node_t *kw = parley_node_get(cfg->connectors[0].options, "keywords");
  assert_non_null(kw);
  assert_int_equal(kw->type, PARLEY_NODE_SEQ);
  assert_int_equal(kw->count, 2);
  assert_string_equal(kw->items[1]->value, "help");
  assert_int_equal(cfg->routes[0].n_kinds, 2);
  assert_string_equal(cfg->routes[0].platforms[0], "twitter");
  assert_int_equal(cfg->routes[1].n_kinds + cfg->routes[1].n_platforms, 0);
  parley_config_free(cfg);
}

static void builder_refuses_bad_values(void **state) {
  parley_config_t *cfg = parley_config_new();
  (void)state;
  assert_int_equal(parley_config_set(cfg, "log_level", "loud"), PARLEY_ECONFIG);
  assert_int_equal(cfg->log_level, PARLEY_LOG_INFO); /* unchanged */
  assert_int_equal(parley_config_set(cfg, "max_backlog", "lots"), PARLEY_ECONFIG);
  assert_int_equal(cfg->max_backlog, 1024ULL * 1024 * 1024); /* unchanged */
  assert_int_equal(parley_config_set(cfg, "lisen", "x:1"), PARLEY_ECONFIG);
  assert_int_equal(parley_config_add_connector(cfg, "a b", "twitter"), PARLEY_EINVAL);
  assert_int_equal(parley_config_add_connector(cfg, "a", "twitter"), 0);
  assert_int_equal(parley_config_add_output(cfg, "a", "ndjson"), PARLEY_EDUP);
  assert_int_equal(parley_config_set_option(cfg, "nobody", "k", "v", 0), PARLEY_ENOENT);
  assert_int_equal(parley_config_add_route(cfg, "kind=mentions", "a"), PARLEY_EINVAL);
  assert_int_equal(parley_config_add_route(cfg, "colour=red", "a"), PARLEY_EINVAL);
  assert_int_equal(cfg->n_routes, 0);
  parley_config_free(cfg);
}

static void check_finds_a_route_to_a_missing_output_built_in_code(void **state) {
  parley_config_t *cfg = parley_config_new();
  parley_error_t err = {0};
  (void)state;
  assert_int_equal(parley_config_add_route(cfg, "kind=mention", "nowhere"), 0);
  assert_int_equal(parley_config_check(cfg, &err), PARLEY_ECONFIG);
  assert_message_has(&err, "<code>: routes[0]: route 'routes[0]' sends to output 'nowhere'");
  parley_config_free(cfg);
}

/* router.http: typed keys, router.max_connections as an alias, file:line errors. */
static void router_http_limits_are_read_and_checked(void **state) {
  (void)state;
  const char *text = "router:\n"
                     "  max_connections: 10\n"
                     "  http:\n"
                     "    header_timeout: 3s\n"
                     "    body_timeout: 1m\n"
                     "    idle_timeout: 500ms\n"
                     "    max_connections: 4096\n"
                     "    max_connections_per_client: 50\n"
                     "    max_header_size: 4KiB\n"
                     "    max_headers: 20\n"
                     "    max_request_line: 1KiB\n"
                     "    max_requests_per_connection: 100\n";
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  assert_int_equal(load_yaml(text, &cfg, &err), 0);
  assert_int_equal(cfg->http.header_timeout_ms, 3000);
  assert_int_equal(cfg->http.body_timeout_ms, 60000);
  assert_int_equal(cfg->http.idle_timeout_ms, 500);
  assert_int_equal(cfg->max_connections, 4096); /* the later one wins */
  assert_int_equal(cfg->http.max_per_client, 50);
  assert_int_equal(cfg->http.max_header_bytes, 4096);
  assert_int_equal(cfg->http.max_headers, 20);
  assert_int_equal(cfg->http.max_request_line, 1024);
  assert_int_equal(cfg->http.max_requests, 100);
  parley_config_t *copy = parley_config_clone(cfg);
  assert_non_null(copy);
  assert_int_equal(copy->http.max_per_client, 50);
  parley_config_free(copy);
  parley_config_free(cfg);
  assert_yaml_fails("router:\n  http:\n    max_headers: 101\n", PARLEY_ECONFIG,
                    "parley.yaml:3", "router.http.max_headers");
  assert_yaml_fails("router:\n  http:\n    idle_timeout: 10ms\n", PARLEY_ECONFIG,
                    "router.http.idle_timeout", "at least 100ms");
  assert_yaml_fails("router:\n  http:\n\n    slowloris: 1\n", PARLEY_ECONFIG,
                    "parley.yaml:4: router.http.slowloris", "max_requests_per_connection");
  assert_yaml_fails("router:\n  http: 5\n", PARLEY_ECONFIG, "router.http", "a map");
}

static void router_auth_limit_is_read_and_checked(void **state) {
  (void)state;
  parley_config_t *cfg = NULL;
  parley_error_t err = {0};
  assert_int_equal(load_yaml("router:\n  auth_limit:\n    failures: 3\n    window: 1h\n"
                             "    max_lockout: 30s\n",
                             &cfg, &err),
                   0);
  assert_int_equal(cfg->auth_limit.failures, 3);
  assert_int_equal(cfg->auth_limit.window_ms, 3600000);
  assert_int_equal(cfg->auth_limit.max_lockout_ms, 30000);
  parley_config_t *copy = parley_config_clone(cfg);
  assert_non_null(copy);
  assert_int_equal(copy->auth_limit.max_lockout_ms, 30000);
  parley_config_free(copy);
  parley_config_free(cfg);
  cfg = NULL;
  assert_int_equal(load_yaml("router:\n  auth_limit: {failures: 0, window: }\n", &cfg, &err), 0);
  assert_int_equal(cfg->auth_limit.failures, 0);
  assert_int_equal(cfg->auth_limit.window_ms, 600000); /* empty keeps the default */
  parley_config_free(cfg);
  assert_yaml_fails("router:\n  auth_limit:\n    failures: 1001\n", PARLEY_ECONFIG,
                    "parley.yaml:3", "router.auth_limit.failures");
  assert_yaml_fails("router:\n  auth_limit:\n    window: 500ms\n", PARLEY_ECONFIG,
                    "parley.yaml:3: router.auth_limit.window", "at least 1s");
  assert_yaml_fails("router:\n  auth_limit:\n    max_lockout: 2d\n", PARLEY_ECONFIG,
                    "router.auth_limit.max_lockout", "at most 1d");
  assert_yaml_fails("router:\n  auth_limit:\n\n    lockout: 1m\n", PARLEY_ECONFIG,
                    "parley.yaml:4: router.auth_limit.lockout", "failures, window, max_lockout");
  assert_yaml_fails("router:\n  auth_limit: off\n", PARLEY_ECONFIG, "router.auth_limit",
                    "a map");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(full_yaml_fills_every_field),
      cmocka_unit_test(router_auth_limit_is_read_and_checked),
      cmocka_unit_test(router_http_limits_are_read_and_checked),
      cmocka_unit_test(empty_config_has_the_documented_defaults),
      cmocka_unit_test(yaml_and_json_give_the_same_model),
      cmocka_unit_test(json_errors_name_the_line),
      cmocka_unit_test(json_with_a_byte_order_mark_loads),
      cmocka_unit_test(clone_is_deep_and_equal),
      cmocka_unit_test(typo_at_top_level_names_file_line_and_key),
      cmocka_unit_test(typo_inside_router_names_file_line_and_key),
      cmocka_unit_test(unknown_key_in_a_connector_entry_is_an_error),
      cmocka_unit_test(bad_log_level_is_named),
      cmocka_unit_test(max_body_takes_sizes_with_units),
      cmocka_unit_test(listen_empty_disables_and_garbage_is_refused),
      cmocka_unit_test(plugin_dir_takes_a_single_string),
      cmocka_unit_test(console_dir_resolves_from_the_config_and_refuses_empty),
      cmocka_unit_test(map_where_a_string_is_expected_is_an_error),
      cmocka_unit_test(env_variable_is_substituted),
      cmocka_unit_test(missing_env_variable_names_the_variable_and_line),
      cmocka_unit_test(file_reference_reads_the_file_without_its_newline),
      cmocka_unit_test(unreadable_file_reference_names_the_path),
      cmocka_unit_test(double_dollar_escapes_a_reference),
      cmocka_unit_test(substitute_marks_what_it_replaced),
      cmocka_unit_test(dollar_without_brace_is_kept),
      cmocka_unit_test(unterminated_reference_is_an_error),
      cmocka_unit_test(invalid_variable_name_is_an_error),
      cmocka_unit_test(substituted_text_is_not_substituted_again),
      cmocka_unit_test(substituted_value_is_not_quoted_in_errors),
      cmocka_unit_test(malformed_json_error_does_not_quote_the_text),
      cmocka_unit_test(secret_is_not_quoted_in_any_router_error),
      cmocka_unit_test(yaml_syntax_error_names_line_and_column),
      cmocka_unit_test(json_syntax_error_names_line_and_column),
      cmocka_unit_test(duplicate_yaml_key_is_an_error),
      cmocka_unit_test(yaml_aliases_are_refused),
      cmocka_unit_test(top_level_list_is_refused),
      cmocka_unit_test(unknown_file_extension_is_refused),
      cmocka_unit_test(missing_file_is_not_found),
      cmocka_unit_test(unknown_kind_in_a_route_is_named),
      cmocka_unit_test(unknown_kind_in_a_block_list_names_the_item_line),
      cmocka_unit_test(route_to_a_missing_output_is_an_error),
      cmocka_unit_test(route_without_outputs_is_an_error),
      cmocka_unit_test(unknown_match_field_is_an_error),
      cmocka_unit_test(bad_visibility_is_named),
      cmocka_unit_test(duplicate_connector_names_are_an_error),
      cmocka_unit_test(output_may_not_reuse_a_connector_name),
      cmocka_unit_test(invalid_instance_name_is_an_error),
      cmocka_unit_test(substituted_instance_name_is_never_printed),
      cmocka_unit_test(substituted_reference_is_never_printed),
      cmocka_unit_test(connector_without_plugin_is_an_error),
      cmocka_unit_test(default_output_must_exist),
      cmocka_unit_test(builder_makes_a_config_that_checks),
      cmocka_unit_test(builder_refuses_bad_values),
      cmocka_unit_test(retention_and_backlog_bounds_take_durations_and_sizes),
      cmocka_unit_test(check_finds_a_route_to_a_missing_output_built_in_code),
  };
  return cmocka_run_group_tests(tests, set_token_env, NULL);
}
