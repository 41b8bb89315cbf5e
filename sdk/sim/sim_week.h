/* parley-sim — a generated week of customer care (scenario key "week",
 * docs/simulator.md): customer messages spread over days by an hourly
 * demand curve, in several languages, on every platform, with brand
 * replies after realistic delays, brand posts to comment on, VIP authors
 * and follow-ups. Everything is drawn from one seeded generator, so a seed
 * and an end time give the same week every run.
 *
 * Files: sim_week.c (options and generation), sim_week_text.c (texts,
 * names, reply templates), sim_week_run.c (delivery: history or replay,
 * the /_sim/week control calls). Framework-internal. */
#ifndef PARLEY_SIM_WEEK_H
#define PARLEY_SIM_WEEK_H

#include "sim_internal.h"

#define PARLEY_WEEK_MAX_LANGS 16
#define PARLEY_WEEK_NPLAT 5

/* Platform slots, in the order of parley_week_platform_names. */
enum { PW_TWITTER, PW_FACEBOOK, PW_INSTAGRAM, PW_LINKEDIN, PW_TIKTOK };
extern const char *const parley_week_platform_names[PARLEY_WEEK_NPLAT];

typedef struct parley_week_text {
  char sentiment[4]; /* "neg", "neu", "pos" */
  char *text;
} parley_week_text_t;

typedef struct parley_week_texts {
  char lang[8];
  parley_week_text_t *v;
  size_t n, cap;
} parley_week_texts_t;

typedef struct parley_week_cfg {
  double days, per_day;
  int64_t start_ms, end_ms;
  double curve[24];      /* UTC hour of day -> weight */
  double weekday[7];     /* Monday .. Sunday -> weight */
  size_t nlangs;
  char langs[PARLEY_WEEK_MAX_LANGS][8];
  double lang_w[PARLEY_WEEK_MAX_LANGS];
  double vip_share;
  double reply_share, delay_median_s, delay_p90_s, follow_up_share;
  int bh;                /* business hours given */
  int bh_start, bh_end;  /* UTC hours [start, end) */
  unsigned bh_days;      /* bit d (1 = Monday .. 7 = Sunday) */
  double mix[PARLEY_WEEK_NPLAT];
  double dm_share, post_every_h;
  size_t customers;
  uint64_t seed;
  int replay;            /* 0: history (all there at start), 1: replay */
  double replay_rate;    /* items per second */
  double replay_start_s; /* < 0: on POST /_sim/week/start */
} parley_week_cfg_t;

/* One generated item before (owned JSON) and after (borrowed: the store
 * owns it) it was added. parent is the item it answers or comments on. */
typedef struct parley_week_entry {
  int64_t ms;
  size_t order;
  int platform;          /* PW_* */
  json_t *item;
  struct parley_week_entry *parent;
  int added;
} parley_week_entry_t;

typedef struct parley_week {
  parley_week_cfg_t cfg;
  uint64_t rng;
  parley_week_texts_t texts[PARLEY_WEEK_MAX_LANGS];
  parley_week_entry_t *pool;   /* all entries (owned) */
  parley_week_entry_t **seq;   /* in time order */
  size_t n, cap;
  size_t delivered;
  json_t *customers[PARLEY_WEEK_NPLAT]; /* arrays of user objects (borrowed) */
  json_t *counts;              /* {"<platform>": {"messages":..}} */
  int state;                   /* PARLEY_WEEK_* */
  parley_sim_timer_t *timer;
  uint64_t replay_t0;          /* loop time the replay started */
} parley_week_t;

enum { PARLEY_WEEK_HISTORY, PARLEY_WEEK_WAITING, PARLEY_WEEK_REPLAYING, PARLEY_WEEK_DONE };

/* sim_week.c: read scenario.week (borrowed) into cfg; scenario_dir is the
 * directory relative texts paths start from. */
int parley_week_config(parley_sim_t *sim, json_t *week, const char *scenario_dir,
                       parley_week_cfg_t *cfg, char **texts_dir, parley_error_t *err);
/* sim_week.c: make users and the timeline (w->seq, in time order). */
int parley_week_generate(parley_sim_t *sim, parley_week_t *w, parley_error_t *err);
/* sim_week.c: the seeded generator's next value / uniform double in [0, 1). */
uint64_t parley_week_rand(parley_week_t *w);
double parley_week_unif(parley_week_t *w);

/* sim_week_text.c */
int parley_week_texts_load(parley_week_t *w, const char *dir, parley_error_t *err);
void parley_week_texts_free(parley_week_t *w);
const parley_week_text_t *parley_week_text(parley_week_t *w, const char *lang);
/* A customer's name and handle stem ("jana_k") in lang, into the buffers. */
void parley_week_person(parley_week_t *w, const char *lang, char *name, size_t nlen,
                        char *handle, size_t hlen);
/* The brand's answer in lang to a message of that sentiment (neg, neu,
 * pos), or to a follow-up. */
const char *parley_week_reply_text(const char *lang, const char *sentiment, int follow_up);
/* Text of a brand post / video. */
const char *parley_week_post_text(parley_week_t *w);

/* sim_week_run.c: called by the scenario loader (after the items). */
int parley_sim_week_apply(parley_sim_t *sim, parley_error_t *err);
void parley_sim_week_free(parley_sim_t *sim);
/* GET /_sim/week (new object) and POST /_sim/week/start (0, or
 * PARLEY_ENOENT: no week; PARLEY_ESTATE: not waiting for a start). */
json_t *parley_sim_week_status(parley_sim_t *sim);
int parley_sim_week_start(parley_sim_t *sim);

#endif
