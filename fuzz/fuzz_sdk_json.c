/* fuzz target sdk_json: what the SDK reads out of a platform's JSON
 * response or webhook body (sdk/lib/json.c, json_repair.c, paging.c,
 * error.c, time.c): the parser and its repairing variant, the path
 * getters on every path the document has (and a few every connector
 * uses), each platform's next-page token, the checkpoint walk over the
 * page's ids, and the error-body classification of every platform at the
 * statuses connectors see. The input is the body, as a platform sends it. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "parley/sdk/error.h"
#include "parley/sdk/json.h"
#include "parley/sdk/paging.h"
#include "parley/sdk/time.h"

#define MAX_PATHS 96
#define MAX_DEPTH 6
#define NOW_MS 1796000000000LL /* 2026-11-29, inside the seeds' dates */

typedef struct {
  char *v[MAX_PATHS];
  size_t n;
} paths_t;

static void add_path(paths_t *p, const char *prefix, const char *seg) {
  if (p->n >= MAX_PATHS)
    return;
  size_t need = strlen(prefix) + strlen(seg) + 2;
  char *s = malloc(need);
  if (!s)
    abort();
  snprintf(s, need, "%s%s%s", prefix, *prefix ? "." : "", seg);
  p->v[p->n++] = s;
}

/* Every path of the document down to MAX_DEPTH, breadth by position. */
static void collect(paths_t *p, const json_t *j, const char *prefix, int depth) {
  if (depth >= MAX_DEPTH || p->n >= MAX_PATHS)
    return;
  if (json_is_object(j)) {
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v) {
      size_t at = p->n;
      add_path(p, prefix, key);
      if (at < p->n)
        collect(p, v, p->v[at], depth + 1);
    }
  } else if (json_is_array(j)) {
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v) {
      if (i >= 4)
        break;
      char seg[24];
      snprintf(seg, sizeof seg, "%zu", i);
      size_t at = p->n;
      add_path(p, prefix, seg);
      if (at < p->n)
        collect(p, v, p->v[at], depth + 1);
    }
  }
}

static const char *const common_paths[] = {
    "data", "data.0.id", "data.0.author_id", "data.0.created_at", "meta.next_token",
    "includes.users.0.username", "paging.cursors.after", "paging.next", "data.cursor",
    "data.has_more", "data.comments.0.comment_id", "elements.0.id", "paging.total",
    "error.code", "error.message", "errors.0.message", "entry.0.time", "content",
    "", ".", "..", "data..0", "data.00", "data.-1", "data.999999999", "data.4294967296",
    NULL};

static void getters(const json_t *doc, const char *path, const uint8_t *data, size_t size) {
  char buf[64], big[1024];
  int64_t ms = 0;
  parley_error_t err = {0};
  (void)parley_sdk_json_get(doc, path);
  const char *s = parley_sdk_json_str(doc, path, NULL);
  if (s)
    fuzz_require(strlen(s) <= json_string_length(parley_sdk_json_get(doc, path)),
                 "json_str longer than the string");
  (void)parley_sdk_json_int(doc, path, -7);
  (void)parley_sdk_json_bool(doc, path, -1);
  int n = parley_sdk_json_id(doc, path, buf, sizeof buf);
  fuzz_require(n < (int)sizeof buf, "json_id overran its buffer");
  if (n >= 0)
    fuzz_require(strlen(buf) <= (size_t)n, "json_id length is wrong");
  n = parley_sdk_json_id(doc, path, big, sizeof big);
  size_t count = 0;
  json_t *arr = parley_sdk_json_array(doc, path, &count);
  fuzz_require(arr || count == 0, "json_array counted a non-array");
  (void)parley_sdk_time_from_json(doc, path, &ms);
  json_t *inner = parley_sdk_json_embedded(doc, path, &err);
  if (inner)
    json_decref(inner);
  else
    fuzz_check_error(&err, data, size);
}

