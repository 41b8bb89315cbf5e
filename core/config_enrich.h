/* parley core — the enrich: section of the config (docs/enrichment.md has
 * every key with its default). Read twice: at load, to report errors with
 * file:line, and by the router when it builds its enrichment stage. Internal. */
#ifndef PARLEY_CORE_CONFIG_ENRICH_H
#define PARLEY_CORE_CONFIG_ENRICH_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* A named keyword set: terms matched case- and accent-insensitively on
 * word boundaries; a term may be a phrase ("switch to") or a #hashtag. */
typedef struct parley_conf_kwset {
  char *name;
  char **terms; size_t n_terms;
  int points;   /* priority points when matched; -1: the default for its name */
} parley_conf_kwset_t;

/* Weekly opening hours in a time zone: an SLA clock of a policy that names
 * them runs only inside them. */
typedef struct parley_conf_hours {
  char *name;
  char *time_zone;      /* IANA name, "Europe/Amsterdam" */
  unsigned days;        /* bit 0 = Monday ... bit 6 = Sunday */
  int from_min, until_min; /* minutes after local midnight, from < until */
} parley_conf_hours_t;

typedef struct parley_conf_sla_policy {
  parley_conf_route_t match; /* the route match fields; name is the policy's */
  int64_t target_ms;
  int hours;                 /* index into business_hours, -1: around the clock */
} parley_conf_sla_policy_t;

typedef struct parley_conf_priority {
  int enabled;
  int base;                  /* every inbound message starts here */
  int followers;             /* points at followers_max followers (log scale) */
  int64_t followers_max;
  int verified;
  int negative;              /* points at sentiment -1, linear from 0 */
  int direct_message;        /* private messages */
  int answered_thread;       /* a reply in a conversation the brand answered */
} parley_conf_priority_t;

typedef struct parley_conf_enrich {
  int lang_enabled;
  double lang_min_confidence;
  int sentiment_enabled;
  char *lexicons;            /* NULL: the installed lexicons */
  parley_conf_kwset_t *sets; size_t n_sets;
  parley_conf_priority_t priority;
  int sla_enabled;
  parley_conf_hours_t *hours; size_t n_hours;
  parley_conf_sla_policy_t *policies; size_t n_policies;
} parley_conf_enrich_t;

/* Read the enrich: node (a map, or null for every default). Errors are
 * PARLEY_ECONFIG "<source>:<line>: enrich.<path>: <what>". On success the
 * caller frees *out with parley_conf_enrich_free. */
int parley_conf_enrich_parse(const parley_node_t *n, const char *source,
                             parley_conf_enrich_t **out, parley_error_t *err);
void parley_conf_enrich_free(parley_conf_enrich_t *e); /* NULL is fine */

/* The priority points a matched set gives by default: churn 20, legal 30,
 * safety 40, competitor 10, others 0. */
int parley_conf_kwset_default_points(const char *name);

#endif
