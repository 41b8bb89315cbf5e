/* parleyctl — talk to a running parleyd through its admin API
 * (docs/parleyctl.md, parleyctl(1)):
 *   parleyctl [--url URL] [--token-file F] [--state-dir D] [--json] <command> ...
 * The global options may also follow the command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ctl.h"
#include "parley/version.h"

static const parley_ctl_command_t *const commands[] = {
    &parley_ctl_cmd_status, &parley_ctl_cmd_tail,    &parley_ctl_cmd_reply,
    &parley_ctl_cmd_dm,     &parley_ctl_cmd_hide,    &parley_ctl_cmd_resolve,
    &parley_ctl_cmd_assign, &parley_ctl_cmd_replay,  &parley_ctl_cmd_journal,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* The global options: first in every combined spec. */
static const parley_ctl_opt_t globals[] = {
    {"url", 1}, {"token-file", 1}, {"state-dir", 1}, {"json", 0}, {"help", 0}, {"version", 0},
};
#define NGLOBALS (sizeof globals / sizeof globals[0])

static void usage(FILE *f) {
  fprintf(f, "usage: parleyctl [--url URL] [--token-file FILE] [--state-dir DIR] [--json] "
             "<command>\ncommands:\n");
  for (size_t i = 0; i < NCOMMANDS; i++)
    fprintf(f, "  %s\n", commands[i]->usage);
  fprintf(f, "URL defaults to $PARLEY_URL or %s; the token comes from --token-file,\n"
             "$PARLEY_ADMIN_TOKEN or DIR/admin_token (DIR: %s). See parleyctl(1).\n",
          PARLEY_CTL_DEFAULT_URL, PARLEY_CTL_DEFAULT_STATE_DIR);
}

static const parley_ctl_command_t *find_command(const char *name) {
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (strcmp(commands[i]->name, name) == 0)
      return commands[i];
  return NULL;
}

static int usage_error(const char *msg, const parley_ctl_command_t *cmd) {
  parley_ctl_err("%s", msg);
  if (cmd)
    fprintf(stderr, "usage: parleyctl %s\n", cmd->usage);
  else
    usage(stderr);
  return PARLEY_CTL_EUSAGE;
}

/* The base URL: --url, $PARLEY_URL or the default; http(s) only. */
static int set_url(parley_ctl_t *ctl, const char *url) {
  if (!url || !*url)
    url = getenv("PARLEY_URL");
  if (!url || !*url)
    url = PARLEY_CTL_DEFAULT_URL;
  if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
    parley_ctl_err("bad URL '%s': expected http://host:port or https://host:port", url);
    return PARLEY_CTL_EUSAGE;
  }
  if (strlen(url) >= sizeof ctl->url_buf) {
    parley_ctl_err("URL too long");
    return PARLEY_CTL_EUSAGE;
  }
  strcpy(ctl->url_buf, url);
  size_t n = strlen(ctl->url_buf);
  while (n > 8 && ctl->url_buf[n - 1] == '/')
    ctl->url_buf[--n] = '\0';
  ctl->url = ctl->url_buf;
  return PARLEY_CTL_OK;
}

/* A global option's value from either side of the command. */
static const char *global(const parley_ctl_opt_t *spec, size_t n, const parley_ctl_args_t *before,
                          const parley_ctl_args_t *after, const char *name) {
  const char *v = parley_ctl_arg(spec, n, after, name);
  return v ? v : parley_ctl_arg(globals, NGLOBALS, before, name);
}

static int run(const parley_ctl_command_t *cmd, const parley_ctl_args_t *before, int argc,
               char **argv) {
  parley_ctl_opt_t spec[PARLEY_CTL_MAX_OPTS];
  size_t n = NGLOBALS;
  char err[256];
  memcpy(spec, globals, sizeof globals);
  for (size_t i = 0; i < cmd->nopts && n < PARLEY_CTL_MAX_OPTS; i++)
    spec[n++] = cmd->opts[i];
  parley_ctl_args_t a = {0};
  if (parley_ctl_args_parse(spec, n, argc, argv, 0, NULL, &a, err, sizeof err) != 0)
    return usage_error(err, cmd);
  if (global(spec, n, before, &a, "help")) {
    printf("usage: parleyctl %s\n", cmd->usage);
    return PARLEY_CTL_OK;
  }
  if (a.npos < cmd->min_pos || a.npos > cmd->max_pos) {
    snprintf(err, sizeof err, "%s: %s arguments", cmd->name,
             a.npos < cmd->min_pos ? "missing" : "too many");
    return usage_error(err, cmd);
  }
  parley_ctl_t ctl = {0};
  ctl.json = global(spec, n, before, &a, "json") != NULL;
  int rc = set_url(&ctl, global(spec, n, before, &a, "url"));
  if (rc == PARLEY_CTL_OK)
    rc = parley_ctl_token_load(&ctl, global(spec, n, before, &a, "token-file"),
                               global(spec, n, before, &a, "state-dir"));
  if (rc == PARLEY_CTL_OK)
    rc = cmd->run(&ctl, spec, n, &a);
  parley_ctl_token_free(&ctl);
  return rc;
}

int main(int argc, char **argv) {
  parley_ctl_args_t before = {0};
  char err[256];
  int used = 0;
  if (parley_ctl_args_parse(globals, NGLOBALS, argc - 1, argv + 1, 1, &used, &before, err,
                            sizeof err) != 0)
    return usage_error(err, NULL);
  if (parley_ctl_arg(globals, NGLOBALS, &before, "version")) {
    printf("parleyctl %s\n", PARLEY_VERSION_STRING);
    return PARLEY_CTL_OK;
  }
  const char *name = used + 1 < argc ? argv[used + 1] : NULL;
  if (!name || strcmp(name, "help") == 0) {
    if (name || parley_ctl_arg(globals, NGLOBALS, &before, "help")) {
      usage(stdout);
      return PARLEY_CTL_OK;
    }
    return usage_error("no command given", NULL);
  }
  const parley_ctl_command_t *cmd = find_command(name);
  if (!cmd) {
    snprintf(err, sizeof err, "unknown command '%s'", name);
    return usage_error(err, NULL);
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    parley_ctl_err("cannot initialize libcurl");
    return PARLEY_CTL_EAPI;
  }
  int rc = run(cmd, &before, argc - used - 2, argv + used + 2);
  curl_global_cleanup();
  return rc;
}
