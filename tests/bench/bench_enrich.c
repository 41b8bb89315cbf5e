/* bench_enrich — microseconds per event of each enrichment step on its own
 * and of the whole stage, on realistic short messages in en/de/nl (the
 * texts of bench_router). The router's share is bench_router with and
 * without "enrich".
 *
 *   bench_enrich [N]
 *   cmake --build build --target bench */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "bench_care.h"
#include "enrich.h"
#include "log.h"

typedef struct {
  const char *name;
  int lang, sentiment, kw, priority, sla;
} variant_t;

static double run(const variant_t *v, long n, parley_metrics_t *m) {
  char yaml[2048];
  snprintf(yaml, sizeof yaml,
           "enrich:\n  language: {enabled: %s}\n  sentiment: {enabled: %s}\n"
           "  priority: {enabled: %s}\n%s  sla:\n    enabled: %s\n%s",
           v->lang ? "true" : "false", v->sentiment ? "true" : "false",
           v->priority ? "true" : "false", v->kw ? BENCH_KEYWORDS_YAML : "",
           v->sla ? "true" : "false", v->sla ? BENCH_SLA_YAML : "");
  parley_config_t *cfg = NULL;
  parley_enrich_t *e = NULL;
  parley_error_t err = {0};
  if (parley_config_load_string(&cfg, yaml, strlen(yaml), "yaml", "bench", &err) ||
      parley_enrich_new(cfg->enrich, "bench", m, &e, &err)) {
    fprintf(stderr, "bench_enrich: %s\n", err.message);
    exit(1);
  }
  parley_event_t *evs[BENCH_N_TEXTS];
  for (size_t i = 0; i < BENCH_N_TEXTS; i++) {
    evs[i] = parley_event_new();
    parley_event_set_kind(evs[i], PARLEY_KIND_MENTION);
    parley_event_set_visibility(evs[i], PARLEY_VISIBILITY_PUBLIC);
    parley_event_set_conversation_id(evs[i], "c1");
    parley_event_set_text(evs[i], bench_texts[i]);
    parley_event_set_created_at(evs[i], 1795425606000LL);
    parley_event_set_author_followers(evs[i], 1200);
    if (!v->lang)
      parley_event_set_lang(evs[i], i % 3 == 0 ? "en" : i % 3 == 1 ? "de" : "nl");
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < n; i++) {
    parley_event_t *ev = parley_event_clone(evs[(size_t)i % BENCH_N_TEXTS]);
    parley_enrich_event(e, ev);
    parley_event_free(ev);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  for (size_t i = 0; i < BENCH_N_TEXTS; i++)
    parley_event_free(evs[i]);
  parley_enrich_free(e);
  parley_config_free(cfg);
  return ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 /
         (double)n;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  static const variant_t variants[] = {
      {"none (clone + free only)", 0, 0, 0, 0, 0},
      {"language", 1, 0, 0, 0, 0},
      {"sentiment", 0, 1, 0, 0, 0},
      {"keywords (4 sets)", 0, 0, 1, 0, 0},
      {"priority", 0, 0, 0, 1, 0},
      {"sla (business hours)", 0, 0, 0, 1, 1},
      {"everything", 1, 1, 1, 1, 1},
  };
  parley_metrics_t *m = parley_metrics_new();
  parley_log_set_level(PARLEY_LOG_WARN);
  for (size_t i = 0; i < sizeof variants / sizeof *variants; i++)
    printf("bench_enrich: %-26s %6.2f us/event\n", variants[i].name, run(&variants[i], n, m));
  printf("reproduce: %s %ld\n", argv[0], n);
  parley_metrics_free(m);
  return 0;
}
