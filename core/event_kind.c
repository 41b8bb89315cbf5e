/* parley core — wire names of event kinds and visibilities. */
#include <string.h>

#include "parley/error.h"
#include "parley/event.h"

/* Indexed by parley_kind_t; the order is the enum's. */
static const char *const parley_kind_names[PARLEY_KIND_COUNT_] = {
    [PARLEY_KIND_UNKNOWN] = "unknown",
    [PARLEY_KIND_MENTION] = "mention",
    [PARLEY_KIND_COMMENT] = "comment",
    [PARLEY_KIND_REPLY] = "reply",
    [PARLEY_KIND_DIRECT_MESSAGE] = "direct_message",
    [PARLEY_KIND_KEYWORD_MATCH] = "keyword_match",
    [PARLEY_KIND_POSTBACK] = "postback",
    [PARLEY_KIND_REACTION] = "reaction",
    [PARLEY_KIND_EDITED] = "edited",
    [PARLEY_KIND_DELETED] = "deleted",
    [PARLEY_KIND_OUTBOUND] = "outbound",
    [PARLEY_KIND_SYSTEM] = "system",
};

static const char *const parley_visibility_names[] = {
    [PARLEY_VISIBILITY_PUBLIC] = "public",
    [PARLEY_VISIBILITY_PRIVATE] = "private",
};

#define PARLEY_VISIBILITY_COUNT_ (sizeof parley_visibility_names / sizeof *parley_visibility_names)

const char *parley_kind_name(parley_kind_t kind) {
  /* Compare as unsigned: an enum may hold a negative out-of-range value. */
  if ((unsigned)kind >= PARLEY_KIND_COUNT_)
    return NULL;
  return parley_kind_names[kind];
}

int parley_kind_parse(const char *name, parley_kind_t *kind) {
  if (name == NULL || kind == NULL)
    return PARLEY_EINVAL;
  for (int i = 0; i < PARLEY_KIND_COUNT_; i++) {
    if (strcmp(name, parley_kind_names[i]) == 0) {
      *kind = (parley_kind_t)i;
      return 0;
    }
  }
  return PARLEY_EINVAL;
}

const char *parley_visibility_name(parley_visibility_t v) {
  if ((unsigned)v >= PARLEY_VISIBILITY_COUNT_)
    return NULL;
  return parley_visibility_names[v];
}

int parley_visibility_parse(const char *name, parley_visibility_t *v) {
  if (name == NULL || v == NULL)
    return PARLEY_EINVAL;
  for (size_t i = 0; i < PARLEY_VISIBILITY_COUNT_; i++) {
    if (strcmp(name, parley_visibility_names[i]) == 0) {
      *v = (parley_visibility_t)i;
      return 0;
    }
  }
  return PARLEY_EINVAL;
}