static void paging(const json_t *doc) {
  char small[8], buf[1024];
  (void)parley_sdk_page_twitter_next(doc, small, sizeof small);
  (void)parley_sdk_page_meta_next(doc, small, sizeof small);
  (void)parley_sdk_page_tiktok_next(doc, small, sizeof small);
  int nt = parley_sdk_page_twitter_next(doc, buf, sizeof buf);
  (void)parley_sdk_page_meta_next(doc, buf, sizeof buf);
  (void)parley_sdk_page_tiktok_next(doc, buf, sizeof buf);
  (void)parley_sdk_page_linkedin_next(doc, 0, 10);
  (void)parley_sdk_page_linkedin_next(doc, INT64_MAX - 5, 10);
  (void)parley_sdk_page_linkedin_next(doc, -1, -1);

  /* the walk a poller runs over this page, against a checkpoint the page names */
  parley_sdk_walk_t w;
  memset(&w, 0, sizeof w);
  parley_sdk_walk_begin(&w, parley_sdk_json_str(doc, "checkpoint", "1790000000000000000"));
  size_t count = 0;
  json_t *items = parley_sdk_json_array(doc, "data", &count);
  for (size_t i = 0; i < count; i++) {
    char id[128];
    if (parley_sdk_json_id(json_array_get(items, i), "id", id, sizeof id) < 0)
      continue;
    (void)parley_sdk_id_valid(id);
    int c1 = parley_sdk_id_cmp(id, w.checkpoint), c2 = parley_sdk_id_cmp(w.checkpoint, id);
    fuzz_require((c1 > 0) == (c2 < 0) && (c1 == 0) == (c2 == 0), "id_cmp is not antisymmetric");
    if (parley_sdk_walk_item(&w, id) != PARLEY_SDK_WALK_NEW)
      break;
  }
  (void)parley_sdk_walk_page(&w, nt > 0 ? buf : NULL);
  (void)parley_sdk_walk_cursor(&w);
  fuzz_require(parley_sdk_walk_checkpoint(&w) != NULL, "a walk without a checkpoint");
}

static void errors(const uint8_t *data, size_t size) {
  static const long statuses[] = {200, 400, 401, 403, 404, 429, 500, 503};
  for (int p = PARLEY_SDK_GENERIC; p <= PARLEY_SDK_TIKTOK; p++) {
    long st = statuses[(size + (size_t)p) % (sizeof statuses / sizeof *statuses)];
    for (int k = 0; k < 2; k++) {
      parley_sdk_error_t e;
      parley_sdk_error_init(&e);
      int rc = parley_sdk_error_parse((parley_sdk_platform_t)p, k ? st : 200, (const char *)data,
                                      size, NOW_MS, &e);
      fuzz_require(rc == e.code, "error_parse returned %d but stored %d", rc, e.code);
      fuzz_require(memchr(e.message, '\0', sizeof e.message) &&
                       memchr(e.platform_code, '\0', sizeof e.platform_code) &&
                       memchr(e.platform_subcode, '\0', sizeof e.platform_subcode),
                   "error_parse left a field unterminated");
      parley_error_t pe = {0};
      (void)parley_sdk_error_to_parley(&e, "GET /fuzz", &pe);
      fuzz_check_error(&pe, data, size);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  parley_error_t err = {0};
  const char *text = (const char *)data;
  json_t *doc = parley_sdk_json_parse(text, size, "fuzz body", &err);
  if (!doc)
    fuzz_check_error(&err, data, size);

  size_t repaired = 0;
  json_t *fixed = parley_sdk_json_parse_repair(text, size, "fuzz body", &repaired, &err);
  fuzz_require(!doc || (fixed && repaired == 0), "repair touched a document that parsed");
  if (fixed) {
    char *again = json_dumps(fixed, JSON_COMPACT);
    fuzz_require(again != NULL, "a repaired document does not encode");
    free(again);
    json_decref(fixed);
  }
  char *out = NULL;
  size_t out_len = 0, count = 0;
  if (parley_sdk_json_repair(text, size, &out, &out_len, &count) == 0) {
    fuzz_require(out_len <= size * 6 && out[out_len] == '\0', "repair overran its estimate");
    fuzz_require(count > 0 || (out_len == size && memcmp(out, data, size) == 0),
                 "repair changed text without counting it");
    free(out);
  }

  if (doc) {
    paths_t p = {{0}, 0};
    collect(&p, doc, "", 0);
    for (size_t i = 0; i < p.n; i++) {
      getters(doc, p.v[i], data, size);
      free(p.v[i]);
    }
    for (const char *const *c = common_paths; *c; c++)
      getters(doc, *c, data, size);
    paging(doc);
    json_decref(doc);
  }
  errors(data, size);
  return 0;
}
