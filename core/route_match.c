/* parley core — route matching: which outputs an event goes to. Every
 * criterion a route sets must hold; a list criterion holds when any of its
 * values does. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "router.h"

static int in_list(char *const *list, size_t n, const char *value) {
  for (size_t i = 0; value && i < n; i++)
    if (strcmp(list[i], value) == 0)
      return 1;
  return 0;
}

/* Case-insensitive substring search; keywords match anywhere in the text. */
static int contains_ci(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  if (n == 0)
    return 1;
  for (; *hay; hay++)
    if (tolower((unsigned char)*hay) == tolower((unsigned char)*needle) &&
        strncasecmp(hay, needle, n) == 0)
      return 1;
  return 0;
}

static int any_keyword(char *const *kw, size_t n, const char *text) {
  for (size_t i = 0; text && i < n; i++)
    if (contains_ci(text, kw[i]))
      return 1;
  return 0;
}

static int any_keyword_set(char *const *sets, size_t n, const parley_event_t *ev) {
  size_t count = parley_event_keyword_count(ev);
  for (size_t i = 0; i < count; i++)
    if (in_list(sets, n, parley_event_keyword(ev, i)))
      return 1;
  return 0;
}

/* Language tags match on the primary subtag too: route "de" takes "de-AT". */
static int lang_matches(char *const *langs, size_t n, const char *lang) {
  for (size_t i = 0; lang && i < n; i++) {
    size_t l = strlen(langs[i]);
    if (strncasecmp(lang, langs[i], l) == 0 && (lang[l] == '\0' || lang[l] == '-'))
      return 1;
  }
  return 0;
}

int parley_route_matches(const parley_conf_route_t *rt, const parley_event_t *ev) {
  if (rt->n_platforms && !in_list(rt->platforms, rt->n_platforms, parley_event_platform(ev)))
    return 0;
  if (rt->n_kinds &&
      !in_list(rt->kinds, rt->n_kinds, parley_kind_name(parley_event_kind(ev))))
    return 0;
  if (rt->n_connectors &&
      !in_list(rt->connectors, rt->n_connectors, parley_event_connector(ev)))
    return 0;
  if (rt->n_langs && !lang_matches(rt->langs, rt->n_langs, parley_event_lang(ev)))
    return 0;
  if (rt->n_keywords && !any_keyword(rt->keywords, rt->n_keywords, parley_event_text(ev)))
    return 0;
  if (rt->n_keyword_sets && !any_keyword_set(rt->keyword_sets, rt->n_keyword_sets, ev))
    return 0;
  if (rt->min_priority >= 0 && parley_event_priority(ev) < rt->min_priority)
    return 0;
  if (rt->min_followers >= 0 && parley_event_author_followers(ev) < rt->min_followers)
    return 0;
  if (rt->visibility >= 0 && (int)parley_event_visibility(ev) != rt->visibility)
    return 0;
  return 1;
}

static int output_index(parley_output_t *const *outputs, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(outputs[i]->name, name) == 0)
      return (int)i;
  return -1;
}

parley_output_mask_t parley_route_match(const parley_config_t *cfg,
                                        parley_output_t *const *outputs, size_t n_outputs,
                                        const parley_event_t *ev) {
  parley_output_mask_t mask = 0;
  for (size_t i = 0; i < cfg->n_routes; i++) {
    const parley_conf_route_t *rt = &cfg->routes[i];
    if (!parley_route_matches(rt, ev))
      continue;
    for (size_t k = 0; k < rt->n_outputs; k++) {
      int idx = output_index(outputs, n_outputs, rt->outputs[k]);
      if (idx >= 0)
        mask |= (parley_output_mask_t)1 << idx;
    }
  }
  if (!mask && cfg->default_output) {
    int idx = output_index(outputs, n_outputs, cfg->default_output);
    if (idx >= 0)
      mask = (parley_output_mask_t)1 << idx;
  }
  return mask;
}
