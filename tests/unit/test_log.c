/* Logging (core/log.c): text lines keep their exact shape, JSON lines carry
 * time, level, component, instance, message and fields, and a field under a
 * key that names a credential is never written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Runs fn with stderr sent to a temporary file; returns what was written. */
static char *capture(void (*fn)(void)) {
  fflush(stderr);
  int saved = dup(fileno(stderr));
  FILE *tmp = tmpfile();
  assert_non_null(tmp);
  dup2(fileno(tmp), fileno(stderr));
  fn();
  fflush(stderr);
  dup2(saved, fileno(stderr));
  close(saved);
  long len = ftell(tmp);
  assert_true(len >= 0);
  char *out = calloc(1, (size_t)len + 1);
  rewind(tmp);
  assert_int_equal(fread(out, 1, (size_t)len, tmp), (size_t)len);
  fclose(tmp);
  return out;
}

static void log_some(void) {
  parley_log(PARLEY_LOG_INFO, "router", "running: %d connectors", 2);
  parley_log_field_t f[] = {{"plugin", "testconn"},
                            {"Bearer_Token", "s3cret"},
                            {"api-key", "k3y"},
                            {"app_secret", "x"},
                            {"attempt", "3"},
                            {"missing", NULL}};
  parley_log_kv(PARLEY_LOG_WARN, "connector", "tc1", f, 6, "started (%s)", "testconn");
  parley_log(PARLEY_LOG_DEBUG, "router", "below the level");
}

static json_t *line_json(const char *text, int n) {
  const char *p = text;
  for (int i = 0; i < n; i++) {
    p = strchr(p, '\n');
    assert_non_null(p);
    p++;
  }
  json_error_t jerr;
  json_t *o = json_loadb(p, (size_t)(strchr(p, '\n') - p), 0, &jerr);
  if (!o)
    fail_msg("line %d is not JSON: %s", n, jerr.text);
  return o;
}

static void json_lines_have_every_key(void **state) {
  (void)state;
  parley_log_set_level(PARLEY_LOG_INFO);
  parley_log_set_json(1);
  char *out = capture(log_some);
  parley_log_set_json(0);
  assert_null(strstr(out, "below the level"));
  json_t *a = line_json(out, 0), *b = line_json(out, 1);
  assert_int_equal(json_object_size(a), 6);
  assert_string_equal(json_string_value(json_object_get(a, "component")), "router");
  assert_true(json_is_null(json_object_get(a, "instance")));
  assert_string_equal(json_string_value(json_object_get(a, "message")), "running: 2 connectors");
  assert_int_equal(json_object_size(json_object_get(a, "fields")), 0);
  assert_string_equal(json_string_value(json_object_get(b, "level")), "warn");
  assert_string_equal(json_string_value(json_object_get(b, "instance")), "tc1");
  json_t *f = json_object_get(b, "fields");
  assert_string_equal(json_string_value(json_object_get(f, "plugin")), "testconn");
  assert_string_equal(json_string_value(json_object_get(f, "attempt")), "3");
  /* keys are lowered and cleaned; credential keys masked */
  assert_string_equal(json_string_value(json_object_get(f, "bearer_token")), "***");
  assert_string_equal(json_string_value(json_object_get(f, "api_key")), "***");
  assert_string_equal(json_string_value(json_object_get(f, "app_secret")), "***");
  assert_true(json_is_null(json_object_get(f, "missing")));
  assert_null(strstr(out, "s3cret"));
  assert_null(strstr(out, "k3y"));
  json_decref(a);
  json_decref(b);
  free(out);
}

static void text_lines_are_the_message_alone(void **state) {
  (void)state;
  parley_log_set_level(PARLEY_LOG_INFO);
  char *out = capture(log_some);
  const char *second = strchr(out, '\n') + 1;
  /* "<time> info  [router] ..." then "<time> warn  [tc1] started (testconn)" */
  assert_non_null(strstr(out, "Z info  [router] running: 2 connectors\n"));
  assert_non_null(strstr(second, "Z warn  [tc1] started (testconn)\n"));
  assert_null(strstr(out, "s3cret"));
  assert_null(strstr(out, "plugin="));
  free(out);
}

