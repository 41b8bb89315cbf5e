/* twitter — which keywords of a search query or stream rule a tweet matched.
 *
 * The platform says which rule (stream: matching_rules) or which query (the
 * search we ran) a tweet matched, but not which of its terms. An agent wants
 * the terms ("acme", "#acmefail", "\"acme support\""), so the plain terms of
 * the query are looked up in the text. Operators (OR, AND), negated terms
 * (-is:retweet, -from:acme) and filters with a colon (lang:en, from:x) are
 * not keywords (§3). Pure: no I/O. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "parley/event.h"
#include "twitter.h"

#define TW_TERM_MAX 256

/* Case-insensitive (ASCII) substring search. */
static int contains(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  if (n == 0)
    return 0;
  for (const char *p = hay; *p; p++)
    if (strncasecmp(p, needle, n) == 0)
      return 1;
  return 0;
}

static int already(const parley_event_t *ev, const char *kw) {
  for (size_t i = 0; i < parley_event_keyword_count(ev); i++)
    if (strcasecmp(parley_event_keyword(ev, i), kw) == 0)
      return 1;
  return 0;
}

/* Read the next term of q into term; returns the position after it, or NULL
 * at the end. *quoted tells a phrase from a word. */
static const char *next_term(const char *q, char *term, int *quoted) {
  while (*q && (isspace((unsigned char)*q) || *q == '(' || *q == ')'))
    q++;
  if (!*q)
    return NULL;
  size_t n = 0;
  *quoted = *q == '"';
  if (*quoted) {
    for (q++; *q && *q != '"'; q++)
      if (n < TW_TERM_MAX - 1)
        term[n++] = *q;
    if (*q == '"')
      q++;
  } else {
    for (; *q && !isspace((unsigned char)*q) && *q != '(' && *q != ')'; q++)
      if (n < TW_TERM_MAX - 1)
        term[n++] = *q;
  }
  term[n] = '\0';
  return q;
}

static int is_keyword(const char *term, int quoted) {
  if (quoted)
    return term[0] != '\0';
  if (!term[0] || term[0] == '-' || strchr(term, ':'))
    return 0;
  return strcmp(term, "OR") != 0 && strcmp(term, "AND") != 0;
}

size_t parley_twitter_match_keywords(const char *query, const char *text, parley_event_t *ev) {
  char term[TW_TERM_MAX];
  int quoted = 0;
  size_t added = 0;
  if (!query || !text || !ev)
    return 0;
  for (const char *q = query; q;) {
    q = next_term(q, term, &quoted); /* a negated -"phrase" reads as a '-' word */
    if (!q || !is_keyword(term, quoted))
      continue;
    if (contains(text, term) && !already(ev, term) && parley_event_add_keyword(ev, term) == 0)
      added++;
  }
  return added;
}
