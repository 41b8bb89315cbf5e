/* parley core — logging. */
#include "log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/time.h"
#include "util.h"

static parley_log_level_t g_level = PARLEY_LOG_INFO;
static int g_json;

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};

/* Words that make a field key name a credential. A caller should never log
 * one, but a mistake must not leak it: the value is masked by key. */
static const char *const secret_words[] = {"token",    "secret",    "password", "passwd",
                                           "authoriz", "authentic", "cookie",   "credential",
                                           "signature", "apikey",   "private",  NULL};

/* The secret option values and the admin token in use, borrowed from their
 * owners (who register them when bound and unregister before wiping): a
 * record containing one has it replaced by "***", in the message and in the
 * fields. Guarded because the thread pool logs too. */
static pthread_mutex_t g_secrets_mu = PTHREAD_MUTEX_INITIALIZER;
static const char **g_secrets;
static size_t g_n_secrets, g_cap_secrets;

/* Shorter values would mask ordinary words; the config refuses such secrets
 * for the admin token, and platform credentials are far longer. */
#define SECRET_MIN 6

void parley_log_secret_add(const char *secret) {
  if (!secret || strlen(secret) < SECRET_MIN)
    return;
  pthread_mutex_lock(&g_secrets_mu);
  if (g_n_secrets == g_cap_secrets) {
    size_t cap = g_cap_secrets ? 2 * g_cap_secrets : 16;
    const char **grown = realloc((void *)g_secrets, cap * sizeof *grown);
    if (grown) {
      g_secrets = grown;
      g_cap_secrets = cap;
    }
  }
  if (g_n_secrets < g_cap_secrets)
    g_secrets[g_n_secrets++] = secret;
  pthread_mutex_unlock(&g_secrets_mu);
}

void parley_log_secret_remove(const char *secret) {
  pthread_mutex_lock(&g_secrets_mu);
  for (size_t i = 0; i < g_n_secrets; i++) {
    if (g_secrets[i] == secret) {
      g_secrets[i] = g_secrets[--g_n_secrets];
      break;
    }
  }
  if (!g_n_secrets) {
    free((void *)g_secrets);
    g_secrets = NULL;
    g_cap_secrets = 0;
  }
  pthread_mutex_unlock(&g_secrets_mu);
}

/* Replaces every registered secret in buf (NUL-terminated, of size bytes)
 * with "***"; returns 1 if any was found. Called with the lock held. */
static int mask_secrets(char *buf, size_t size) {
  int found = 0;
  for (size_t i = 0; i < g_n_secrets; i++) {
    size_t len = strlen(g_secrets[i]);
    for (char *p = strstr(buf, g_secrets[i]); p; p = strstr(p + 3, g_secrets[i])) {
      memmove(p + 3, p + len, strlen(p + len) + 1); /* len >= SECRET_MIN > 3 */
      memcpy(p, "***", 3);
      found = 1;
    }
  }
  (void)size;
  return found;
}

void parley_log_set_level(parley_log_level_t level) { g_level = level; }
parley_log_level_t parley_log_get_level(void) { return g_level; }
void parley_log_set_json(int json) { g_json = json; }

int parley_log_level_parse(const char *name, parley_log_level_t *level) {
  for (int i = 0; i <= PARLEY_LOG_TRACE; i++) {
    if (name && strcmp(name, level_names[i]) == 0) {
      *level = (parley_log_level_t)i;
      return 0;
    }
  }
  return PARLEY_EINVAL;
}

int parley_log_key_is_secret(const char *key) {
  if (!key)
    return 0;
  char low[64];
  size_t i = 0;
  for (; key[i] && i + 1 < sizeof low; i++)
    low[i] = (char)((key[i] >= 'A' && key[i] <= 'Z') ? key[i] - 'A' + 'a' : key[i]);
  low[i] = '\0';
  /* "key" and "auth" only as words: "keyword" and "author" are plain */
  if (strcmp(low, "key") == 0 || strcmp(low, "auth") == 0 ||
      (i > 4 && (strcmp(low + i - 4, "_key") == 0 || strcmp(low + i - 4, "-key") == 0)) ||
      (i > 5 && strcmp(low + i - 5, "_auth") == 0))
    return 1;
  for (const char *const *w = secret_words; *w; w++)
    if (strstr(low, *w))
      return 1;
  return 0;
}

