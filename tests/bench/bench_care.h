/* What the enrichment benchmarks feed the stage, shared by bench_router
 * (enrich) and bench_enrich so both measure the same work: realistic short
 * customer messages in the languages the stage scores, four keyword sets
 * and SLA policies on business hours. */
#ifndef PARLEY_BENCH_CARE_H
#define PARLEY_BENCH_CARE_H

static const char *const bench_texts[] = {
    "@acme my order never arrived and nobody answers, really disappointed",
    "Mein Paket ist kaputt angekommen, ich will mein Geld zurück!!!",
    "Hallo @acme, mijn bestelling is niet aangekomen. Wat nu?",
    "Love the new app update, great job 😍",
    "Seit zwei Wochen keine Antwort vom Support. Sehr enttäuscht.",
    "Heel blij met de snelle levering, dank jullie wel!",
};
#define BENCH_N_TEXTS (sizeof bench_texts / sizeof *bench_texts)

/* under enrich: */
#define BENCH_KEYWORDS_YAML                                                   \
  "  keywords:\n"                                                             \
  "    broken: [broken, kaputt, kapot, defekt, stuk]\n"                       \
  "    churn: [cancel, 'switch to', kündigen, opzeggen]\n"                    \
  "    legal: [lawyer, anwalt, advocaat]\n"                                   \
  "    competitor: [northwind, contoso]\n"
/* under enrich.sla: */
#define BENCH_SLA_YAML                                                        \
  "    business_hours:\n"                                                     \
  "      office: {time_zone: Europe/Amsterdam, days: [mon-fri], from: '08:00', until: '20:00'}\n" \
  "    policies:\n"                                                           \
  "      - {match: {min_priority: 70}, target: 30m}\n"                        \
  "      - {match: {visibility: private}, target: 2h, business_hours: office}\n" \
  "      - {target: 1h, business_hours: office}\n"

#endif
