/* parleyctl replay OUTPUT --from SEQ and parleyctl journal stats — the
 * journal side of the admin API: POST /v1/outputs/<name>/replay and
 * GET /v1/journal (docs/journal.md, "Replay" and "Stats"). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "format.h"

static const parley_ctl_opt_t replay_opts[] = {{"from", 1}};

static int run_replay(parley_ctl_t *ctl, const parley_ctl_opt_t *spec, size_t n,
                      const parley_ctl_args_t *a) {
  const char *from_s = parley_ctl_arg(spec, n, a, "from");
  int64_t from;
  if (!from_s) {
    parley_ctl_err("replay: --from SEQ is required (the first journal seq to deliver again)");
    return PARLEY_CTL_EUSAGE;
  }
  if (parley_ctl_parse_seq(from_s, &from) != 0) {
    parley_ctl_err("replay: --from '%s' is not a journal seq (an integer >= 1)", from_s);
    return PARLEY_CTL_EUSAGE;
  }
  char *name = parley_ctl_urlencode(a->pos[0]);
  size_t len = name ? strlen(name) + 32 : 0;
  char *path = name ? malloc(len) : NULL;
  char body[64];
  if (!path) {
    free(name);
    parley_ctl_err("out of memory");
    return PARLEY_CTL_EAPI;
  }
  snprintf(path, len, "/v1/outputs/%s/replay", name);
  snprintf(body, sizeof body, "{\"from\":%" PRId64 "}", from);
  free(name);
  parley_ctl_response_t res;
  int rc = parley_ctl_request(ctl, "POST", path, body, &res);
  if (rc == PARLEY_CTL_OK)
    rc = parley_ctl_check(ctl, "POST", path, &res);
  json_t *j = rc == PARLEY_CTL_OK ? json_loadb(res.body, res.len, 0, NULL) : NULL;
  if (rc == PARLEY_CTL_OK && ctl->json && j)
    parley_ctl_print_json(j);
  else if (rc == PARLEY_CTL_OK)
    printf("output %s: delivering again from seq %" PRId64 " (%" PRId64
           " journal events to read back)\n",
           a->pos[0], from, parley_ctl_int(j, "events"));
  json_decref(j);
  parley_ctl_response_free(&res);
  free(path);
  return rc;
}

static void print_stats(json_t *j) {
  char size[32], back[32], age[32];
  parley_ctl_bytes(parley_ctl_int(j, "bytes"), size, sizeof size);
  json_t *b = json_object_get(j, "backlog");
  parley_ctl_bytes(parley_ctl_int(b, "bytes"), back, sizeof back);
  parley_ctl_duration(parley_ctl_int(b, "oldest_age_ms"), age, sizeof age);
  printf("journal      %s\n", parley_ctl_str(j, "path") ? parley_ctl_str(j, "path") : "-");
  printf("seq          %" PRId64 " .. %" PRId64 " (%" PRId64 " events, bodies pruned up to %" PRId64
         ")\n",
         parley_ctl_int(j, "first_seq"), parley_ctl_int(j, "last_seq"),
         parley_ctl_int(j, "events"), parley_ctl_int(j, "pruned_seq"));
  printf("size         %s\n", size);
  printf("undelivered  %s (oldest %s)\n\n", back, age);
  static const char *const head[] = {"OUTPUT", "TYPE", "STATE", "CURSOR", "SAVED", "BACKLOG"};
  parley_ctl_table_t t;
  parley_ctl_table_init(&t, 6);
  parley_ctl_table_row(&t, head);
  size_t i;
  json_t *o;
  json_array_foreach(json_object_get(j, "outputs"), i, o) {
    char cur[24], saved[24], bl[24];
    snprintf(cur, sizeof cur, "%" PRId64, parley_ctl_int(o, "cursor"));
    snprintf(saved, sizeof saved, "%" PRId64, parley_ctl_int(o, "saved_cursor"));
    snprintf(bl, sizeof bl, "%" PRId64, parley_ctl_int(o, "backlog"));
    const char *row[] = {parley_ctl_str(o, "name"), parley_ctl_str(o, "type"),
                         parley_ctl_str(o, "state"), cur, saved, bl};
    parley_ctl_table_row(&t, row);
  }
  if (t.nrows > 1)
    parley_ctl_table_print(&t);
  else
    puts("no outputs");
  parley_ctl_table_free(&t);
}

static int run_journal(parley_ctl_t *ctl, const parley_ctl_opt_t *spec, size_t n,
                       const parley_ctl_args_t *a) {
  (void)spec, (void)n;
  if (strcmp(a->pos[0], "stats") != 0) {
    parley_ctl_err("journal: unknown subcommand '%s' (known: stats)", a->pos[0]);
    return PARLEY_CTL_EUSAGE;
  }
  json_t *j;
  int rc = parley_ctl_get_json(ctl, "/v1/journal", &j);
  if (rc)
    return rc;
  if (ctl->json)
    parley_ctl_print_json(j);
  else
    print_stats(j);
  json_decref(j);
  return PARLEY_CTL_OK;
}

const parley_ctl_command_t parley_ctl_cmd_replay = {
    "replay", replay_opts, sizeof replay_opts / sizeof replay_opts[0], 1, 1,
    "replay OUTPUT --from SEQ", run_replay};
const parley_ctl_command_t parley_ctl_cmd_journal = {
    "journal", NULL, 0, 1, 1, "journal stats", run_journal};