/* Keys are identifiers, so a log collector can index them as they are. */
static void clean_key(const char *key, char *buf, size_t size) {
  size_t i = 0;
  for (; key && key[i] && i + 1 < size; i++) {
    char c = key[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    buf[i] = ok ? c : (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : '_';
  }
  if (i == 0)
    buf[i++] = '_';
  buf[i] = '\0';
}

/* Called with the secrets lock held. */
static const char *field_value(const parley_log_field_t *f) {
  if (parley_log_key_is_secret(f->key))
    return "***";
  for (size_t i = 0; f->value && i < g_n_secrets; i++)
    if (strstr(f->value, g_secrets[i]))
      return "***";
  return f->value;
}

static void write_json(parley_log_level_t level, const char *ts, const char *component,
                       const char *instance, const parley_log_field_t *fields, size_t n,
                       const char *msg) {
  json_t *fo = json_object();
  for (size_t i = 0; fo && i < n; i++) {
    char key[64];
    clean_key(fields[i].key, key, sizeof key);
    const char *v = field_value(&fields[i]);
    json_object_set_new(fo, key, v ? json_string(v) : json_null());
  }
  json_t *o = json_pack("{s:s,s:s,s:s,s:s?,s:s,s:o?}", "time", ts, "level", level_names[level],
                        "component", component, "instance", instance, "message", msg,
                        "fields", fo);
  char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
  if (line)
    fprintf(stderr, "%s\n", line);
  free(line);
  json_decref(o);
}

/* Fields are for machines: a text line is the message alone, so a caller
 * puts what a person needs in the message (and existing lines keep their
 * exact text). */
static void write_text(parley_log_level_t level, const char *ts, const char *who,
                       const char *msg) {
  fprintf(stderr, "%s %-5s [%s] %s\n", ts, level_names[level], who, msg);
}

/* Copies msg into out (of size n), writing control characters, DEL and
 * bytes that are not valid UTF-8 as \xNN: whatever a connector or a
 * platform put into a message, one log call stays one intact line (no
 * forged lines, no terminal escapes) and the JSON form can always encode it. */
static void clean_message(const char *msg, char *out, size_t n) {
  const unsigned char *p = (const unsigned char *)msg;
  size_t o = 0;
  while (*p && o + 5 < n) {
    size_t k = parley_util_utf8_seq_len(p);
    if (k > 0 && !(k == 1 && (*p < 0x20 || *p == 0x7f))) {
      if (o + k >= n)
        break;
      memcpy(out + o, p, k);
      o += k;
      p += k;
    } else {
      snprintf(out + o, 5, "\\x%02X", *p);
      o += 4;
      p++;
    }
  }
  out[o] = '\0';
}

void parley_log_kvv(parley_log_level_t level, const char *component, const char *instance,
                    const parley_log_field_t *fields, size_t n, const char *fmt, va_list ap) {
  if (level > g_level || level < PARLEY_LOG_ERROR)
    return;
  char raw[2048], msg[2048], ts[PARLEY_TIME_MAX];
  vsnprintf(raw, sizeof raw, fmt, ap);
  parley_time_format(parley_time_now(), ts, sizeof ts);
  if (!component)
    component = "parley";
  pthread_mutex_lock(&g_secrets_mu);
  mask_secrets(raw, sizeof raw); /* before escaping, so a secret is found as it was given */
  clean_message(raw, msg, sizeof msg);
  if (g_json)
    write_json(level, ts, component, instance, fields, n, msg);
  else
    write_text(level, ts, instance ? instance : component, msg);
  fflush(stderr);
  pthread_mutex_unlock(&g_secrets_mu);
}

void parley_log_kv(parley_log_level_t level, const char *component, const char *instance,
                   const parley_log_field_t *fields, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  parley_log_kvv(level, component, instance, fields, n, fmt, ap);
  va_end(ap);
}

void parley_log_instancev(parley_log_level_t level, const char *component,
                          const char *instance, const char *fmt, va_list ap) {
  parley_log_kvv(level, component, instance, NULL, 0, fmt, ap);
}

void parley_log_instance(parley_log_level_t level, const char *component, const char *instance,
                         const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  parley_log_kvv(level, component, instance, NULL, 0, fmt, ap);
  va_end(ap);
}

void parley_logv(parley_log_level_t level, const char *who, const char *fmt, va_list ap) {
  parley_log_kvv(level, who, NULL, NULL, 0, fmt, ap);
}

void parley_log(parley_log_level_t level, const char *who, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  parley_logv(level, who, fmt, ap);
  va_end(ap);
}
