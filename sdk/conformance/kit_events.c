/* parley-conformance — events: run the connector against its platform (the
 * simulator or a fake server) until events stop coming, then check every
 * event (parley_event_validate, and the JSON Schema when asked), that ids
 * are unique within the run, that a second run on a fresh journal yields
 * the same ids for the same data, and that a run on the first run's journal
 * resumes from the checkpoint instead of re-emitting. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kit.h"

/* Run argv with stdout and stderr into out_path; the exit status, or -1. */
static int run_cmd(char *const argv[], const char *out_path) {
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    execvp(argv[0], argv);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void first_line(const char *path, char *buf, size_t len) {
  FILE *f = fopen(path, "r");
  buf[0] = '\0';
  if (f) {
    if (!fgets(buf, (int)len, f))
      buf[0] = '\0';
    fclose(f);
  }
  buf[strcspn(buf, "\n")] = '\0';
}

static void check_schema(parley_kit_t *kit, const char *ndjson, size_t n) {
  const char *row = "events.schema";
  char out[600], line[512];
  if (!kit->schema_path) {
    parley_kit_row(&kit->report, row, PARLEY_KIT_SKIP, "no --schema given");
    return;
  }
  if (!kit->checker) {
    parley_kit_row(&kit->report, row, PARLEY_KIT_SKIP, "check_schema.py not found");
    return;
  }
  if (n == 0) {
    parley_kit_row(&kit->report, row, PARLEY_KIT_SKIP, "no events to check");
    return;
  }
  snprintf(out, sizeof out, "%s/schema.out", kit->tmpdir);
  char *probe[] = {"python3", "-c", "import jsonschema", NULL};
  if (run_cmd(probe, out) != 0) {
    parley_kit_row(&kit->report, row, PARLEY_KIT_SKIP,
                   "python3-jsonschema is not installed");
    return;
  }
  char *argv[] = {"python3", (char *)kit->checker, (char *)kit->schema_path, (char *)ndjson,
                  "--min-lines", "1", NULL};
  int rc = run_cmd(argv, out);
  first_line(out, line, sizeof line);
  if (rc == 0)
    parley_kit_row(&kit->report, row, PARLEY_KIT_PASS, "%zu events valid against %s", n,
                   kit->schema_path);
  else
    parley_kit_row(&kit->report, row, PARLEY_KIT_FAIL, "exit %d: %s", rc,
                   line[0] ? line : "(no output)");
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Ids delivered twice (the journal should make this impossible) plus ids
 * the core dropped as already committed in this run. */
static void check_unique(parley_kit_t *kit, parley_kit_run_t *run) {
  size_t repeats = 0;
  const char *example = NULL;
  qsort(run->ids, run->n_ids, sizeof *run->ids, cmp_str);
  for (size_t i = 1; i < run->n_ids; i++)
    if (!strcmp(run->ids[i], run->ids[i - 1]) && repeats++ == 0)
      example = run->ids[i];
  long long dups = parley_kit_run_counter(run, "duplicates");
  if (repeats)
    parley_kit_row(&kit->report, "ids.unique", PARLEY_KIT_FAIL,
                   "%zu ids delivered more than once, e.g. %s", repeats, example);
  else if (dups > 0)
    parley_kit_row(&kit->report, "ids.unique", PARLEY_KIT_FAIL,
                   "%lld events re-emitted with an id already committed in this run "
                   "(the checkpoint does not advance?)", dups);
  else
    parley_kit_row(&kit->report, "ids.unique", PARLEY_KIT_PASS, "%zu distinct ids, 0 re-emitted",
                   run->n_ids);
}

/* Same platform data, fresh journal: every id of the first run again. */
static void check_stable(parley_kit_t *kit, const parley_kit_run_t *first) {
  parley_kit_run_t run;
  parley_error_t err = {0};
  int rc = parley_kit_run_open(&run, kit, "run2.journal", PARLEY_KIT_OPTS_ALL, &err);
  if (rc == 0)
    rc = parley_kit_run_go(&run, kit->max_run_ms, parley_kit_step_until_quiet, NULL, &err);
  if (rc) {
    parley_kit_row(&kit->report, "ids.stable", PARLEY_KIT_FAIL, "second run: %s", err.message);
  } else {
    size_t missing = 0;
    const char *example = NULL;
    for (size_t i = 0; i < first->n_ids; i++)
      if (!parley_kit_run_has_id(&run, first->ids[i]) && missing++ == 0)
        example = first->ids[i];
    if (missing)
      parley_kit_row(&kit->report, "ids.stable", PARLEY_KIT_FAIL,
                     "%zu of %zu ids differ on a re-poll with a fresh journal, e.g. %s",
                     missing, first->n_ids, example);
    else
      parley_kit_row(&kit->report, "ids.stable", PARLEY_KIT_PASS,
                     "re-poll with a fresh journal: the same %zu ids (%zu delivered)",
                     first->n_ids, run.n_ids);
  }
  if (rc == 0 || run.router)
    parley_kit_run_close(&run);
}

typedef struct fixed_window {
  uint64_t ms;
} fixed_window_t;

static int step_window(parley_kit_run_t *run, void *data) {
  return uv_now(&run->loop) - run->started >= ((fixed_window_t *)data)->ms;
}

/* Restart on the first run's journal: the connector must read its
 * checkpoint back and not fetch (and emit) the same items again. */
static void check_resume(parley_kit_t *kit, uint64_t first_took) {
  parley_kit_run_t run;
  parley_error_t err = {0};
  fixed_window_t w = {.ms = first_took + kit->quiet_ms};
  if (w.ms < 2 * kit->quiet_ms)
    w.ms = 2 * kit->quiet_ms;
  int rc = parley_kit_run_open(&run, kit, "run1.journal", PARLEY_KIT_OPTS_ALL, &err);
  if (rc == 0)
    rc = parley_kit_run_go(&run, w.ms + 1000, step_window, &w, &err);
  if (rc) {
    parley_kit_row(&kit->report, "checkpoint.resume", PARLEY_KIT_FAIL, "restart: %s",
                   err.message);
  } else {
    long long dups = parley_kit_run_counter(&run, "duplicates");
    if (dups > 0)
      parley_kit_row(&kit->report, "checkpoint.resume", PARLEY_KIT_FAIL,
                     "restarted on the same journal, re-emitted %lld committed events "
                     "(checkpoint_get not used at start?)", dups);
    else
      parley_kit_row(&kit->report, "checkpoint.resume", PARLEY_KIT_PASS,
                     "restart on the same journal: 0 re-emitted, %zu new in %llu ms",
                     run.n_ids, (unsigned long long)w.ms);
  }
  if (rc == 0 || run.router)
    parley_kit_run_close(&run);
}

static void skip_after_emitted(parley_kit_t *kit, const char *why) {
  static const char *const rows[] = {"events.valid", "events.schema", "ids.unique",
                                     "ids.stable", "checkpoint.resume"};
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    parley_kit_row(&kit->report, rows[i], PARLEY_KIT_SKIP, "%s", why);
}

void parley_kit_check_events(parley_kit_t *kit) {
  parley_kit_run_t run;
  parley_error_t err = {0};
  char ndjson[512];
  snprintf(ndjson, sizeof ndjson, "%s/run1.ndjson", kit->tmpdir);
  int rc = parley_kit_run_open(&run, kit, "run1.journal", PARLEY_KIT_OPTS_ALL, &err);
  if (rc == 0) {
    run.ndjson = fopen(ndjson, "w");
    rc = parley_kit_run_go(&run, kit->max_run_ms, parley_kit_step_until_quiet, NULL, &err);
    if (run.ndjson)
      fclose(run.ndjson);
    run.ndjson = NULL;
  }
  if (rc) {
    parley_kit_row(&kit->report, "events.emitted", PARLEY_KIT_FAIL, "%s", err.message);
    skip_after_emitted(kit, "the first run failed");
  } else if (run.n_ids == 0) {
    parley_kit_row(&kit->report, "events.emitted", PARLEY_KIT_FAIL,
                   "no event in %llu ms (is the platform in --config reachable and "
                   "does it hold data?)", (unsigned long long)kit->max_run_ms);
    skip_after_emitted(kit, "no events");
  } else {
    uint64_t took = run.last_event - run.started;
    parley_kit_row(&kit->report, "events.emitted", PARLEY_KIT_PASS,
                   "%zu events, the last %llu ms after start", run.n_ids,
                   (unsigned long long)took);
    long long emitted = parley_kit_run_counter(&run, "emitted");
    long long accepted = parley_kit_run_counter(&run, "accepted");
    long long dups = parley_kit_run_counter(&run, "duplicates");
    long long refused = emitted >= 0 ? emitted - accepted - dups : 0;
    if (run.invalid)
      parley_kit_row(&kit->report, "events.valid", PARLEY_KIT_FAIL,
                     "%zu of %zu delivered events invalid: %s", run.invalid, run.n_ids,
                     run.first_invalid);
    else if (refused > 0)
      parley_kit_row(&kit->report, "events.valid", PARLEY_KIT_FAIL,
                     "the core refused %lld of %lld emitted events as invalid (run with "
                     "--verbose to see why)", refused, emitted);
    else
      parley_kit_row(&kit->report, "events.valid", PARLEY_KIT_PASS,
                     "%zu/%zu valid (parley_event_validate)", run.n_ids, run.n_ids);
    check_schema(kit, ndjson, run.n_ids);
    check_unique(kit, &run);
    check_stable(kit, &run);
    check_resume(kit, took);
  }
  if (rc == 0 || run.router)
    parley_kit_run_close(&run);
}
