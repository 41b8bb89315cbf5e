/* parley core — keyword sets (enrich_keywords.h).
 *
 * Terms are folded and split into words once; a message is folded once and
 * its words compared with each term's word sequence. Sets hold tens of
 * terms, messages tens of words: a plain scan beats a cleverer index here
 * (see the enrichment benchmark). */
#include <stdlib.h>
#include <string.h>

#include "enrich_keywords.h"
#include "parley/error.h"
#include "text_fold.h"

/* Words looked at per message; a longer text is matched on its start. */
#define KW_MAX_WORDS 512
/* Folded text that fits here needs no allocation (nearly every message). */
#define KW_STACK_TEXT 2048

typedef struct kw_term {
  char *folded;              /* owns the words' bytes */
  parley_text_word_t *words;
  size_t n_words;
  size_t set;                /* index of its set */
} kw_term_t;

struct parley_keywords {
  kw_term_t *terms;
  size_t n_terms;
};

static int term_init(kw_term_t *t, const char *term, size_t set) {
  size_t len, pos = 0, cap = 4;
  parley_text_word_t w;
  t->set = set;
  if (!(t->folded = parley_text_fold(term, strlen(term), &len)) ||
      !(t->words = malloc(cap * sizeof *t->words)))
    return PARLEY_ENOMEM;
  while (parley_text_next_word(t->folded, len, &pos, &w)) {
    if (t->n_words == cap) {
      parley_text_word_t *nw = realloc(t->words, (cap *= 2) * sizeof *nw);
      if (!nw)
        return PARLEY_ENOMEM;
      t->words = nw;
    }
    t->words[t->n_words++] = w;
  }
  return 0;
}

void parley_keywords_free(parley_keywords_t *k) {
  if (!k)
    return;
  for (size_t i = 0; i < k->n_terms; i++) {
    free(k->terms[i].folded);
    free(k->terms[i].words);
  }
  free(k->terms);
  free(k);
}

parley_keywords_t *parley_keywords_new(const parley_conf_kwset_t *sets, size_t n) {
  parley_keywords_t *k = calloc(1, sizeof *k);
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += sets[i].n_terms;
  if (!k || (total && !(k->terms = calloc(total, sizeof *k->terms)))) {
    free(k);
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < sets[i].n_terms; j++)
      if (term_init(&k->terms[k->n_terms++], sets[i].terms[j], i) != 0) {
        parley_keywords_free(k);
        return NULL;
      }
  return k;
}

static int is_tag(char c) { return c == '#' || c == '@'; }

/* A term word matches a text word as written, or the text's #tag/@handle
 * when the term has no '#'/'@' of its own ("fail" matches "#fail"). */
static int word_eq(const parley_text_word_t *term, const parley_text_word_t *text) {
  if (term->len == text->len && memcmp(term->p, text->p, term->len) == 0)
    return 1;
  return !is_tag(term->p[0]) && text->len == term->len + 1 && is_tag(text->p[0]) &&
         memcmp(term->p, text->p + 1, term->len) == 0;
}

static int term_at(const kw_term_t *t, const parley_text_word_t *words, size_t n, size_t at) {
  if (!t->n_words || at + t->n_words > n)
    return 0;
  for (size_t i = 0; i < t->n_words; i++)
    if (!word_eq(&t->words[i], &words[at + i]))
      return 0;
  return 1;
}

static int match_words(const parley_keywords_t *k, const parley_text_word_t *words, size_t n,
                       unsigned char *matched) {
  int sets = 0;
  for (size_t t = 0; t < k->n_terms; t++) {
    const kw_term_t *term = &k->terms[t];
    if (matched[term->set])
      continue;
    for (size_t at = 0; at < n; at++)
      if (term_at(term, words, n, at)) {
        matched[term->set] = 1;
        sets++;
        break;
      }
  }
  return sets;
}

int parley_keywords_match(const parley_keywords_t *k, const char *text, size_t len,
                          unsigned char *matched) {
  if (!k->n_terms)
    return 0;
  char stack[KW_STACK_TEXT], *heap = NULL;
  const char *folded = stack;
  size_t flen, pos = 0, n = 0;
  int rc = parley_text_fold_into(text, len, stack, sizeof stack, &flen);
  if (rc == PARLEY_ENOBUFS)
    folded = heap = parley_text_fold(text, len, &flen);
  if ((rc != 0 && rc != PARLEY_ENOBUFS) || !folded)
    return PARLEY_ENOMEM;
  parley_text_word_t words[KW_MAX_WORDS];
  while (n < KW_MAX_WORDS && parley_text_next_word(folded, flen, &pos, &words[n]))
    n++;
  int sets = match_words(k, words, n, matched);
  free(heap);
  return sets;
}
