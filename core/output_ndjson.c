/* parley core — the ndjson output: one event per line to stdout or a file.
 * With `fsync: true` a batch counts as delivered only once it is on disk.
 *
 * A file only ever holds whole lines: a batch that fails half-written is
 * cut back to where it began, and a last line torn by a crash is cut off
 * when the file is opened again. Neither was acknowledged, so the router
 * delivers those events again. Writes go straight to the descriptor
 * (no stdio buffer that could still hold half a batch after an error). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "output.h"

#define NDJSON_IOV 512 /* iovecs per writev: 256 lines */

typedef struct ndjson_config {
  const char *path;
  int fsync;
} ndjson_config_t;

typedef struct ndjson {
  parley_output_t *o;
  const ndjson_config_t *cfg;
  int fd;
  int owns;
} ndjson_t;

static const parley_option_t ndjson_options[] = {
    {"path", PARLEY_OPT_STRING, 0, "-", offsetof(ndjson_config_t, path),
     "file to append events to; \"-\" for stdout"},
    {"fsync", PARLEY_OPT_BOOL, 0, "false", offsetof(ndjson_config_t, fsync),
     "fsync the file after every batch"},
    {NULL, 0, 0, NULL, 0, NULL},
};

static int ndjson_create(parley_output_t *o, const void *config, void **state,
                         parley_error_t *err) {
  ndjson_t *n = calloc(1, sizeof *n);
  if (!n)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  n->o = o;
  n->cfg = config;
  n->fd = -1;
  *state = n;
  return 0;
}

/* The length of the file's whole lines: up to and including its last '\n'
 * (0 when it has none), or -1 with errno on a read error. */
static off_t whole_lines_end(int fd, off_t size) {
  char buf[4096];
  while (size > 0) {
    off_t from = size > (off_t)sizeof buf ? size - (off_t)sizeof buf : 0;
    ssize_t got = pread(fd, buf, (size_t)(size - from), from);
    if (got != size - from)
      return -1;
    for (ssize_t i = got; i > 0; i--)
      if (buf[i - 1] == '\n')
        return from + i;
    size = from;
  }
  return 0;
}

/* Cut a last line that a crash left without its '\n'. */
static int trim_torn_line(ndjson_t *n, parley_error_t *err) {
  off_t size = lseek(n->fd, 0, SEEK_END);
  off_t keep = size > 0 ? whole_lines_end(n->fd, size) : 0;
  if (size < 0 || keep < 0 || (keep < size && ftruncate(n->fd, keep) != 0))
    return parley_error_set(err, PARLEY_EIO, "output %s: cannot check the end of %s: %s",
                            parley_output_name(n->o), n->cfg->path, strerror(errno));
  if (keep < size)
    parley_log_instance(PARLEY_LOG_WARN, "output", parley_output_name(n->o),
                        "cut a torn last line (%lld bytes) off %s; its event is delivered again",
                        (long long)(size - keep), n->cfg->path);
  return 0;
}

static int ndjson_open(void *state, uv_loop_t *loop, parley_error_t *err) {
  ndjson_t *n = state;
  (void)loop;
  if (strcmp(n->cfg->path, "-") == 0) {
    n->fd = STDOUT_FILENO;
    return 0;
  }
  n->fd = open(n->cfg->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (n->fd < 0)
    return parley_error_set(err, PARLEY_EIO, "output %s: cannot open %s: %s",
                            parley_output_name(n->o), n->cfg->path, strerror(errno));
  n->owns = 1;
  return trim_torn_line(n, err);
}

/* Write all of iov[0..cnt), resuming after short writes; 0 or -1 (errno). */
static int write_all(int fd, struct iovec *iov, int cnt) {
  while (cnt > 0) {
    ssize_t w = writev(fd, iov, cnt);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    for (; cnt > 0 && (size_t)w >= iov->iov_len; iov++, cnt--)
      w -= (ssize_t)iov->iov_len;
    if (cnt > 0) {
      iov->iov_base = (char *)iov->iov_base + w;
      iov->iov_len -= (size_t)w;
    }
  }
  return 0;
}

static int write_items(int fd, const parley_output_item_t *items, size_t count) {
  static const char nl = '\n';
  struct iovec iov[NDJSON_IOV];
  int cnt = 0;
  for (size_t i = 0; i < count; i++) {
    iov[cnt++] = (struct iovec){(void *)items[i].json, items[i].len};
    iov[cnt++] = (struct iovec){(void *)&nl, 1};
    if (cnt == NDJSON_IOV || i + 1 == count) {
      if (write_all(fd, iov, cnt) != 0)
        return -1;
      cnt = 0;
    }
  }
  return 0;
}

static void ndjson_deliver(void *state, const parley_output_item_t *items, size_t count) {
  ndjson_t *n = state;
  off_t start = n->owns ? lseek(n->fd, 0, SEEK_END) : -1;
  int ok = write_items(n->fd, items, count) == 0;
  if (ok && n->owns && n->cfg->fsync)
    ok = fsync(n->fd) == 0;
  if (!ok) {
    char msg[256];
    snprintf(msg, sizeof msg, "write to %s failed: %s", n->cfg->path, strerror(errno));
    if (start >= 0 && ftruncate(n->fd, start) != 0)
      parley_log_instance(PARLEY_LOG_WARN, "output", parley_output_name(n->o),
                          "cannot cut a half-written batch off %s: %s", n->cfg->path,
                          strerror(errno));
    parley_output_done(n->o, PARLEY_EIO, msg);
    return;
  }
  parley_output_done(n->o, 0, NULL);
}

static void ndjson_close(void *state, void (*cb)(parley_output_t *o), parley_output_t *o) {
  ndjson_t *n = state;
  if (n->owns && n->fd >= 0)
    close(n->fd);
  n->fd = -1;
  n->owns = 0;
  cb(o);
}

static void ndjson_destroy(void *state) { free(state); }

const parley_output_type_t parley_output_ndjson = {
    .name = "ndjson",
    .description = "newline-delimited JSON events to stdout or a file",
    .options = ndjson_options,
    .config_size = sizeof(ndjson_config_t),
    .create = ndjson_create,
    .open = ndjson_open,
    .deliver = ndjson_deliver,
    .close = ndjson_close,
    .destroy = ndjson_destroy,
};
