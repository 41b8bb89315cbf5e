/* parley-sim — Twitter/X: the query language of recent search and stream
 * rules (twitter.md §3): keywords, "exact phrases", @mentions, #hashtags,
 * from:, to:, lang:, conversation_id:, is:retweet, is:reply, is:verified,
 * has:mentions|links|hashtags, OR, parentheses, negation with '-'. Space
 * means AND. Matching is ASCII case-insensitive; a keyword matches a whole
 * word of the text that is not an @handle or #tag (the untagged brand name). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim_twitter.h"

#define PARLEY_TW_QUERY_MAX 512

typedef enum {
  PARLEY_TWQ_AND, PARLEY_TWQ_OR, PARLEY_TWQ_NOT,
  PARLEY_TWQ_WORD, PARLEY_TWQ_PHRASE, PARLEY_TWQ_MENTION, PARLEY_TWQ_HASHTAG,
  PARLEY_TWQ_FROM, PARLEY_TWQ_TO, PARLEY_TWQ_LANG, PARLEY_TWQ_CONVERSATION,
  PARLEY_TWQ_IS_RETWEET, PARLEY_TWQ_IS_REPLY, PARLEY_TWQ_IS_QUOTE, PARLEY_TWQ_IS_VERIFIED,
  PARLEY_TWQ_HAS_MENTIONS, PARLEY_TWQ_HAS_LINKS, PARLEY_TWQ_HAS_HASHTAGS,
} parley_twq_kind_t;

typedef struct parley_twq_node {
  parley_twq_kind_t kind;
  char *value;
  struct parley_twq_node **kids;
  size_t nkids;
} parley_twq_node_t;

struct parley_tw_query {
  parley_twq_node_t *root;
};

typedef struct parley_twq_parser {
  const char *s;
  size_t pos;
  char *err;
  size_t errlen;
  int depth;
} parley_twq_parser_t;

static void parley_twq_free(parley_twq_node_t *n) {
  if (!n) return;
  for (size_t i = 0; i < n->nkids; i++) parley_twq_free(n->kids[i]);
  free(n->kids);
  free(n->value);
  free(n);
}

static parley_twq_node_t *parley_twq_new(parley_twq_kind_t kind, const char *v, size_t len) {
  parley_twq_node_t *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  n->kind = kind;
  if (v && !(n->value = strndup(v, len))) {
    free(n);
    return NULL;
  }
  return n;
}

static int parley_twq_add(parley_twq_node_t *parent, parley_twq_node_t *kid) {
  parley_twq_node_t **k = realloc(parent->kids, (parent->nkids + 1) * sizeof *k);
  if (!k) return -1;
  parent->kids = k;
  k[parent->nkids++] = kid;
  return 0;
}

static void parley_twq_skip(parley_twq_parser_t *p) {
  while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n') p->pos++;
}

static parley_twq_node_t *parley_twq_or(parley_twq_parser_t *p);

static const struct {
  const char *text;
  parley_twq_kind_t kind;
} parley_twq_flags[] = {
    {"is:retweet", PARLEY_TWQ_IS_RETWEET},   {"is:reply", PARLEY_TWQ_IS_REPLY},
    {"is:quote", PARLEY_TWQ_IS_QUOTE},       {"is:verified", PARLEY_TWQ_IS_VERIFIED},
    {"has:mentions", PARLEY_TWQ_HAS_MENTIONS}, {"has:links", PARLEY_TWQ_HAS_LINKS},
    {"has:hashtags", PARLEY_TWQ_HAS_HASHTAGS},
};

static const struct {
  const char *prefix;
  parley_twq_kind_t kind;
} parley_twq_ops[] = {
    {"from:", PARLEY_TWQ_FROM}, {"to:", PARLEY_TWQ_TO}, {"lang:", PARLEY_TWQ_LANG},
    {"conversation_id:", PARLEY_TWQ_CONVERSATION},
};

/* A bare token w[0..len): operator, @mention, #tag or keyword. */
static parley_twq_node_t *parley_twq_token(parley_twq_parser_t *p, const char *w, size_t len) {
  for (size_t i = 0; i < sizeof parley_twq_flags / sizeof parley_twq_flags[0]; i++)
    if (strlen(parley_twq_flags[i].text) == len && !strncmp(w, parley_twq_flags[i].text, len))
      return parley_twq_new(parley_twq_flags[i].kind, NULL, 0);
  for (size_t i = 0; i < sizeof parley_twq_ops / sizeof parley_twq_ops[0]; i++) {
    size_t pl = strlen(parley_twq_ops[i].prefix);
    if (len > pl && !strncmp(w, parley_twq_ops[i].prefix, pl))
      return parley_twq_new(parley_twq_ops[i].kind, w + pl, len - pl);
  }
  if (w[0] == '@' && len > 1) return parley_twq_new(PARLEY_TWQ_MENTION, w + 1, len - 1);
  if (w[0] == '#' && len > 1) return parley_twq_new(PARLEY_TWQ_HASHTAG, w + 1, len - 1);
  const char *colon = memchr(w, ':', len);
  if (colon && colon > w && colon < w + len - 1) {
    snprintf(p->err, p->errlen, "There were errors processing your request: Reference to invalid operator '%.*s' (at position %zu)",
             (int)(colon - w), w, p->pos - len + 1);
    return NULL;
  }
  return parley_twq_new(PARLEY_TWQ_WORD, w, len);
}

