/* parley core — lexicon-based sentiment (enrich_sentiment.h). The scoring
 * follows VADER (Hutto & Gilbert 2014) on VADER's -4..+4 scale: word and
 * phrase valences, boosters scaled by distance, negation x-0.74, ALL-CAPS
 * +0.733, "!" +0.292 each (up to 3), contrast "but" (0.5 before, 1.5 after),
 * normalised x/sqrt(x²+15); a word is scored as written before its stem,
 * stopwords never, and a negator that negates nothing scores as VADER's
 * "no" does. docs/enrichment.md#sentiment has the rules,
 * lexicons/README.md the file format. */
#include "enrich_sentiment.h"

#include "parley/error.h"
#include "text_fold.h"

#include <dirent.h>
#include <errno.h>
#include <libstemmer.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#include <unistd.h>
#include <unistr.h>

/* ---- constants of the scorer (VADER's, see the file comment) ---- */
#define CAPS_INCR 0.733
#define EXCL_INCR 0.292
#define EXCL_MAX 3
#define NORM_ALPHA 15.0
#define WINDOW 3 /* words a negator or booster reaches */
/* A negator that negates no word ("kam nie an", "nobody answers") reports
 * a failure: it scores as VADER scores "no" when no lexicon word follows it
 * (its valence -1.2 in vader_lexicon.txt), in every language. */
#define NEG_ALONE -1.2

/* Bounds of one call: text scored, words, bytes of folded words. */
#define MAX_TEXT 8192
#define MAX_WORDS 256
#define WORD_MAX 64
#define ARENA (MAX_WORDS * 24)

/* ---- hash table of folded keys ---- */

enum { F_SCORE = 1, F_NEG = 2, F_INT = 4, F_CONTRAST = 8, F_STOP = 16 };

typedef struct entry {
  uint32_t hash, key; /* key: offset into the pool */
  uint16_t len;
  uint8_t flags;      /* 0: empty slot */
  float score, neg, intens, before, after;
} entry_t;

typedef struct table {
  entry_t *e;
  size_t cap, n; /* cap: a power of two, or 0 */
  char *pool;
  size_t pool_len, pool_cap;
} table_t;

static uint32_t hash(const char *s, size_t n) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static const entry_t *table_find(const table_t *t, const char *k, size_t n) {
  if (!t->cap || n == 0)
    return NULL;
  uint32_t h = hash(k, n);
  for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
    const entry_t *e = &t->e[i];
    if (!e->flags)
      return NULL;
    if (e->hash == h && e->len == n && memcmp(t->pool + e->key, k, n) == 0)
      return e;
  }
}

static int table_grow(table_t *t) {
  size_t cap = t->cap ? t->cap * 2 : 64;
  entry_t *e = calloc(cap, sizeof *e);
  if (!e)
    return PARLEY_ENOMEM;
  for (size_t i = 0; i < t->cap; i++) {
    if (!t->e[i].flags)
      continue;
    size_t j = t->e[i].hash & (cap - 1);
    while (e[j].flags)
      j = (j + 1) & (cap - 1);
    e[j] = t->e[i];
  }
  free(t->e);
  t->e = e;
  t->cap = cap;
  return 0;
}

static int pool_add(table_t *t, const char *k, size_t n, uint32_t *off) {
  if (t->pool_len + n > t->pool_cap) {
    size_t cap = t->pool_cap ? t->pool_cap * 2 : 4096;
    while (cap < t->pool_len + n)
      cap *= 2;
    char *p = realloc(t->pool, cap);
    if (!p)
      return PARLEY_ENOMEM;
    t->pool = p;
    t->pool_cap = cap;
  }
  memcpy(t->pool + t->pool_len, k, n);
  *off = (uint32_t)t->pool_len;
  t->pool_len += n;
  return 0;
}

/* The entry for k, added empty-flagged-but-reserved when new (flags set by
 * the caller); NULL when out of memory. */
