/* parley-conformance — lifecycle: create → start → stop → destroy
 * PARLEY_KIT_CYCLES times in a row, each on a new router, stopping after a
 * different time (at once, or while a request may be in flight). stop()
 * must call host->stopped() within PARLEY_KIT_STOP_DEADLINE_MS, nothing may
 * stay open on the loop, and neither file descriptors nor the heap may grow
 * from round to round. */
#include <dirent.h>
#include <malloc.h>
#include <string.h>

#include "kit.h"

typedef struct cycle_step {
  uint64_t after_ms; /* stop this long after start */
} cycle_step_t;

static int stop_after(parley_kit_run_t *run, void *data) {
  const cycle_step_t *c = data;
  return uv_now(&run->loop) - run->started >= c->after_ms;
}

static long count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  long n = 0;
  if (!d)
    return -1;
  while (readdir(d))
    n++;
  closedir(d);
  return n;
}

/* Bytes in use on the heap (glibc); 0 where it cannot be known (under
 * AddressSanitizer, whose allocator LeakSanitizer checks instead). */
static size_t heap_in_use(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks;
#else
  return 0;
#endif
}

typedef struct cycle_stats {
  uint64_t slowest_stop;
  unsigned late;        /* stops past the deadline */
  size_t open_handles;
  unsigned failed;
  char first_error[PARLEY_ERROR_MAX + 32];
} cycle_stats_t;

static void one_cycle(parley_kit_t *kit, unsigned i, cycle_stats_t *st) {
  parley_kit_run_t run;
  parley_error_t err = {0};
  /* 0, 10, 50, 150 ms: at once, mid-start, mid-request, after a poll */
  static const uint64_t delays[] = {0, 10, 50, 150};
  cycle_step_t step = {.after_ms = delays[i % 4]};
  int rc = parley_kit_run_open(&run, kit, "lifecycle.journal", PARLEY_KIT_OPTS_ALL, &err);
  if (rc == 0)
    rc = parley_kit_run_go(&run, step.after_ms + 1000, stop_after, &step, &err);
  if (rc) {
    if (st->failed++ == 0)
      snprintf(st->first_error, sizeof st->first_error, "round %u: %s", i + 1, err.message);
  } else {
    if (run.stop_ms > st->slowest_stop)
      st->slowest_stop = run.stop_ms;
    if (run.stop_ms > PARLEY_KIT_STOP_DEADLINE_MS)
      st->late++;
    st->open_handles += run.open_handles;
  }
  if (rc == 0 || run.router)
    parley_kit_run_close(&run);
}

void parley_kit_check_lifecycle(parley_kit_t *kit) {
  cycle_stats_t st = {0};
  long fds_before = count_fds();
  size_t heap_base = 0, heap_end = 0;
  /* The heap is compared between round 10 and round 20: the first rounds
   * grow it while caches and the allocator settle (measured: +13 KiB over
   * rounds 1-10, +3 KiB over rounds 11-20 for the test connector), so a
   * leak shows as steady growth after them. The bound is 3 KiB a round:
   * twitter.so, which leaks nothing (valgrind: 0 bytes in use at exit;
   * LeakSanitizer clean), grows +9..15 KiB over rounds 11-20 on a loaded
   * machine, ever more slowly (over 60 rounds: +10, +7, +7, +5, +3 KiB per
   * ten), while a connector leaking 4 KiB per instance (testdata/
   * misbehave.c, leakmem) grows 40 KiB and more. */
  const unsigned base_round = PARLEY_KIT_CYCLES / 2;
  const size_t leak_per_round = 3072;
  unsigned rounds = 0;
  for (unsigned i = 0; i < PARLEY_KIT_CYCLES; i++, rounds++) {
    /* one failure is enough: a stuck stop costs the router's deadline */
    if (st.failed || st.late || st.open_handles)
      break;
    one_cycle(kit, i, &st);
    if (i + 1 == base_round)
      heap_base = heap_in_use();
  }
  heap_end = heap_in_use();
  long fds_after = count_fds();

  if (st.failed)
    parley_kit_row(&kit->report, "lifecycle.cycles", PARLEY_KIT_FAIL,
                   "%s", st.first_error);
  else if (st.open_handles)
    parley_kit_row(&kit->report, "lifecycle.cycles", PARLEY_KIT_FAIL,
                   "round %u: %zu uv handles still open after stopped() (a timer not stopped?)",
                   rounds, st.open_handles);
  else if (fds_before >= 0 && fds_after != fds_before)
    parley_kit_row(&kit->report, "lifecycle.cycles", PARLEY_KIT_FAIL,
                   "file descriptors %ld before, %ld after %d rounds", fds_before, fds_after,
                   PARLEY_KIT_CYCLES);
  else if (heap_base && heap_end > heap_base + (PARLEY_KIT_CYCLES - base_round) * leak_per_round)
    parley_kit_row(&kit->report, "lifecycle.cycles", PARLEY_KIT_FAIL,
                   "heap grew by %zu KiB over the last %d rounds (a leak?)",
                   (heap_end - heap_base) / 1024, PARLEY_KIT_CYCLES - (int)base_round);
  else if (heap_base)
    parley_kit_row(&kit->report, "lifecycle.cycles", PARLEY_KIT_PASS,
                   "%d rounds create/start/stop/destroy; fds %ld -> %ld, heap %+ld KiB "
                   "over the last %d", PARLEY_KIT_CYCLES, fds_before, fds_after,
                   ((long)heap_end - (long)heap_base) / 1024, PARLEY_KIT_CYCLES - (int)base_round);
  else
    parley_kit_row(&kit->report, "lifecycle.cycles", PARLEY_KIT_PASS,
                   "%d rounds create/start/stop/destroy; fds %ld -> %ld (heap: see LeakSanitizer)",
                   PARLEY_KIT_CYCLES, fds_before, fds_after);

  if (st.failed == PARLEY_KIT_CYCLES)
    parley_kit_row(&kit->report, "lifecycle.stop_deadline", PARLEY_KIT_SKIP, "no round started");
  else if (st.late)
    parley_kit_row(&kit->report, "lifecycle.stop_deadline", PARLEY_KIT_FAIL,
                   "round %u: the router stopped only after %llu ms (limit %d ms): "
                   "host->stopped() late or never called", rounds,
                   (unsigned long long)st.slowest_stop, PARLEY_KIT_STOP_DEADLINE_MS);
  else
    parley_kit_row(&kit->report, "lifecycle.stop_deadline", PARLEY_KIT_PASS,
                   "slowest stop %llu ms (limit %d ms)", (unsigned long long)st.slowest_stop,
                   PARLEY_KIT_STOP_DEADLINE_MS);
}