static parley_twq_node_t *parley_twq_atom(parley_twq_parser_t *p) {
  parley_twq_skip(p);
  const char *s = p->s;
  char c = s[p->pos];
  if (c == '-') {
    p->pos++;
    parley_twq_node_t *inner = parley_twq_atom(p), *n = NULL;
    if (inner && (n = parley_twq_new(PARLEY_TWQ_NOT, NULL, 0)) && parley_twq_add(n, inner) == 0)
      return n;
    parley_twq_free(inner);
    free(n);
    return NULL;
  }
  if (c == '(') {
    p->pos++;
    if (++p->depth > 10) {
      snprintf(p->err, p->errlen, "There were errors processing your request: too many nested parentheses");
      return NULL;
    }
    parley_twq_node_t *n = parley_twq_or(p);
    p->depth--;
    parley_twq_skip(p);
    if (n && s[p->pos] != ')') {
      snprintf(p->err, p->errlen, "There were errors processing your request: missing ')' (at position %zu)", p->pos + 1);
      parley_twq_free(n);
      return NULL;
    }
    p->pos++;
    return n;
  }
  if (c == '"') {
    const char *end = strchr(s + p->pos + 1, '"');
    if (!end || end == s + p->pos + 1) {
      snprintf(p->err, p->errlen, "There were errors processing your request: unterminated or empty quoted phrase (at position %zu)", p->pos + 1);
      return NULL;
    }
    parley_twq_node_t *n = parley_twq_new(PARLEY_TWQ_PHRASE, s + p->pos + 1, (size_t)(end - s - p->pos - 1));
    p->pos = (size_t)(end - s) + 1;
    return n;
  }
  size_t start = p->pos;
  while (s[p->pos] && !strchr(" \t\n()\"", s[p->pos])) p->pos++;
  if (p->pos == start) {
    snprintf(p->err, p->errlen, "There were errors processing your request: unexpected '%c' (at position %zu)",
             c ? c : ' ', p->pos + 1);
    return NULL;
  }
  return parley_twq_token(p, s + start, p->pos - start);
}

static int parley_twq_at_or(parley_twq_parser_t *p) {
  parley_twq_skip(p);
  const char *s = p->s + p->pos;
  return !strncmp(s, "OR", 2) && (s[2] == ' ' || s[2] == '(' || s[2] == '"' || s[2] == '\0');
}

static parley_twq_node_t *parley_twq_and(parley_twq_parser_t *p) {
  parley_twq_node_t *n = parley_twq_new(PARLEY_TWQ_AND, NULL, 0);
  while (n) {
    parley_twq_skip(p);
    char c = p->s[p->pos];
    if (!c || c == ')' || parley_twq_at_or(p)) break;
    parley_twq_node_t *a = parley_twq_atom(p);
    if (!a || parley_twq_add(n, a) != 0) {
      parley_twq_free(a);
      parley_twq_free(n);
      return NULL;
    }
  }
  if (n && n->nkids == 0) {
    snprintf(p->err, p->errlen, "There were errors processing your request: empty expression (at position %zu)", p->pos + 1);
    parley_twq_free(n);
    return NULL;
  }
  return n;
}