static entry_t *table_put(table_t *t, const char *k, size_t n) {
  entry_t *found = (entry_t *)table_find(t, k, n);
  if (found)
    return found;
  if ((t->n + 1) * 2 > t->cap && table_grow(t) != 0)
    return NULL;
  uint32_t h = hash(k, n), off;
  if (pool_add(t, k, n, &off) != 0)
    return NULL;
  size_t i = h & (t->cap - 1);
  while (t->e[i].flags)
    i = (i + 1) & (t->cap - 1);
  t->e[i] = (entry_t){.hash = h, .key = off, .len = (uint16_t)n};
  t->n++;
  return &t->e[i];
}

static void table_free(table_t *t) {
  free(t->e);
  free(t->pool);
}

/* ---- the loaded lexicons ---- */

typedef struct lexicon {
  char lang[8];
  table_t words; /* folded forms and phrases: scores, negators, boosters, contrast */
  table_t stems; /* Snowball stems of folded words: scores */
  struct sb_stemmer *stemmer;
  int max_phrase;     /* words in the longest phrase */
  int negation_after; /* a negator may follow the word it negates (de, nl) */
} lexicon_t;

struct parley_sentiment {
  lexicon_t *langs;
  size_t n_langs;
  table_t emoji, emoticons;
};

static void lexicon_free(lexicon_t *l) {
  table_free(&l->words);
  table_free(&l->stems);
  if (l->stemmer)
    sb_stemmer_delete(l->stemmer);
}

void parley_sentiment_free(parley_sentiment_t *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->n_langs; i++)
    lexicon_free(&s->langs[i]);
  free(s->langs);
  table_free(&s->emoji);
  table_free(&s->emoticons);
  free(s);
}

static const lexicon_t *find_lang(const parley_sentiment_t *s, const char *lang) {
  for (size_t i = 0; s && lang && i < s->n_langs; i++)
    if (strcmp(s->langs[i].lang, lang) == 0)
      return &s->langs[i];
  return NULL;
}

int parley_sentiment_has(const parley_sentiment_t *s, const char *lang) {
  return find_lang(s, lang) != NULL;
}

const char *parley_sentiment_default_dir(void) {
  const char *env = getenv("PARLEY_LEXICON_DIR");
  if (env && *env)
    return env;
  /* not installed (yet): the build tree's copy, if this runs from it */
  if (access(PARLEY_LEXICON_DIR "/emoji.tsv", R_OK) != 0 &&
      access(PARLEY_LEXICON_BUILD_DIR "/emoji.tsv", R_OK) == 0)
    return PARLEY_LEXICON_BUILD_DIR;
  return PARLEY_LEXICON_DIR;
}

/* ---- loading ---- */

enum { S_NONE, S_META, S_WORDS, S_STEMS, S_NEG, S_INT, S_CONTRAST, S_STOP, S_EMOJI, S_EMOTICONS };
static const char *const section_names[] = {"",         "meta",     "words",     "stems",
                                            "negators", "intensifiers", "contrast", "stopwords",
                                            "emoji",    "emoticons"};

typedef struct parse {
  const char *path;
  int line, section;
  parley_error_t *err;
  parley_sentiment_t *s;
  lexicon_t *lex; /* NULL while reading emoji.tsv */
} parse_t;

#define PERR(p, ...) parley_error_set((p)->err, PARLEY_ECONFIG, __VA_ARGS__)

static int parse_num(parse_t *p, const char *f, double lo, double hi, float *out) {
  char *end;
  errno = 0;
  double v = strtod(f, &end);
  if (end == f || *end || errno || !isfinite(v))
    return PERR(p, "%s:%d: '%s' is not a number", p->path, p->line, f);
  if (v < lo || v > hi)
    return PERR(p, "%s:%d: %s is out of range [%g, %g]", p->path, p->line, f, lo, hi);
  *out = (float)v;
  return 0;
}

/* The folded words of key joined by single spaces into out (WORD_MAX * 4);
 * the number of words, or 0 when there is none or it does not fit. */
