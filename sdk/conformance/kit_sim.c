/* parley-conformance — the simulator's control API (/_sim/...), called
 * synchronously with libcurl: the calls are short and local, and blocking
 * the kit's loop for them only delays the connector, which must cope with
 * delays anyway. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "kit.h"

typedef struct sim_buf {
  char *data;
  size_t len;
} sim_buf_t;

static size_t on_data(char *ptr, size_t size, size_t n, void *arg) {
  sim_buf_t *b = arg;
  size_t add = size * n;
  char *grown = realloc(b->data, b->len + add + 1);
  if (!grown)
    return 0;
  memcpy(grown + b->len, ptr, add);
  b->data = grown;
  b->len += add;
  b->data[b->len] = '\0';
  return add;
}

long parley_kit_sim_call(const char *sim_url, const char *method, const char *path,
                         json_t *body, json_t **out, parley_error_t *err) {
  static int curl_ready;
  if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) == 0)
    curl_ready = 1;
  if (out)
    *out = NULL;
  char url[1024];
  size_t blen = strlen(sim_url);
  while (blen && sim_url[blen - 1] == '/')
    blen--;
  snprintf(url, sizeof url, "%.*s%s", (int)blen, sim_url, path);
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  CURL *c = curl_easy_init();
  if (!c) {
    free(text);
    return parley_error_set(err, PARLEY_ENOMEM, "%s %s: cannot create a curl handle", method,
                            path);
  }
  sim_buf_t buf = {0};
  struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &buf);
  if (text)
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
  CURLcode cc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  curl_slist_free_all(hdrs);
  free(text);
  if (cc != CURLE_OK) {
    free(buf.data);
    return parley_error_set(err, PARLEY_ENETWORK, "%s %s: %s", method, url,
                            curl_easy_strerror(cc));
  }
  if (out && buf.data)
    *out = json_loads(buf.data, 0, NULL);
  if (status >= 400) {
    json_t *j = buf.data ? json_loads(buf.data, 0, NULL) : NULL;
    parley_error_set(err, PARLEY_EHTTP, "%s %s: HTTP %ld: %s", method, path, status,
                     json_string_value(json_object_get(j, "error"))
                         ? json_string_value(json_object_get(j, "error"))
                         : "no detail");
    json_decref(j);
  }
  free(buf.data);
  return status;
}