static parley_twq_node_t *parley_twq_or(parley_twq_parser_t *p) {
  parley_twq_node_t *n = parley_twq_new(PARLEY_TWQ_OR, NULL, 0);
  while (n) {
    parley_twq_node_t *a = parley_twq_and(p);
    if (!a || parley_twq_add(n, a) != 0) {
      parley_twq_free(a);
      parley_twq_free(n);
      return NULL;
    }
    if (!parley_twq_at_or(p)) break;
    p->pos += 2;
  }
  return n;
}

/* Does the expression hold a positive standalone operator (§3)? */
static int parley_twq_standalone(const parley_twq_node_t *n) {
  switch (n->kind) {
  case PARLEY_TWQ_NOT:
    return 0;
  case PARLEY_TWQ_AND:
    for (size_t i = 0; i < n->nkids; i++)
      if (parley_twq_standalone(n->kids[i])) return 1;
    return 0;
  case PARLEY_TWQ_OR:
    for (size_t i = 0; i < n->nkids; i++)
      if (!parley_twq_standalone(n->kids[i])) return 0;
    return 1;
  case PARLEY_TWQ_WORD: case PARLEY_TWQ_PHRASE: case PARLEY_TWQ_MENTION: case PARLEY_TWQ_HASHTAG:
  case PARLEY_TWQ_FROM: case PARLEY_TWQ_TO: case PARLEY_TWQ_CONVERSATION:
    return 1;
  default:
    return 0;
  }
}

int parley_tw_query_parse(const char *q, parley_tw_query_t **out, char *err, size_t errlen) {
  parley_twq_parser_t p = {q, 0, err, errlen, 0};
  *out = NULL;
  err[0] = '\0';
  if (!q || !*q) {
    snprintf(err, errlen, "The `query` parameter can not be empty");
    return PARLEY_EINVAL;
  }
  if (strlen(q) > PARLEY_TW_QUERY_MAX) {
    snprintf(err, errlen, "The `query` parameter value is too long (%zu characters, at most %d)",
             strlen(q), PARLEY_TW_QUERY_MAX);
    return PARLEY_EINVAL;
  }
  parley_twq_node_t *root = parley_twq_or(&p);
  parley_twq_skip(&p);
  if (root && q[p.pos]) {
    snprintf(err, errlen, "There were errors processing your request: unexpected '%c' (at position %zu)",
             q[p.pos], p.pos + 1);
    parley_twq_free(root);
    root = NULL;
  }
  if (root && !parley_twq_standalone(root)) {
    snprintf(err, errlen, "There were errors processing your request: Rules must contain a non "
                          "negation term (at position 1)");
    parley_twq_free(root);
    root = NULL;
  }
  if (!root) {
    if (!err[0]) snprintf(err, errlen, "out of memory parsing the query");
    return PARLEY_EINVAL;
  }
  if (!(*out = calloc(1, sizeof **out))) {
    parley_twq_free(root);
    return PARLEY_ENOMEM;
  }
  (*out)->root = root;
  return 0;
}

void parley_tw_query_free(parley_tw_query_t *q) {
  if (!q) return;
  parley_twq_free(q->root);
  free(q);
}

/* ---- matching ------------------------------------------------------------ */

static int parley_twq_wordch(unsigned char c) { return isalnum(c) || c == '_' || c >= 0x80; }

/* Is w a whole word of text (sigil 0: a plain word, else a @/# token)? */
static int parley_twq_has_word(const char *text, const char *w, char sigil) {
  size_t wl = strlen(w);
  for (size_t i = 0; text && text[i];) {
    if (!parley_twq_wordch((unsigned char)text[i])) {
      i++;
      continue;
    }
    size_t j = i;
    while (text[j] && parley_twq_wordch((unsigned char)text[j])) j++;
    char before = i > 0 ? text[i - 1] : ' ';
    int tagged = before == '@' || before == '#';
    int want = sigil ? before == sigil : !tagged;
    if (want && j - i == wl && !strncasecmp(text + i, w, wl)) return 1;
    i = j;
  }
  return 0;
}