static void credential_keys_are_recognised(void **state) {
  (void)state;
  const char *secret[] = {"token", "access_token", "password", "Authorization", "cookie",
                          "key", "signing_key", "client_secret", "signature", "apikey",
                          "basic_auth", "api-key"};
  const char *plain[] = {"plugin", "attempt", "keyword", "keywords", "monkey", "platform",
                         "author", "author_id"};
  for (size_t i = 0; i < sizeof secret / sizeof *secret; i++)
    if (!parley_log_key_is_secret(secret[i]))
      fail_msg("%s should be masked", secret[i]);
  for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
    if (parley_log_key_is_secret(plain[i]))
      fail_msg("%s should not be masked", plain[i]);
}

static const char registered[] = "hunter2-live-secret";

static void log_registered(void) {
  parley_log_field_t f[] = {{"url", "https://x.example/?t=hunter2-live-secret"},
                            {"plugin", "testconn"}};
  parley_log_kv(PARLEY_LOG_INFO, "connector", "tc1", f, 2, "got %s and %s again", registered,
                registered);
}

static void registered_secrets_are_masked_everywhere(void **state) {
  (void)state;
  parley_log_set_level(PARLEY_LOG_INFO);
  parley_log_secret_add(registered);
  parley_log_set_json(1);
  char *out = capture(log_registered);
  parley_log_set_json(0);
  assert_null(strstr(out, "hunter2"));
  json_t *o = line_json(out, 0);
  assert_string_equal(json_string_value(json_object_get(o, "message")), "got *** and *** again");
  json_t *f = json_object_get(o, "fields");
  assert_string_equal(json_string_value(json_object_get(f, "url")), "***");
  assert_string_equal(json_string_value(json_object_get(f, "plugin")), "testconn");
  json_decref(o);
  free(out);
  char *text = capture(log_registered);
  assert_non_null(strstr(text, "[tc1] got *** and *** again\n"));
  free(text);
  /* once removed (its owner wipes it next), it is an ordinary string */
  parley_log_secret_remove(registered);
  text = capture(log_registered);
  assert_non_null(strstr(text, "got hunter2-live-secret and"));
  free(text);
}

static void log_hostile(void) {
  parley_log_instance(PARLEY_LOG_WARN, "connector", "tw", "skipped: %s",
                      "a\n2026-01-01T00:00:00Z error [router] forged\x1b[31m \xff\xc3\xa9");
}

/* Whatever a message holds, one call is one intact line: control
 * characters and invalid UTF-8 are written as \xNN, valid UTF-8 is kept,
 * and the JSON form still encodes it (it used to drop the line). */
static void control_characters_and_bad_bytes_are_escaped(void **state) {
  (void)state;
  parley_log_set_level(PARLEY_LOG_INFO);
  char *out = capture(log_hostile);
  assert_non_null(strstr(out, "[tw] skipped: a\\x0A2026-01-01T00:00:00Z error [router] "
                              "forged\\x1B[31m \\xFF\xc3\xa9\n"));
  assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out));
  free(out);
  parley_log_set_json(1);
  out = capture(log_hostile);
  parley_log_set_json(0);
  json_t *o = line_json(out, 0);
  assert_non_null(o);
  assert_non_null(strstr(json_string_value(json_object_get(o, "message")), "\\xFF\xc3\xa9"));
  json_decref(o);
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(json_lines_have_every_key),
      cmocka_unit_test(text_lines_are_the_message_alone),
      cmocka_unit_test(credential_keys_are_recognised),
      cmocka_unit_test(registered_secrets_are_masked_everywhere),
      cmocka_unit_test(control_characters_and_bad_bytes_are_escaped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
