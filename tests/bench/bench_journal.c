/* bench_journal — how many ~1 KiB events per second the journal commits
 * when the router batches 1, 64 or 512 events per transaction.
 *
 *   cmake --build BUILD --target bench_journal
 *   BUILD/tests/bench/bench_journal [events-per-run] [directory]
 *
 * Each batch size gets a fresh journal in a temporary directory (under
 * /tmp unless a directory is given: pass one on the disk parleyd will use,
 * since tmpfs hides the cost of the WAL checkpoints' fsync). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "journal.h"

#define BENCH_EVENT_BYTES 1024
#define BENCH_DEFAULT_EVENTS 50000

static double bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A plausible event padded to BENCH_EVENT_BYTES with text. */
static void bench_event_json(char *buf, size_t len, const char *id) {
  int n = snprintf(buf, len,
                   "{\"schema\":\"parley.event.v1\",\"id\":\"%s\",\"platform\":\"twitter\","
                   "\"kind\":\"mention\",\"conversation_id\":\"c-1\",\"text\":\"",
                   id);
  size_t i = (size_t)n;
  while (i < len - 3) {
    buf[i] = (char)('a' + i % 26);
    i++;
  }
  memcpy(buf + i, "\"}", 3);
}

static void bench_remove_journal(const char *path) {
  char p[600];
  const char *suffix[] = {"", "-wal", "-shm"};
  size_t i;
  for (i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
    snprintf(p, sizeof p, "%s%s", path, suffix[i]);
    unlink(p);
  }
}

/* Commit `events` events in batches of `batch`; returns seconds or < 0. */
static double bench_run(const char *path, size_t batch, size_t events) {
  parley_journal_t *j = NULL;
  parley_journal_entry_t *e = calloc(batch, sizeof *e);
  char (*ids)[48] = calloc(batch, sizeof *ids);
  char (*json)[BENCH_EVENT_BYTES] = calloc(batch, sizeof *json);
  parley_error_t err = {0};
  double start, elapsed = -1;
  size_t done = 0, i;

  if (!e || !ids || !json || parley_journal_open(&j, path, &err) != 0) {
    fprintf(stderr, "bench_journal: %s\n", err.message[0] ? err.message : "out of memory");
    goto out;
  }
  start = bench_now();
  while (done < events) {
    size_t n = events - done < batch ? events - done : batch;
    for (i = 0; i < n; i++) {
      snprintf(ids[i], sizeof ids[i], "twitter:%zu", done + i);
      bench_event_json(json[i], sizeof json[i], ids[i]);
      e[i] = (parley_journal_entry_t){.id = ids[i], .instance = "tw-brand",
                                      .conversation = "c-1", .json = json[i],
                                      .json_len = strlen(json[i])};
    }
    if (parley_journal_commit(j, e, n, NULL, 0, &err) != 0) {
      fprintf(stderr, "bench_journal: %s\n", err.message);
      goto out;
    }
    done += n;
  }
  elapsed = bench_now() - start;
out:
  parley_journal_close(j);
  free(e);
  free(ids);
  free(json);
  return elapsed;
}

int main(int argc, char **argv) {
  static const size_t batches[] = {1, 64, 512};
  size_t events = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : BENCH_DEFAULT_EVENTS;
  char dir[512], path[600];
  size_t i;
  int rc = 0;

  if (events == 0) {
    fprintf(stderr, "usage: %s [events-per-run] [directory]\n", argv[0]);
    return 2;
  }
  snprintf(dir, sizeof dir, "%s/parley-bench-XXXXXX", argc > 2 ? argv[2] : "/tmp");
  if (!mkdtemp(dir)) {
    perror(dir);
    return 1;
  }
  snprintf(path, sizeof path, "%s/journal.db", dir);
  printf("bench_journal: SQLite %s, WAL, synchronous=NORMAL, %d-byte events, %zu per run, "
         "in %s\n",
         sqlite3_libversion(), BENCH_EVENT_BYTES - 1, events, dir);
  printf("%8s %12s %10s %12s %12s\n", "batch", "events", "seconds", "events/s", "commits/s");
  for (i = 0; i < sizeof batches / sizeof batches[0]; i++) {
    double s = bench_run(path, batches[i], events);
    bench_remove_journal(path);
    if (s < 0) {
      rc = 1;
      break;
    }
    printf("%8zu %12zu %10.3f %12.0f %12.0f\n", batches[i], events, s, (double)events / s,
           (double)events / (double)batches[i] / s);
  }
  rmdir(dir);
  printf("reproduce: cmake --build BUILD --target bench_journal && "
         "BUILD/tests/bench/bench_journal %zu [directory]\n",
         events);
  return rc;
}