static int canon_words(const char *key, char *out, size_t cap, size_t *out_len) {
  char f[WORD_MAX * 4];
  size_t fl, pos = 0, o = 0;
  int n = 0;
  if (parley_text_fold_into(key, strlen(key), f, sizeof f, &fl) != 0)
    return 0;
  parley_text_word_t w;
  while (parley_text_next_word(f, fl, &pos, &w)) {
    if (o + w.len + 1 >= cap)
      return 0;
    if (n++)
      out[o++] = ' ';
    memcpy(out + o, w.p, w.len);
    o += w.len;
  }
  out[o] = 0;
  *out_len = o;
  return n;
}

static int parse_meta(parse_t *p, const char *k, const char *v) {
  if (strcmp(k, "lang") == 0) {
    if (!p->lex || strcmp(v, p->lex->lang) != 0)
      return PERR(p, "%s:%d: lang '%s' does not match the file name", p->path, p->line, v);
  } else if (strcmp(k, "stemmer") == 0) {
    if (!p->lex || p->lex->stemmer)
      return PERR(p, "%s:%d: unexpected stemmer", p->path, p->line);
    p->lex->stemmer = sb_stemmer_new(v, "UTF_8");
    if (!p->lex->stemmer)
      return PERR(p, "%s:%d: unknown stemmer '%s'", p->path, p->line, v);
  } else if (strcmp(k, "negation_after") == 0) {
    if (!p->lex || (strcmp(v, "0") != 0 && strcmp(v, "1") != 0))
      return PERR(p, "%s:%d: negation_after must be 0 or 1", p->path, p->line);
    p->lex->negation_after = v[0] == '1';
  } /* other keys are informational */
  return 0;
}

/* Store one entry of a word-keyed section. */
static int put_word(parse_t *p, char **f, int nf) {
  char key[WORD_MAX * 4];
  size_t kl;
  int words = canon_words(f[0], key, sizeof key, &kl);
  if (words == 0)
    return PERR(p, "%s:%d: '%s' is no word (or too long)", p->path, p->line, f[0]);
  int want = p->section == S_CONTRAST ? 3 : p->section == S_STOP ? 1 : 2;
  if (nf != want)
    return PERR(p, "%s:%d: expected %d tab-separated field%s", p->path, p->line, want,
                want > 1 ? "s" : "");
  entry_t *e = table_put(&p->lex->words, key, kl);
  if (!e)
    return parley_error_set(p->err, PARLEY_ENOMEM, "out of memory");
  float a = 0, b = 0;
  int rc = 0;
  switch (p->section) {
  case S_WORDS:
    rc = parse_num(p, f[1], -10, 10, &a);
    if (!rc && !(e->flags & F_SCORE)) /* the first source listed wins */
      e->score = a, e->flags |= F_SCORE;
    if (!rc && words > p->lex->max_phrase)
      p->lex->max_phrase = words > 3 ? 3 : words;
    break;
  case S_NEG:
    if (!(rc = parse_num(p, f[1], -2, 2, &a)))
      e->neg = a, e->flags |= F_NEG;
    break;
  case S_INT:
    if (!(rc = parse_num(p, f[1], -2, 2, &a)))
      e->intens = a, e->flags |= F_INT;
    break;
  case S_STOP:
    if (words > 1)
      rc = PERR(p, "%s:%d: a stopword is one word", p->path, p->line);
    else
      e->flags |= F_STOP;
    break;
  default: /* S_CONTRAST */
    if (!(rc = parse_num(p, f[1], 0, 5, &a)) && !(rc = parse_num(p, f[2], 0, 5, &b)))
      e->before = a, e->after = b, e->flags |= F_CONTRAST;
  }
  return rc;
}

/* Store one entry of a stems, emoji or emoticons section. */
static int put_folded(parse_t *p, table_t *t, char **f, int nf) {
  char key[WORD_MAX];
  size_t kl;
  if (nf != 2)
    return PERR(p, "%s:%d: expected 2 tab-separated fields", p->path, p->line);
  if (parley_text_fold_into(f[0], strlen(f[0]), key, sizeof key, &kl) != 0 || kl == 0)
    return PERR(p, "%s:%d: '%s' is empty or too long", p->path, p->line, f[0]);
  float v;
  int rc = parse_num(p, f[1], -10, 10, &v);
  if (rc)
    return rc;
  entry_t *e = table_put(t, key, kl);
  if (!e)
    return parley_error_set(p->err, PARLEY_ENOMEM, "out of memory");
  if (!e->flags)
    e->score = v, e->flags = F_SCORE;
  return 0;
}

