/* parley — embedding API.
 *
 * Run the router inside your own program: on your uv_loop_t (or on one the
 * router owns), with a config loaded from a file, from a string, or built in
 * code; receive every routed event through a callback; submit actions; stop
 * asynchronously.
 *
 *   parley_config_t *cfg; parley_router_t *r; parley_error_t err = {0};
 *   parley_config_load_file(&cfg, "parley.yaml", &err);
 *   parley_router_new(&r, loop, cfg, &err);  // r keeps its own copy of cfg
 *   parley_config_free(cfg);
 *   parley_router_on_event(r, on_event, me);
 *   parley_router_start(r, &err);
 *   uv_run(loop, UV_RUN_DEFAULT);            // ... parley_router_stop(r, done, me)
 *   parley_router_free(r);                   // after done() ran
 */
#ifndef PARLEY_PARLEY_H
#define PARLEY_PARLEY_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "parley/action.h"
#include "parley/connector.h"
#include "parley/error.h"
#include "parley/event.h"
#include "parley/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Config                                                              */
/* ------------------------------------------------------------------ */

typedef struct parley_config parley_config_t;

/* Load from a YAML (.yaml/.yml) or JSON (.json) file. ${ENV} and
 * ${file:/path} are substituted in scalars. Errors name file:line and key.
 * The caller frees *out with parley_config_free. */
int parley_config_load_file(parley_config_t **out, const char *path, parley_error_t *err);
/* Same from text; format is "yaml" or "json"; name is used in messages
 * and as the base for relative paths ("<string>" if NULL). */
int parley_config_load_string(parley_config_t **out, const char *text, size_t len,
                              const char *format, const char *name, parley_error_t *err);
/* An empty config, to build in code. */
parley_config_t *parley_config_new(void);
void parley_config_free(parley_config_t *cfg);

/* Building in code. Values are written as they would be in YAML and are
 * validated like a file's when the router is created. Strings are copied. */
int parley_config_set(parley_config_t *cfg, const char *router_key, const char *value);
int parley_config_add_connector(parley_config_t *cfg, const char *name, const char *plugin);
int parley_config_add_output(parley_config_t *cfg, const char *name, const char *type);
/* Set option key of the connector or output called name. For list options
 * call it once per item with append = 1. */
int parley_config_set_option(parley_config_t *cfg, const char *name, const char *key,
                             const char *value, int append);
/* A route sending matching events to output. match is "field=value[,field=value...]"
 * with the fields of the `routes:` section ("platform=twitter,kind=mention"),
 * or NULL to match everything. */
int parley_config_add_route(parley_config_t *cfg, const char *match, const char *output);

/* ------------------------------------------------------------------ */
/* Router                                                              */
/* ------------------------------------------------------------------ */

typedef struct parley_router parley_router_t;

/* Called for every event the router delivers (after routing), on the loop
 * thread. The event is owned by the router and valid during the call only;
 * parley_event_clone() it to keep it. */
typedef void (*parley_event_cb)(parley_router_t *r, const parley_event_t *ev, void *data);
/* Called once an action is done or failed; result valid during the call. */
typedef void (*parley_action_cb)(parley_router_t *r, const char *idempotency_key,
                                 const parley_action_result_t *result, void *data);
typedef void (*parley_stop_cb)(parley_router_t *r, void *data);

/* Create a router on loop (NULL: the router creates and owns a loop, run it
 * with parley_router_run). Loads the plugins, validates every instance's
 * options, opens the journal. cfg is copied; free yours whenever you like. */
int parley_router_new(parley_router_t **out, uv_loop_t *loop, const parley_config_t *cfg,
                      parley_error_t *err);
/* The loop the router runs on. */
uv_loop_t *parley_router_loop(parley_router_t *r);
/* Subscribe to delivered events; one subscriber, NULL to remove. */
void parley_router_on_event(parley_router_t *r, parley_event_cb cb, void *data);
/* Start the HTTP server, the outputs and the connectors. */
int parley_router_start(parley_router_t *r, parley_error_t *err);
/* Submit an action; the router copies it. cb may be NULL. Returns 0 when
 * queued, or PARLEY_EINVAL / PARLEY_ENOENT (no owning connector) with err. */
int parley_router_submit_action(parley_router_t *r, const parley_action_t *action,
                                parley_action_cb cb, void *data, parley_error_t *err);
/* Stop: sources first, then drain the outputs; cb runs when done. */
int parley_router_stop(parley_router_t *r, parley_stop_cb cb, void *data);
/* Run the owned loop until the router has stopped (only for loop == NULL). */
int parley_router_run(parley_router_t *r);
/* Free a stopped (or never started) router. */
void parley_router_free(parley_router_t *r);

/* A JSON status document (instances, health, outputs, counters); caller frees. */
char *parley_router_status_json(parley_router_t *r);

#ifdef __cplusplus
}
#endif
#endif /* PARLEY_PARLEY_H */
