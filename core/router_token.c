/* parley core — where the admin token comes from (docs/auth.md): the
 * config's router.admin_token, else <state_dir>/admin_token, else a new
 * random token written there on first start. The admin API is never open
 * by accident: router.admin_auth: none is the only way to run without a
 * token, and only on a loopback listener. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "router.h"
#include "router_session.h"

#define PARLEY_TOKEN_FILE "admin_token"
#define PARLEY_TOKEN_MAX 512

/* 127.0.0.0/8, [::1] or localhost, followed by ":port". */
int parley_listen_is_loopback(const char *listen) {
  const char *colon = strrchr(listen, ':');
  size_t host = colon ? (size_t)(colon - listen) : strlen(listen);
  if (host == 5 && strncmp(listen, "[::1]", 5) == 0)
    return 1;
  if (host == 9 && strncasecmp(listen, "localhost", 9) == 0)
    return 1;
  return host >= 9 && strncmp(listen, "127.", 4) == 0 &&
         strspn(listen, "0123456789.") == host;
}

/* The state directory: router.state_dir, else the journal's directory. */
static char *state_dir(const parley_config_t *cfg) {
  if (cfg->state_dir)
    return strdup(cfg->state_dir);
  char *copy = strdup(cfg->journal);
  char *dir = copy ? strdup(dirname(copy)) : NULL;
  free(copy);
  return dir;
}

/* The token in an existing file, which only its owner may read. */
static int read_token(const char *path, char **out, parley_error_t *err) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? PARLEY_ENOENT
                           : parley_error_set(err, PARLEY_EIO, "admin token %s: %s", path,
                                              strerror(errno));
  struct stat st;
  char buf[PARLEY_TOKEN_MAX + 1];
  ssize_t n = -1;
  int rc = 0;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    rc = parley_error_set(err, PARLEY_EIO, "admin token %s: not a regular file", path);
  else if (st.st_mode & (S_IRWXG | S_IRWXO))
    rc = parley_error_set(err, PARLEY_EPERM,
                          "admin token %s: group or others may read it (mode %03o): "
                          "chmod 600 it, or remove it to have a new one made",
                          path, (unsigned)(st.st_mode & 0777));
  else if ((n = read(fd, buf, sizeof buf)) < 0 || n > PARLEY_TOKEN_MAX)
    rc = parley_error_set(err, PARLEY_EIO, "admin token %s: %s", path,
                          n < 0 ? strerror(errno) : "longer than 512 bytes");
  close(fd);
  if (rc)
    return rc;
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
    n--;
  buf[n] = '\0';
  if (n == 0)
    return parley_error_set(err, PARLEY_ECONFIG, "admin token %s: the file is empty", path);
  *out = strdup(buf);
  memset(buf, 0, sizeof buf);
  return *out ? 0 : PARLEY_ENOMEM;
}

/* A new token in a new file (O_EXCL: two starts never race to two tokens). */
static int make_token(const char *path, char **out, parley_error_t *err) {
  char hex[65];
  int rc = parley_random_hex(hex, 32);
  if (rc)
    return parley_error_set(err, rc, "admin token: no randomness from the kernel");
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return parley_error_set(err, PARLEY_EIO, "admin token %s: cannot create it: %s", path,
                            strerror(errno));
  hex[64] = '\n';
  int ok = write(fd, hex, 65) == 65 && fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  hex[64] = '\0';
  if (!ok) {
    unlink(path);
    return parley_error_set(err, PARLEY_EIO, "admin token %s: cannot write it: %s", path,
                            strerror(errno));
  }
  *out = strdup(hex);
  memset(hex, 0, sizeof hex);
  if (!*out)
    return PARLEY_ENOMEM;
  parley_log(PARLEY_LOG_INFO, "auth", "admin token written to %s (mode 0600)", path);
  return 0;
}

static int token_from_state_dir(parley_config_t *cfg, parley_error_t *err) {
  char *dir = state_dir(cfg);
  char path[4096];
  if (!dir)
    return PARLEY_ENOMEM;
  snprintf(path, sizeof path, "%s/%s", dir, PARLEY_TOKEN_FILE);
  free(dir);
  int rc = read_token(path, &cfg->admin_token, err);
  if (rc == PARLEY_ENOENT)
    rc = make_token(path, &cfg->admin_token, err);
  else if (rc == 0)
    parley_log(PARLEY_LOG_INFO, "auth", "admin token read from %s", path);
  return rc;
}

static int agents_apart(const parley_config_t *cfg, parley_error_t *err) {
  for (size_t i = 0; i < cfg->n_agents; i++)
    if (strcmp(cfg->agent_tokens[i], cfg->admin_token) == 0)
      return parley_error_set(err, PARLEY_ECONFIG,
                              "%s: router.agents: agent %s has the admin token: give it its own",
                              cfg->source, cfg->agent_names[i]);
  return 0;
}

/* The wrong-token limiter and its counters (router_auth_limit.h). */
static int auth_limit_start(parley_router_t *r) {
  const parley_conf_auth_limit_t *a = &r->cfg->auth_limit;
  r->c_auth_failures = parley_metrics_counter(r->metrics, "parley_auth_failures_total", NULL);
  r->c_auth_lockouts = parley_metrics_counter(r->metrics, "parley_auth_lockouts_total", NULL);
  r->c_auth_refused = parley_metrics_counter(r->metrics, "parley_auth_refused_total", NULL);
  if (!r->c_auth_failures || !r->c_auth_lockouts || !r->c_auth_refused)
    return PARLEY_ENOMEM;
  if (a->failures == 0) {
    parley_log(PARLEY_LOG_WARN, "auth",
               "router.auth_limit.failures: 0: wrong tokens are not limited");
    return 0;
  }
  parley_auth_limit_conf_t conf = {.failures = a->failures,
                                   .window_ms = a->window_ms,
                                   .max_lockout_ms = a->max_lockout_ms};
  r->auth_limit = parley_auth_limit_new(&conf, PARLEY_AUTH_LIMIT_ADDRESSES);
  return r->auth_limit ? 0 : PARLEY_ENOMEM;
}

int parley_router_auth_start(parley_router_t *r, parley_error_t *err) {
  parley_config_t *cfg = r->cfg;
  if (cfg->admin_auth_none) {
    if (!parley_listen_is_loopback(cfg->listen))
      return parley_error_set(err, PARLEY_ECONFIG,
                              "%s: router.admin_auth: none is refused with listen %s: without a "
                              "token the admin API is only served on a loopback address",
                              cfg->source, cfg->listen);
    parley_log(PARLEY_LOG_WARN, "auth",
               "router.admin_auth: none: the admin API on %s takes no token", cfg->listen);
    return 0;
  }
  if (!cfg->admin_token) {
    int rc = token_from_state_dir(cfg, err);
    if (rc)
      return rc;
    parley_log_secret_add(cfg->admin_token); /* removed in parley_router_free */
  }
  if (!(r->sessions = parley_sessions_new(PARLEY_MAX_SESSIONS, PARLEY_SESSION_IDLE_MS)) ||
      auth_limit_start(r) != 0)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  return agents_apart(cfg, err);
}
