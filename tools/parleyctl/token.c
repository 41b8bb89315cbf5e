/* parleyctl — where the admin token comes from (docs/parleyctl.md): an
 * explicit --token-file, the environment, or the file parleyd generated in
 * its state directory. The token itself is never printed; messages name
 * only its source. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define TOKEN_MAX 4096

static char *trimmed_dup(const char *s, size_t len) {
  while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ' ||
                 s[len - 1] == '\t'))
    len--;
  char *t = malloc(len + 1);
  if (t) {
    memcpy(t, s, len);
    t[len] = '\0';
  }
  return t;
}

/* 0 with *tok (malloc'd), or the errno of the failure. */
static int read_token_file(const char *path, char **tok) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return errno ? errno : EIO;
  char buf[TOKEN_MAX];
  size_t n = fread(buf, 1, sizeof buf, f);
  int e = ferror(f) ? EIO : 0;
  fclose(f);
  if (e)
    return e;
  if (n == sizeof buf)
    return EFBIG;
  *tok = trimmed_dup(buf, n);
  return *tok ? 0 : ENOMEM;
}

static int from_file(parley_ctl_t *ctl, const char *path, const char *what, int required) {
  char *tok = NULL;
  int e = read_token_file(path, &tok);
  if (e == ENOENT && !required)
    return PARLEY_CTL_OK;
  if (e) {
    parley_ctl_err("cannot read the admin token from %s %s: %s", what, path,
                   e == EFBIG ? "file too large for a token" : strerror(e));
    return PARLEY_CTL_EUSAGE;
  }
  if (!*tok) {
    free(tok);
    parley_ctl_err("the admin token file %s is empty", path);
    return PARLEY_CTL_EUSAGE;
  }
  ctl->token = tok;
  ctl->token_from = what;
  return PARLEY_CTL_OK;
}

int parley_ctl_token_load(parley_ctl_t *ctl, const char *token_file, const char *state_dir) {
  ctl->token = NULL;
  ctl->token_from = "nowhere (no --token-file, PARLEY_ADMIN_TOKEN or state-dir token)";
  if (token_file)
    return from_file(ctl, token_file, "--token-file", 1);
  const char *env = getenv("PARLEY_ADMIN_TOKEN");
  if (env && *env) {
    ctl->token = trimmed_dup(env, strlen(env));
    ctl->token_from = "PARLEY_ADMIN_TOKEN";
    return ctl->token ? PARLEY_CTL_OK : PARLEY_CTL_EAPI;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/admin_token", state_dir ? state_dir : PARLEY_CTL_DEFAULT_STATE_DIR);
  return from_file(ctl, path, "the state directory file", 0);
}

void parley_ctl_token_free(parley_ctl_t *ctl) {
  if (ctl->token) {
    /* not a secure wipe guarantee, but keeps it out of freed memory */
    memset(ctl->token, 0, strlen(ctl->token));
    free(ctl->token);
    ctl->token = NULL;
  }
}
