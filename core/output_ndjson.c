/* parley core — the ndjson output: one event per line to stdout or a file,
 * flushed once per batch. With `fsync: true` a batch counts as delivered
 * only once it is on disk. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"

typedef struct ndjson_config {
  const char *path;
  int fsync;
} ndjson_config_t;

typedef struct ndjson {
  parley_output_t *o;
  const ndjson_config_t *cfg;
  FILE *f;
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
  *state = n;
  return 0;
}

static int ndjson_open(void *state, uv_loop_t *loop, parley_error_t *err) {
  ndjson_t *n = state;
  (void)loop;
  if (strcmp(n->cfg->path, "-") == 0) {
    n->f = stdout;
    return 0;
  }
  n->f = fopen(n->cfg->path, "a");
  if (!n->f)
    return parley_error_set(err, PARLEY_EIO, "output %s: cannot open %s: %s",
                            parley_output_name(n->o), n->cfg->path, strerror(errno));
  n->owns = 1;
  return 0;
}

static void ndjson_deliver(void *state, const parley_output_item_t *items, size_t count) {
  ndjson_t *n = state;
  int ok = 1;
  for (size_t i = 0; ok && i < count; i++)
    ok = fwrite(items[i].json, 1, items[i].len, n->f) == items[i].len && fputc('\n', n->f) != EOF;
  ok = ok && fflush(n->f) == 0;
  if (ok && n->owns && n->cfg->fsync)
    ok = fsync(fileno(n->f)) == 0;
  if (!ok) {
    char msg[256];
    snprintf(msg, sizeof msg, "write to %s failed: %s", n->cfg->path, strerror(errno));
    clearerr(n->f);
    parley_output_done(n->o, PARLEY_EIO, msg);
    return;
  }
  parley_output_done(n->o, 0, NULL);
}

static void ndjson_close(void *state, void (*cb)(parley_output_t *o), parley_output_t *o) {
  ndjson_t *n = state;
  if (n->f)
    fflush(n->f);
  if (n->owns && n->f)
    fclose(n->f);
  n->f = NULL;
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
