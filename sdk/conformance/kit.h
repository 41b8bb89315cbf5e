/* parley-conformance — shared declarations of the conformance kit.
 *
 * The kit loads one connector, then runs it on parley routers built with
 * the embedding API (parley.h) on its own uv loop, and decides one row of a
 * pass/fail table per check. Rows are printed as soon as they are decided,
 * so a connector that crashes the process still leaves the rows before it.
 *
 * Ownership: everything a parley_kit_t points to is owned by it and freed
 * by parley_kit_free(); runs (parley_kit_run_t) own their router, loop and
 * collected ids until parley_kit_run_close(). */
#ifndef PARLEY_KIT_H
#define PARLEY_KIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "loader.h"
#include "parley/parley.h"

#define PARLEY_KIT_INSTANCE "conformance" /* the instance name in every run */
#define PARLEY_KIT_STOP_DEADLINE_MS 5000  /* stop() must drain within this */
#define PARLEY_KIT_CYCLES 20              /* lifecycle rounds */
#define PARLEY_KIT_UNKNOWN_KEY "conformance_no_such_option" /* must be refused */

/* ---- the table (kit_report.c) ---- */

typedef enum { PARLEY_KIT_PASS = 0, PARLEY_KIT_FAIL, PARLEY_KIT_SKIP } parley_kit_verdict_t;

typedef struct parley_kit_report {
  FILE *out;
  unsigned pass, fail, skip;
} parley_kit_report_t;

void parley_kit_report_begin(parley_kit_report_t *r, FILE *out, const char *plugin);
/* Decide and print one row; detail is one line, never a secret. */
void parley_kit_row(parley_kit_report_t *r, const char *check, parley_kit_verdict_t v,
                    const char *fmt, ...) PARLEY_PRINTF(4, 5);
/* Print the summary line; returns the exit status (1 on any FAIL). */
int parley_kit_report_end(parley_kit_report_t *r);

/* ---- the kit ---- */

/* One option from the --config file: key and value as they would be
 * written in YAML; list items come as several entries with append = 1. */
typedef struct parley_kit_opt {
  char *key;
  char *value;
  int append;
} parley_kit_opt_t;

typedef struct parley_kit {
  char *plugin_path;          /* absolute path of the .so */
  const char *config_path;    /* --config */
  const char *schema_path;    /* --schema or NULL */
  const char *sim_url;        /* --sim-url or NULL */
  const char *checker;        /* check_schema.py path or NULL */
  const char *probe_type;     /* item type posted to /_sim/items */
  const char *probe_json;     /* --probe: extra item fields (a JSON object) or NULL */
  int verbose;
  uint64_t max_run_ms;        /* upper bound of an event run */
  uint64_t quiet_ms;          /* an event run ends after this long without events */
  parley_kit_opt_t *opts;
  size_t n_opts;
  parley_plugin_t *plugin;    /* loaded by the descriptor check, NULL if refused */
  char tmpdir[256];           /* journals and ndjson files of this kit run */
  parley_kit_report_t report;
} parley_kit_t;

void parley_kit_free(parley_kit_t *kit);

/* ---- the checks, one file each ---- */

/* kit_descriptor.c: load the plugin (rows "load", "descriptor.*").
 * Returns 0 when the plugin loaded and later checks can run. */
int parley_kit_check_descriptor(parley_kit_t *kit);
/* kit_options.c: read --config into kit->opts (PARLEY_ECONFIG with err
 * naming file:line), then the "options.*" rows. */
int parley_kit_read_options(parley_kit_t *kit, parley_error_t *err);
int parley_kit_check_options(parley_kit_t *kit); /* 0 when the given config binds */
/* kit_lifecycle.c: the "lifecycle.*" rows. */
void parley_kit_check_lifecycle(parley_kit_t *kit);
/* kit_events.c: the "events.*", "ids.*" and "checkpoint.resume" rows. */
void parley_kit_check_events(parley_kit_t *kit);
/* kit_faults.c: the "fault.*" rows (SKIP without --sim-url). */
void parley_kit_check_faults(parley_kit_t *kit);

/* ---- running the connector (kit_run.c) ---- */

typedef enum {
  PARLEY_KIT_OPTS_ALL = 0,   /* the --config options */
  PARLEY_KIT_OPTS_NONE,      /* no options at all */
  PARLEY_KIT_OPTS_UNKNOWN,   /* the --config options plus an unknown key */
} parley_kit_opts_mode_t;

typedef struct parley_kit_run parley_kit_run_t;
/* Called every 20 ms while the run is going; return 1 to stop the run. */
typedef int (*parley_kit_step_fn)(parley_kit_run_t *run, void *data);

struct parley_kit_run {
  parley_kit_t *kit;
  uv_loop_t loop;
  parley_router_t *router;
  uv_timer_t ticker;
  parley_kit_step_fn step;
  void *step_data;
  uint64_t started, deadline;  /* uv_now values */
  uint64_t last_event;         /* uv_now of the last delivered event */
  uint64_t stop_begin, stop_ms;
  int stopping, stopped, timed_out;
  size_t open_handles;         /* uv handles left open after the stop */
  /* what was delivered */
  char **ids;
  size_t n_ids, cap_ids;
  size_t n_system;             /* system events (not in ids) */
  size_t invalid;              /* delivered events failing parley_event_validate */
  char first_invalid[PARLEY_ERROR_MAX];
  FILE *ndjson;                /* every delivered event as one JSON line, or NULL */
  json_t *status;              /* parley_router_status_json after stop */
};

/* Build a config (listen "", journal in kit->tmpdir/journal_name, the
 * plugin as instance PARLEY_KIT_INSTANCE with the options per mode) and
 * create the router (which binds the options and calls create()).
 * On failure err says why and the run holds nothing to close. */
int parley_kit_run_open(parley_kit_run_t *run, parley_kit_t *kit, const char *journal_name,
                        parley_kit_opts_mode_t mode, parley_error_t *err);
/* Start the router, call step every 20 ms until it returns 1 or max_ms
 * passed (then timed_out = 1), stop the router and run the loop until it
 * has stopped. stop_ms says how long the stop took. */
int parley_kit_run_go(parley_kit_run_t *run, uint64_t max_ms, parley_kit_step_fn step,
                      void *data, parley_error_t *err);
/* Free the router and the loop, the ids and the status. */
void parley_kit_run_close(parley_kit_run_t *run);
/* A step that ends the run once events stopped coming for kit->quiet_ms
 * (after at least one), or, with no event at all, at the run's max_ms. */
int parley_kit_step_until_quiet(parley_kit_run_t *run, void *data);
/* The connector's entry in run->status (borrowed), or NULL. */
json_t *parley_kit_run_instance_status(const parley_kit_run_t *run);
/* Counter of the instance ("emitted", "accepted", "duplicates"), -1 unknown. */
long long parley_kit_run_counter(const parley_kit_run_t *run, const char *name);
/* Read the live status now (the router may be running); new reference. */
json_t *parley_kit_run_status_now(parley_kit_run_t *run);
/* 1 when id was delivered in the run. */
int parley_kit_run_has_id(const parley_kit_run_t *run, const char *id);

/* ---- the simulator's control API (kit_sim.c) ---- */

/* method "GET"/"POST"/"DELETE" to sim_url + path with an optional JSON
 * body; returns the HTTP status (and the parsed JSON answer in *out when
 * out is not NULL, NULL if none) or a negative PARLEY_E* with err set.
 * Blocking, with a 5 s timeout: only for the short control calls. */
long parley_kit_sim_call(const char *sim_url, const char *method, const char *path,
                         json_t *body, json_t **out, parley_error_t *err);

#endif