static int parley_twq_has_phrase(const char *text, const char *ph) {
  size_t pl = strlen(ph);
  for (size_t i = 0; text && text[i]; i++)
    if (!strncasecmp(text + i, ph, pl)) return 1;
  return 0;
}

static const char *parley_twq_handle_of(parley_sim_t *sim, const char *user_id) {
  json_t *u = parley_sim_user_find(sim, PARLEY_TW, user_id);
  const char *h = json_string_value(json_object_get(u, "handle"));
  return h && h[0] == '@' ? h + 1 : h;
}

static int parley_twq_eval(parley_sim_t *sim, const parley_twq_node_t *n, json_t *item) {
  const char *text = json_string_value(json_object_get(item, "text"));
  const char *v = n->value;
  switch (n->kind) {
  case PARLEY_TWQ_AND:
    for (size_t i = 0; i < n->nkids; i++)
      if (!parley_twq_eval(sim, n->kids[i], item)) return 0;
    return 1;
  case PARLEY_TWQ_OR:
    for (size_t i = 0; i < n->nkids; i++)
      if (parley_twq_eval(sim, n->kids[i], item)) return 1;
    return 0;
  case PARLEY_TWQ_NOT: return !parley_twq_eval(sim, n->kids[0], item);
  case PARLEY_TWQ_WORD: return parley_twq_has_word(text, v, 0);
  case PARLEY_TWQ_PHRASE: return parley_twq_has_phrase(text, v);
  case PARLEY_TWQ_HASHTAG: return parley_twq_has_word(text, v, '#');
  case PARLEY_TWQ_MENTION: {
    const char *to = parley_tw_reply_to_user(sim, item);
    const char *toh = to ? parley_twq_handle_of(sim, to) : NULL;
    return parley_twq_has_word(text, v, '@') || (toh && !strcasecmp(toh, v));
  }
  case PARLEY_TWQ_FROM: {
    const char *h = parley_twq_handle_of(sim, json_string_value(json_object_get(item, "author_id")));
    const char *id = json_string_value(json_object_get(item, "author_id"));
    return (h && !strcasecmp(h, v)) || (id && !strcmp(id, v));
  }
  case PARLEY_TWQ_TO: {
    const char *to = parley_tw_reply_to_user(sim, item);
    const char *h = to ? parley_twq_handle_of(sim, to) : NULL;
    return (h && !strcasecmp(h, v)) || (to && !strcmp(to, v));
  }
  case PARLEY_TWQ_LANG: {
    const char *l = json_string_value(json_object_get(item, "lang"));
    return l && !strcasecmp(l, v);
  }
  case PARLEY_TWQ_CONVERSATION: {
    const char *cid = json_string_value(json_object_get(item, "conversation_id"));
    return cid && !strcmp(cid, v);
  }
  case PARLEY_TWQ_IS_RETWEET:
    return json_is_string(json_object_get(item, "retweet_of")) || (text && !strncmp(text, "RT @", 4));
  case PARLEY_TWQ_IS_REPLY: return json_is_string(json_object_get(item, "parent_id"));
  case PARLEY_TWQ_IS_QUOTE: return 0;
  case PARLEY_TWQ_IS_VERIFIED: {
    json_t *u = parley_sim_user_find(sim, PARLEY_TW, json_string_value(json_object_get(item, "author_id")));
    return json_is_true(json_object_get(u, "verified"));
  }
  case PARLEY_TWQ_HAS_MENTIONS: return text && strchr(text, '@');
  case PARLEY_TWQ_HAS_HASHTAGS: return text && strchr(text, '#');
  case PARLEY_TWQ_HAS_LINKS: return text && (strstr(text, "http://") || strstr(text, "https://"));
  }
  return 0;
}

int parley_tw_query_match(parley_sim_t *sim, const parley_tw_query_t *q, json_t *item) {
  return q && parley_twq_eval(sim, q->root, item);
}