static int parse_section(parse_t *p, const char *line) {
  size_t n = strlen(line);
  for (int i = 1; i < (int)(sizeof section_names / sizeof *section_names); i++) {
    if (n == strlen(section_names[i]) + 2 && strncmp(line + 1, section_names[i], n - 2) == 0) {
      int emoji = i == S_EMOJI || i == S_EMOTICONS;
      if (emoji != (p->lex == NULL))
        return PERR(p, "%s:%d: section %s does not belong in this file", p->path, p->line, line);
      p->section = i;
      return 0;
    }
  }
  return PERR(p, "%s:%d: unknown section %s", p->path, p->line, line);
}

static int parse_line(parse_t *p, char *line) {
  if (line[0] == '#' || line[0] == 0)
    return 0;
  if (line[0] == '[' && !strchr(line, '\t')) /* "[:" is an emoticon entry */
    return parse_section(p, line);
  char *f[3];
  int nf = 0;
  for (char *c = line; c; nf++) {
    if (nf == 3)
      return PERR(p, "%s:%d: too many fields", p->path, p->line);
    f[nf] = c;
    if ((c = strchr(c, '\t')) != NULL)
      *c++ = 0;
  }
  if (p->section == S_NONE)
    return PERR(p, "%s:%d: entry before a [section]", p->path, p->line);
  switch (p->section) {
  case S_META:
    if (nf != 2)
      return PERR(p, "%s:%d: expected 2 tab-separated fields", p->path, p->line);
    return parse_meta(p, f[0], f[1]);
  case S_STEMS: return put_folded(p, &p->lex->stems, f, nf);
  case S_EMOJI: return put_folded(p, &p->s->emoji, f, nf);
  case S_EMOTICONS: return put_folded(p, &p->s->emoticons, f, nf);
  default: return put_word(p, f, nf);
  }
}

static int parse_file(parse_t *p) {
  FILE *fp = fopen(p->path, "r");
  if (!fp)
    return PERR(p, "%s: cannot open: %s", p->path, strerror(errno));
  char buf[1024];
  int rc = 0;
  p->line = 0;
  while (!rc && fgets(buf, sizeof buf, fp)) {
    p->line++;
    size_t n = strlen(buf);
    if (n && buf[n - 1] == '\n')
      buf[--n] = 0;
    else if (!feof(fp))
      rc = PERR(p, "%s:%d: line too long", p->path, p->line);
    if (n && buf[n - 1] == '\r')
      buf[--n] = 0;
    if (!rc)
      rc = parse_line(p, buf);
  }
  if (!rc && ferror(fp))
    rc = parley_error_set(p->err, PARLEY_EIO, "%s: read error", p->path);
  fclose(fp);
  if (!rc && p->lex && p->lex->stems.n && !p->lex->stemmer)
    rc = PERR(p, "%s: [stems] needs a stemmer in [meta]", p->path);
  return rc;
}

static int valid_lang(const char *l) {
  size_t n = strlen(l);
  if (n == 0 || n >= sizeof ((lexicon_t *)0)->lang)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!((l[i] >= 'a' && l[i] <= 'z') || (l[i] >= '0' && l[i] <= '9') || l[i] == '-'))
      return 0;
  return 1;
}

