/* The browser session table (router_session.c): ids and CSRF tokens are
 * random, sessions expire when idle, the least recently used one makes room,
 * and a malformed or unknown id finds nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "router_session.h"

#define HOUR (3600 * 1000LL)

static void test_a_new_session_has_random_hex_id_and_csrf_and_is_found_by_id(void **state) {
  (void)state;
  parley_sessions_t *s = parley_sessions_new(4, HOUR);
  const parley_session_t *a = parley_sessions_create(s, "mia", 0);
  assert_non_null(a);
  char id[PARLEY_SESSION_ID_LEN + 1];
  strcpy(id, parley_session_id(a));
  assert_int_equal(strlen(id), PARLEY_SESSION_ID_LEN);
  assert_int_equal(strspn(id, "0123456789abcdef"), PARLEY_SESSION_ID_LEN);
  assert_string_not_equal(id, parley_session_csrf(a));
  const parley_session_t *b = parley_sessions_create(s, "mia", 0);
  assert_string_not_equal(id, parley_session_id(b));
  assert_ptr_equal(parley_sessions_find(s, id, 10), a);
  assert_string_equal(parley_session_agent(parley_sessions_find(s, id, 10)), "mia");
  assert_int_equal(parley_sessions_count(s), 2);
  parley_sessions_free(s);
}

static void test_unknown_or_malformed_ids_find_nothing(void **state) {
  (void)state;
  parley_sessions_t *s = parley_sessions_new(4, HOUR);
  const parley_session_t *a = parley_sessions_create(s, "admin", 0);
  char id[PARLEY_SESSION_ID_LEN + 1];
  strcpy(id, parley_session_id(a));
  assert_null(parley_sessions_find(s, NULL, 0));
  assert_null(parley_sessions_find(s, "", 0));
  id[PARLEY_SESSION_ID_LEN - 1] = id[PARLEY_SESSION_ID_LEN - 1] == '0' ? '1' : '0';
  assert_null(parley_sessions_find(s, id, 0));
  id[10] = '\0'; /* a prefix of a real id */
  assert_null(parley_sessions_find(s, id, 0));
  parley_sessions_free(s);
}

static void test_a_session_idle_longer_than_the_limit_is_gone_and_use_extends_it(void **state) {
  (void)state;
  parley_sessions_t *s = parley_sessions_new(4, 12 * HOUR);
  char id[PARLEY_SESSION_ID_LEN + 1];
  strcpy(id, parley_session_id(parley_sessions_create(s, "mia", 0)));
  assert_non_null(parley_sessions_find(s, id, 11 * HOUR)); /* used: idle restarts */
  assert_non_null(parley_sessions_find(s, id, 22 * HOUR));
  assert_null(parley_sessions_find(s, id, 34 * HOUR + 1));
  assert_int_equal(parley_sessions_count(s), 0);
  parley_sessions_free(s);
}

static void test_when_full_the_least_recently_used_session_makes_room(void **state) {
  (void)state;
  parley_sessions_t *s = parley_sessions_new(2, HOUR);
  char first[PARLEY_SESSION_ID_LEN + 1], second[PARLEY_SESSION_ID_LEN + 1];
  strcpy(first, parley_session_id(parley_sessions_create(s, "a", 0)));
  strcpy(second, parley_session_id(parley_sessions_create(s, "b", 1)));
  assert_non_null(parley_sessions_find(s, first, 2)); /* first is now the more recent */
  assert_non_null(parley_sessions_create(s, "c", 3));
  assert_non_null(parley_sessions_find(s, first, 4));
  assert_null(parley_sessions_find(s, second, 4));
  assert_int_equal(parley_sessions_count(s), 2);
  parley_sessions_free(s);
}

static void test_a_dropped_session_is_gone(void **state) {
  (void)state;
  parley_sessions_t *s = parley_sessions_new(2, HOUR);
  char id[PARLEY_SESSION_ID_LEN + 1];
  strcpy(id, parley_session_id(parley_sessions_create(s, "a", 0)));
  parley_sessions_drop(s, id);
  parley_sessions_drop(s, id); /* twice is harmless */
  assert_null(parley_sessions_find(s, id, 1));
  parley_sessions_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_new_session_has_random_hex_id_and_csrf_and_is_found_by_id),
      cmocka_unit_test(test_unknown_or_malformed_ids_find_nothing),
      cmocka_unit_test(test_a_session_idle_longer_than_the_limit_is_gone_and_use_extends_it),
      cmocka_unit_test(test_when_full_the_least_recently_used_session_makes_room),
      cmocka_unit_test(test_a_dropped_session_is_gone),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
