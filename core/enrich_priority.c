/* parley core — the priority formula (enrich_priority.h). */
#include <math.h>

#include "enrich_priority.h"

/* 0 for no followers, 1 at followers_max and above, log-scaled between:
 * 1 000 of 1 000 000 is half way, not a thousandth. */
static double reach(int64_t followers, int64_t max) {
  if (followers <= 0)
    return 0;
  double r = log10(1.0 + (double)followers) / log10(1.0 + (double)max);
  return r > 1 ? 1 : r;
}

int parley_priority_compute(const parley_conf_priority_t *w, const parley_event_t *ev,
                            const parley_priority_input_t *in) {
  double p = w->base;
  p += w->followers * reach(parley_event_author_followers(ev), w->followers_max);
  if (parley_event_author_verified(ev))
    p += w->verified;
  double s = parley_event_sentiment(ev);
  if (!isnan(s) && s < 0)
    p += w->negative * -s;
  if (parley_event_kind(ev) == PARLEY_KIND_DIRECT_MESSAGE ||
      parley_event_visibility(ev) == PARLEY_VISIBILITY_PRIVATE)
    p += w->direct_message;
  if (in->answered_thread)
    p += w->answered_thread;
  p += in->keyword_points;
  long v = lround(p);
  return v < 0 ? 0 : v > 100 ? 100 : (int)v;
}