static int add_lang(parley_sentiment_t *s, const char *dir, const char *lang, parley_error_t *err) {
  if (!valid_lang(lang))
    return parley_error_set(err, PARLEY_ECONFIG, "%s: '%s' is not a language code", dir, lang);
  if (find_lang(s, lang))
    return 0;
  lexicon_t *l = realloc(s->langs, (s->n_langs + 1) * sizeof *l);
  if (!l)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  s->langs = l;
  l = &s->langs[s->n_langs];
  memset(l, 0, sizeof *l);
  snprintf(l->lang, sizeof l->lang, "%s", lang);
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.tsv", dir, lang);
  parse_t p = {.path = path, .err = err, .s = s, .lex = l};
  int rc = parse_file(&p);
  if (rc) {
    lexicon_free(l);
    return rc;
  }
  s->n_langs++;
  return 0;
}

/* Every <lang>.tsv of dir but emoji.tsv. */
static int add_all(parley_sentiment_t *s, const char *dir, parley_error_t *err) {
  DIR *d = opendir(dir);
  if (!d)
    return parley_error_set(err, PARLEY_ECONFIG, "%s: cannot open: %s", dir, strerror(errno));
  int rc = 0;
  struct dirent *de;
  while (!rc && (de = readdir(d)) != NULL) {
    size_t n = strlen(de->d_name);
    if (n < 5 || strcmp(de->d_name + n - 4, ".tsv") != 0 || strcmp(de->d_name, "emoji.tsv") == 0)
      continue;
    char lang[16];
    if (n - 4 >= sizeof lang)
      continue;
    memcpy(lang, de->d_name, n - 4);
    lang[n - 4] = 0;
    if (valid_lang(lang))
      rc = add_lang(s, dir, lang, err);
  }
  closedir(d);
  if (!rc && s->n_langs == 0)
    rc = parley_error_set(err, PARLEY_ECONFIG, "%s: no <lang>.tsv lexicon", dir);
  return rc;
}

int parley_sentiment_load(const char *dir, const char *const *langs, parley_sentiment_t **out,
                          parley_error_t *err) {
  if (!out)
    return parley_error_set(err, PARLEY_EINVAL, "sentiment: no output");
  *out = NULL;
  if (!dir || !*dir)
    dir = parley_sentiment_default_dir();
  parley_sentiment_t *s = calloc(1, sizeof *s);
  if (!s)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  char path[4096];
  snprintf(path, sizeof path, "%s/emoji.tsv", dir);
  parse_t p = {.path = path, .err = err, .s = s};
  int rc = parse_file(&p);
  if (!rc && langs)
    for (size_t i = 0; !rc && langs[i]; i++)
      rc = add_lang(s, dir, langs[i], err);
  else if (!rc)
    rc = add_all(s, dir, err);
  if (rc) {
    parley_sentiment_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

/* ---- scoring ---- */

typedef struct word {
  uint16_t off, len; /* the folded form in the arena; len 0: not foldable */
  uint8_t emoji, caps, brk, handle; /* brk: a clause break before this word */
  uint8_t unres;                    /* a negator that negated no word */
  float val;                        /* valence, 0: none */
  const entry_t *e;                 /* its entry in the words table, if any */
} word_t;

typedef struct scan {
  word_t w[MAX_WORDS];
  size_t n, used;
  int n_caps, n_text; /* ALL-CAPS words, words that are not emoji */
  char arena[ARENA];
} scan_t;

/* A clause break (. , ; : ! ? ( ) … or a new line) in s[0..n). */
static int has_break(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] && strchr(".,;:!?()\n", s[i]))
      return 1;
    if (i + 2 < n && memcmp(s + i, "\xe2\x80\xa6", 3) == 0)
      return 1;
  }
  return 0;
}

/* ALL CAPS: two or more upper-case letters and no lower-case one. */
static int is_caps(const char *s, size_t n) {
  int up = 0;
  for (size_t i = 0; i < n;) {
    ucs4_t c;
    int k = u8_mbtouc(&c, (const uint8_t *)s + i, n - i);
    i += (size_t)(k > 0 ? k : 1);
    if (uc_is_lower(c))
      return 0;
    up += uc_is_upper(c);
  }
  return up >= 2;
}

static int is_emoji_start(const char *s, size_t n) {
  ucs4_t c;
  u8_mbtouc(&c, (const uint8_t *)s, n);
  return c >= 0x80 && c != 0xFFFD &&
         (uc_is_general_category(c, UC_CATEGORY_So) || uc_is_property_extended_pictographic(c));
}

