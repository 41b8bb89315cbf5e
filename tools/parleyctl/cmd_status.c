/* parleyctl status — GET /v1/status as three tables for people
 * (connectors, outputs, journal), or the document itself with --json. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "format.h"

static void connectors(json_t *arr) {
  static const char *const head[] = {"CONNECTOR", "PLATFORM", "STATE", "HEALTH", "ACCEPTED",
                                     "DUPLICATES"};
  parley_ctl_table_t t;
  parley_ctl_table_init(&t, 6);
  parley_ctl_table_row(&t, head);
  size_t i;
  json_t *c;
  json_array_foreach(arr, i, c) {
    char acc[24], dup[24], health[256];
    snprintf(acc, sizeof acc, "%" PRId64, parley_ctl_int(c, "accepted"));
    snprintf(dup, sizeof dup, "%" PRId64, parley_ctl_int(c, "duplicates"));
    const char *reason = parley_ctl_str(c, "health_reason");
    snprintf(health, sizeof health, "%s%s%s", json_is_true(json_object_get(c, "healthy")) ? "ok"
                                              : "unhealthy",
             reason ? ": " : "", reason ? reason : "");
    const char *row[] = {parley_ctl_str(c, "name"), parley_ctl_str(c, "platform"),
                         parley_ctl_str(c, "state"), health, acc, dup};
    parley_ctl_table_row(&t, row);
  }
  if (i == 0)
    puts("no connectors");
  else
    parley_ctl_table_print(&t);
  parley_ctl_table_free(&t);
}

static void outputs(json_t *arr) {
  static const char *const head[] = {"OUTPUT", "TYPE", "STATE", "CURSOR", "BACKLOG",
                                     "DELIVERED", "LAST ERROR"};
  parley_ctl_table_t t;
  parley_ctl_table_init(&t, 7);
  parley_ctl_table_row(&t, head);
  size_t i;
  json_t *o;
  json_array_foreach(arr, i, o) {
    char cur[24], back[24], del[24];
    snprintf(cur, sizeof cur, "%" PRId64, parley_ctl_int(o, "cursor"));
    snprintf(back, sizeof back, "%" PRId64, parley_ctl_int(o, "backlog"));
    snprintf(del, sizeof del, "%" PRId64, parley_ctl_int(o, "delivered"));
    const char *row[] = {parley_ctl_str(o, "name"), parley_ctl_str(o, "type"),
                         parley_ctl_str(o, "state"), cur, back, del,
                         parley_ctl_str(o, "last_error")};
    parley_ctl_table_row(&t, row);
  }
  if (i == 0)
    puts("no outputs");
  else
    parley_ctl_table_print(&t);
  parley_ctl_table_free(&t);
}

static void journal(json_t *st) {
  json_t *b = json_object_get(st, "backlog"), *r = json_object_get(st, "retention");
  char bytes[32], age[32], ret[32];
  parley_ctl_bytes(parley_ctl_int(b, "bytes"), bytes, sizeof bytes);
  parley_ctl_duration(parley_ctl_int(b, "oldest_age_ms"), age, sizeof age);
  int64_t keep = parley_ctl_int(r, "retention_ms");
  if (keep)
    parley_ctl_duration(keep, ret, sizeof ret);
  else
    snprintf(ret, sizeof ret, "off");
  printf("JOURNAL  last seq %" PRId64 ", undelivered %s (oldest %s), pruned up to seq %" PRId64
         ", retention %s\n",
         parley_ctl_int(st, "last_seq"), bytes, age, parley_ctl_int(r, "pruned_seq"), ret);
}

static int run(parley_ctl_t *ctl, const parley_ctl_opt_t *spec, size_t n,
               const parley_ctl_args_t *a) {
  (void)spec, (void)n, (void)a;
  json_t *st;
  int rc = parley_ctl_get_json(ctl, "/v1/status", &st);
  if (rc)
    return rc;
  if (ctl->json) {
    parley_ctl_print_json(st);
  } else {
    const char *reason = parley_ctl_str(st, "pause_reason");
    printf("parleyd %s, %s, sources %s%s%s\n\n", parley_ctl_str(st, "version"),
           parley_ctl_str(st, "state"),
           json_is_true(json_object_get(st, "paused")) ? "paused" : "running",
           reason ? " over router." : "", reason ? reason : "");
    connectors(json_object_get(st, "connectors"));
    putchar('\n');
    outputs(json_object_get(st, "outputs"));
    putchar('\n');
    journal(st);
  }
  json_decref(st);
  return PARLEY_CTL_OK;
}

const parley_ctl_command_t parley_ctl_cmd_status = {
    "status", NULL, 0, 0, 0, "status", run,
};
