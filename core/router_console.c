/* parley core — the agent console's static files (docs/console.md):
 *   GET /            index.html
 *   GET /console/... the files under router.console_dir (default: the
 *                    installed share/parley/console)
 * No auth: the files hold no data; every call they make goes through the
 * admin gate. Only plain names of known types are served: a path segment
 * may not start with '.', and '%' or '\' are refused outright, so no
 * spelling of ".." (raw or percent-encoded) can leave the directory.
 * Files are read on libuv's thread pool, never on the loop. Every answer
 * carries an ETag (size and mtime) and Cache-Control: no-cache, so a
 * browser revalidates (304) and never runs an old app.js after an upgrade. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "router.h"
#include "util.h"

#define CONSOLE_PREFIX "/console/"
#define CONSOLE_MAX_FILE (8u * 1024 * 1024)
#define CONSOLE_MAX_NAME 200

typedef struct console_job {
  uv_work_t work;
  parley_httpd_req_t *req;
  char *file;          /* absolute path */
  char *if_none_match; /* the request's, or NULL */
  const char *type;
  int status;
  char etag[64];
  char *body;
  size_t len;
} console_job_t;

static const struct {
  const char *ext, *type;
} console_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
};

/* The Content-Type of a name, or NULL for a type the console does not serve. */
static const char *console_type(const char *name) {
  const char *dot = strrchr(name, '.');
  for (size_t i = 0; dot && i < sizeof console_types / sizeof console_types[0]; i++)
    if (strcmp(dot, console_types[i].ext) == 0)
      return console_types[i].type;
  return NULL;
}

/* A relative name made of plain segments: [A-Za-z0-9_.-] separated by
 * single '/', no segment empty or starting with '.'. */
static int console_name_ok(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > CONSOLE_MAX_NAME)
    return 0;
  int seg_start = 1;
  for (const char *p = name; *p; p++) {
    char ch = *p;
    if (ch == '/') {
      if (seg_start)
        return 0;
      seg_start = 1;
      continue;
    }
    if (seg_start && ch == '.')
      return 0;
    seg_start = 0;
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
          ch == '_' || ch == '-' || ch == '.'))
      return 0;
  }
  return !seg_start;
}

const char *parley_router_console_dir(const parley_router_t *r) {
  return r->cfg->console_dir ? r->cfg->console_dir : PARLEY_CONSOLE_DIR;
}

static void console_read(console_job_t *job) {
  struct stat st;
  int fd = open(job->file, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    job->status = fd < 0 && errno != ENOENT && errno != ENOTDIR ? 500 : 404;
    if (fd >= 0)
      close(fd);
    return;
  }
  snprintf(job->etag, sizeof job->etag, "\"%jx-%jx\"", (uintmax_t)st.st_size,
           (uintmax_t)st.st_mtime);
  if (job->if_none_match && strcmp(job->if_none_match, job->etag) == 0) {
    job->status = 304;
    close(fd);
    return;
  }
  job->status = 500;
  if (st.st_size > (off_t)CONSOLE_MAX_FILE || !(job->body = malloc((size_t)st.st_size + 1))) {
    close(fd);
    return;
  }
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t k = read(fd, job->body + got, (size_t)st.st_size - got);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      break;
    got += (size_t)k;
  }
  close(fd);
  job->len = got;
  if (got == (size_t)st.st_size)
    job->status = 200;
}

static void console_work(uv_work_t *w) { console_read(w->data); }

static void console_done(uv_work_t *w, int status) {
  console_job_t *job = w->data;
  (void)status;
  char etag[80];
  snprintf(etag, sizeof etag, "ETag: %s", job->etag);
  const char *const headers[] = {
      "Cache-Control: no-cache",
      "X-Content-Type-Options: nosniff",
      "X-Frame-Options: DENY",
      "Referrer-Policy: no-referrer",
      "Content-Security-Policy: default-src 'self'; img-src 'self' data:; "
      "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      etag,
      NULL};
  if (job->status == 200 || job->status == 304)
    parley_httpd_respond(job->req, job->status, job->type, job->status == 200 ? job->body : "",
                         job->status == 200 ? job->len : 0, headers);
  else if (job->status == 404)
    parley_router_respond_text(job->req, 404, "not found\n", NULL);
  else {
    parley_log(PARLEY_LOG_WARN, "console", "cannot read %s", job->file);
    parley_router_respond_text(job->req, 500, "cannot read the console file\n", NULL);
  }
  free(job->file);
  free(job->if_none_match);
  free(job->body);
  free(job);
}

/* The file a path names, relative to the console directory, or NULL. */
static const char *console_name(const char *path) {
  if (strcmp(path, "/") == 0 || strcmp(path, "/console") == 0 ||
      strcmp(path, CONSOLE_PREFIX) == 0)
    return "index.html";
  if (strncmp(path, CONSOLE_PREFIX, strlen(CONSOLE_PREFIX)) == 0)
    return path + strlen(CONSOLE_PREFIX);
  return NULL;
}

static console_job_t *console_job(parley_router_t *r, parley_httpd_req_t *req,
                                  const char *name, const char *type) {
  console_job_t *job = calloc(1, sizeof *job);
  if (!job)
    return NULL;
  const char *dir = parley_router_console_dir(r);
  size_t n = strlen(dir) + strlen(name) + 2;
  const char *inm = parley_httpd_req_header(req, "if-none-match");
  job->file = malloc(n);
  job->if_none_match = inm ? parley_strdup(inm) : NULL;
  if (!job->file || (inm && !job->if_none_match)) {
    free(job->file);
    free(job->if_none_match);
    free(job);
    return NULL;
  }
  snprintf(job->file, n, "%s/%s", dir, name);
  job->req = req;
  job->type = type;
  job->work.data = job;
  return job;
}

void parley_router_console_request(parley_router_t *r, parley_httpd_req_t *req) {
  const char *name = console_name(parley_httpd_req_path(req));
  const char *type = name && console_name_ok(name) ? console_type(name) : NULL;
  if (!type) {
    parley_router_respond_text(req, 404, "not found\n", NULL);
    return;
  }
  if (!parley_router_method_ok(req, "GET"))
    return;
  console_job_t *job = console_job(r, req, name, type);
  if (!job || uv_queue_work(r->loop, &job->work, console_work, console_done) != 0) {
    if (job) {
      free(job->file);
      free(job->if_none_match);
      free(job);
    }
    parley_router_respond_text(req, 503, "busy; retry later\n", NULL);
  }
}