/* Fold w into the arena; ASCII words take the fast path. */
static void fold_word(scan_t *sc, word_t *x, const char *p, size_t n) {
  char *dst = sc->arena + sc->used;
  size_t cap = ARENA - sc->used, len = 0;
  if (cap > WORD_MAX)
    cap = WORD_MAX;
  int ascii = 1;
  for (size_t i = 0; i < n && ascii; i++)
    ascii = (unsigned char)p[i] < 0x80;
  if (ascii && n < cap) {
    for (size_t i = 0; i < n; i++)
      dst[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
    len = n;
  } else if (parley_text_fold_into(p, n, dst, cap, &len) != 0) {
    len = 0;
  }
  x->off = (uint16_t)sc->used;
  x->len = (uint16_t)len;
  sc->used += len;
}

static void tokenize(scan_t *sc, const char *text, size_t len) {
  size_t pos = 0, prev = 0;
  parley_text_word_t w;
  while (sc->n < MAX_WORDS && sc->used + WORD_MAX <= ARENA &&
         parley_text_next_word(text, len, &pos, &w)) {
    word_t *x = &sc->w[sc->n++];
    size_t start = (size_t)(w.p - text);
    memset(x, 0, sizeof *x);
    x->brk = (uint8_t)has_break(text + prev, start - prev);
    prev = start + w.len;
    x->emoji = (uint8_t)is_emoji_start(w.p, w.len);
    x->handle = w.p[0] == '@';
    if (!x->emoji) {
      x->caps = (uint8_t)is_caps(w.p, w.len);
      sc->n_caps += x->caps;
      sc->n_text++;
    }
    fold_word(sc, x, w.p, w.len);
  }
}

static const char *wtext(const scan_t *sc, const word_t *x) { return sc->arena + x->off; }

static float emoji_valence(const parley_sentiment_t *s, const char *k, size_t n) {
  const entry_t *e = table_find(&s->emoji, k, n);
  if (!e) { /* the pictograph alone, without skin tone or sequence */
    ucs4_t c;
    int l = u8_mbtouc(&c, (const uint8_t *)k, n);
    e = l > 0 && (size_t)l < n ? table_find(&s->emoji, k, (size_t)l) : NULL;
  }
  return e ? e->score : 0;
}

static float stem_valence(const lexicon_t *lx, const char *k, size_t n) {
  if (!lx->stemmer || n == 0)
    return 0;
  const sb_symbol *st = sb_stemmer_stem(lx->stemmer, (const sb_symbol *)k, (int)n);
  if (!st)
    return 0;
  size_t sn = (size_t)sb_stemmer_length(lx->stemmer);
  const entry_t *e = table_find(&lx->stems, (const char *)st, sn);
  if (!e) /* the lexicon's stemmer may have cut differently: "problem" */
    e = table_find(&lx->stems, k, n);
  return e ? e->score : 0;
}

static float form_valence(const lexicon_t *lx, const char *k, size_t n) {
  const entry_t *e = table_find(&lx->words, k, n);
  if (e && (e->flags & F_SCORE))
    return e->score;
  return stem_valence(lx, k, n);
}

/* The valence of a word not in the words table as written: its stem, the
 * hashtag without '#', the last part of a compound ("service-katastrophe"). */
static float fallback_valence(const lexicon_t *lx, const char *k, size_t n) {
  float v = stem_valence(lx, k, n);
  if (v == 0 && n > 1 && k[0] == '#')
    v = form_valence(lx, k + 1, n - 1);
  for (size_t i = n; v == 0 && i-- > 1;) {
    if (k[i] == '-' || k[i] == '\'') {
      v = form_valence(lx, k + i + 1, n - i - 1);
      break;
    }
  }
  return v;
}

/* A phrase of 2..max_phrase words starting at i within one clause; its
 * valence and length in *span, or 0. */
static float phrase_valence(const lexicon_t *lx, const scan_t *sc, size_t i, size_t *span) {
  for (size_t n = (size_t)lx->max_phrase; n >= 2; n--) {
    if (i + n > sc->n)
      continue;
    char key[WORD_MAX * 3 + 3];
    size_t o = 0, j;
    for (j = i; j < i + n; j++) {
      const word_t *x = &sc->w[j];
      if ((j > i && x->brk) || x->len == 0 || x->emoji)
        break;
      if (j > i)
        key[o++] = ' ';
      memcpy(key + o, wtext(sc, x), x->len);
      o += x->len;
    }
    const entry_t *e = j == i + n ? table_find(&lx->words, key, o) : NULL;
    if (e && (e->flags & F_SCORE)) {
      *span = n;
      return e->score;
    }
  }
  return 0;
}

/* Pass 1: the valence of every word (phrases, lexicon, stems, emoji); a
 * phrase's valence sits on its first word. */
static void valences(const parley_sentiment_t *s, const lexicon_t *lx, scan_t *sc) {
  int cap_diff = sc->n_caps > 0 && sc->n_caps < sc->n_text;
  for (size_t i = 0; i < sc->n; i++) {
    word_t *x = &sc->w[i];
    const char *k = wtext(sc, x);
    if (x->len == 0 || x->handle)
      continue;
    if (x->emoji) {
      x->val = emoji_valence(s, k, x->len);
      continue;
    }
    x->e = table_find(&lx->words, k, x->len);
    if (x->e && (x->e->flags & (F_NEG | F_INT | F_CONTRAST)))
      continue; /* modifiers carry no valence of their own */
    size_t span = 1;
    float v = phrase_valence(lx, sc, i, &span);
    if (span == 1 && x->e && (x->e->flags & F_STOP))
      v = 0; /* a function word: its score would come from a collision */
    else if (span == 1)
      v = x->e && (x->e->flags & F_SCORE) ? x->e->score : fallback_valence(lx, k, x->len);
    if (v != 0 && x->caps && cap_diff)
      v += v > 0 ? (float)CAPS_INCR : (float)-CAPS_INCR;
    x->val = v;
    i += span - 1; /* the phrase's other words are consumed */
  }
}

/* Pass 2: boosters in the WINDOW words before a sentiment word (within its
 * clause, up to the previous sentiment word) raise or lower its magnitude;
 * farther ones count less (VADER: 1, 0.95, 0.9). */
static void boosters(scan_t *sc) {
  static const float decay[WINDOW] = {1.0f, 0.95f, 0.9f};
  int cap_diff = sc->n_caps > 0 && sc->n_caps < sc->n_text;
  for (size_t i = 0; i < sc->n; i++) {
    word_t *x = &sc->w[i];
    if (x->val == 0 || x->emoji)
      continue;
    float add = 0;
    for (size_t k = 1; k <= WINDOW && k <= i; k++) {
      const word_t *b = &sc->w[i - k];
      if (sc->w[i - k + 1].brk || b->val != 0)
        break;
      if (!b->e || !(b->e->flags & F_INT))
        continue;
      float d = x->val < 0 ? -b->e->intens : b->e->intens;
      if (b->caps && cap_diff)
        d += x->val > 0 ? (float)CAPS_INCR : (float)-CAPS_INCR;
      add += d * decay[k - 1];
    }
    x->val += add;
  }
}

/* Pass 3: each negator scales (VADER: x-0.74) the first sentiment word in
 * the WINDOW words after it within the clause or, in languages where the
 * negation may follow ("gefällt mir nicht"), the strongest one before it;
 * one that negates nothing gets the valence NEG_ALONE. */
static void negations(const lexicon_t *lx, scan_t *sc) {
  for (size_t j = 0; j < sc->n; j++) {
    const word_t *ng = &sc->w[j];
    if (!ng->e || !(ng->e->flags & F_NEG))
      continue;
    word_t *t = NULL;
    for (size_t k = 1; k <= WINDOW && j + k < sc->n && !t; k++) {
      word_t *x = &sc->w[j + k];
      if (x->brk)
        break;
      if (x->val != 0 && !x->emoji)
        t = x;
    }
    /* after the word: the strongest one in reach ("leuk is het niet"), for
     * a negator that closes its clause; one inside it ("kaputt und keiner
     * antwortet") is a pronoun or determiner and negates what follows */
    int back = !t && lx->negation_after && (j + 1 == sc->n || sc->w[j + 1].brk);
    for (size_t k = 1; back && k <= WINDOW && k <= j; k++) {
      word_t *x = &sc->w[j - k];
      if (sc->w[j - k + 1].brk)
        break;
      if (x->val != 0 && !x->emoji && (!t || fabsf(x->val) > fabsf(t->val)))
        t = x;
    }
    if (t)
      t->val *= ng->e->neg;
    else
      sc->w[j].unres = 1;
  }
  /* after the loop, so that no negator takes another one's valence */
  for (size_t j = 0; j < sc->n; j++)
    if (sc->w[j].unres)
      sc->w[j].val = (float)NEG_ALONE;
}

/* Emoticons are whitespace-separated ASCII tokens with punctuation (":-)",
 * "<3"); a trailing . , ! or ? is tried without. */
static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static double emoticons(const parley_sentiment_t *s, const char *text, size_t len) {
  double sum = 0;
  for (size_t i = 0; i < len;) {
    while (i < len && is_space(text[i]))
      i++;
    size_t b = i;
    int punct = 0, ascii = 1;
    for (; i < len && !is_space(text[i]); i++) {
      unsigned char c = (unsigned char)text[i];
      int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      ascii &= c > 0x20 && c < 0x7f;
      punct |= c < 0x7f && !alnum;
    }
    size_t n = i - b;
    if (!ascii || !punct || n < 2 || n > 12)
      continue;
    char k[16];
    for (size_t j = 0; j < n; j++)
      k[j] = (char)(text[b + j] >= 'A' && text[b + j] <= 'Z' ? text[b + j] + 32 : text[b + j]);
    const entry_t *e = table_find(&s->emoticons, k, n);
    if (!e && n > 2 && strchr(".,!?", k[n - 1]))
      e = table_find(&s->emoticons, k, n - 1);
    sum += e ? e->score : 0;
  }
  return sum;
}

/* Pass 4: the sum, words before the first contrast word ("but") weighted
 * by its before factor, after it by its after factor. */
static double total(const scan_t *sc) {
  double before = 0, sum = 0, wb = 1, wa = 1;
  int seen = 0;
  for (size_t i = 0; i < sc->n; i++) {
    const word_t *x = &sc->w[i];
    if (!seen && x->e && (x->e->flags & F_CONTRAST)) {
      seen = 1, before = sum, sum = 0;
      wb = x->e->before, wa = x->e->after;
    }
    sum += x->val;
  }
  return seen ? before * wb + sum * wa : sum;
}

int parley_sentiment_score(const parley_sentiment_t *s, const char *lang, const char *text,
                           size_t len, double *score) {
  const lexicon_t *lx = find_lang(s, lang);
  if (score)
    *score = 0;
  if (!lx)
    return PARLEY_ENOENT;
  if (!text || !score)
    return 0;
  if (len > MAX_TEXT) { /* score the head, cut on a character boundary */
    len = MAX_TEXT;
    while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
      len--;
  }
  scan_t sc;
  sc.n = sc.used = 0;
  sc.n_caps = sc.n_text = 0;
  tokenize(&sc, text, len);
  valences(s, lx, &sc);
  boosters(&sc);
  negations(lx, &sc);
  double sum = total(&sc) + emoticons(s, text, len);
  int excl = 0;
  for (size_t i = 0; i < len && excl < EXCL_MAX; i++)
    excl += text[i] == '!';
  if (sum > 0)
    sum += excl * EXCL_INCR;
  else if (sum < 0)
    sum -= excl * EXCL_INCR;
  double v = sum / sqrt(sum * sum + NORM_ALPHA);
  *score = v < -1 ? -1 : v > 1 ? 1 : v;
  return 0;
}
