/* libparley-sdk order: one poll's events are emitted oldest first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "parley/error.h"
#include "parley/event.h"
#include "parley/sdk/order.h"

typedef struct seen {
  char ids[16][32];
  size_t n;
} seen_t;

static void record(parley_event_t *ev, void *data) {
  seen_t *s = data;
  if (s->n < 16)
    snprintf(s->ids[s->n++], sizeof s->ids[0], "%s", parley_event_id(ev));
  parley_event_free(ev);
}

static parley_event_t *event(const char *id, int64_t created_ms) {
  parley_event_t *ev = parley_event_new();
  assert_non_null(ev);
  assert_int_equal(parley_event_set_id(ev, id), 0);
  if (created_ms)
    parley_event_set_created_at(ev, created_ms);
  return ev;
}

static void a_newest_first_walk_is_emitted_oldest_first(void **state) {
  (void)state;
  seen_t s = {0};
  parley_sdk_order_t o;
  parley_sdk_order_init(&o, record, &s, 1);
  /* page 1 (newest), then page 2, as twitter lists them */
  parley_sdk_order_add(&o, event("x:reply2", 4000));
  parley_sdk_order_add(&o, event("x:dm2", 3000));
  parley_sdk_order_add(&o, event("x:reply1", 2000));
  parley_sdk_order_add(&o, event("x:dm1", 1000));
  assert_int_equal(parley_sdk_order_count(&o), 4);
  assert_int_equal(s.n, 0); /* nothing before the walk completes */
  assert_int_equal(parley_sdk_order_flush(&o), 4);
  assert_int_equal(s.n, 4);
  assert_string_equal(s.ids[0], "x:dm1");
  assert_string_equal(s.ids[1], "x:reply1");
  assert_string_equal(s.ids[2], "x:dm2");
  assert_string_equal(s.ids[3], "x:reply2");
  assert_int_equal(parley_sdk_order_count(&o), 0);
}

static void an_out_of_order_page_is_sorted_by_created_at(void **state) {
  (void)state;
  seen_t s = {0};
  parley_sdk_order_t o;
  parley_sdk_order_init(&o, record, &s, 1);
  parley_sdk_order_add(&o, event("x:b", 2000));
  parley_sdk_order_add(&o, event("x:c", 3000));
  parley_sdk_order_add(&o, event("x:a", 1000));
  parley_sdk_order_flush(&o);
  assert_string_equal(s.ids[0], "x:a");
  assert_string_equal(s.ids[1], "x:b");
  assert_string_equal(s.ids[2], "x:c");
}

static void equal_times_keep_the_listed_order_reversed_or_not(void **state) {
  (void)state;
  seen_t s = {0};
  parley_sdk_order_t o;
  parley_sdk_order_init(&o, record, &s, 1);
  parley_sdk_order_add(&o, event("x:second", 5000));
  parley_sdk_order_add(&o, event("x:first", 5000));
  parley_sdk_order_flush(&o);
  assert_string_equal(s.ids[0], "x:first");
  assert_string_equal(s.ids[1], "x:second");

  seen_t t = {0};
  parley_sdk_order_init(&o, record, &t, 0); /* a platform listing oldest first */
  parley_sdk_order_add(&o, event("x:first", 5000));
  parley_sdk_order_add(&o, event("x:second", 5000));
  parley_sdk_order_flush(&o);
  assert_string_equal(t.ids[0], "x:first");
  assert_string_equal(t.ids[1], "x:second");
}

static void events_without_a_time_come_first(void **state) {
  (void)state;
  seen_t s = {0};
  parley_sdk_order_t o;
  parley_sdk_order_init(&o, record, &s, 1);
  parley_sdk_order_add(&o, event("x:timed", 1000));
  parley_sdk_order_add(&o, event("x:untimed", 0));
  parley_sdk_order_flush(&o);
  assert_string_equal(s.ids[0], "x:untimed");
  assert_string_equal(s.ids[1], "x:timed");
}

static void a_failed_walk_emits_nothing_and_the_order_is_reusable(void **state) {
  (void)state;
  seen_t s = {0};
  parley_sdk_order_t o;
  parley_sdk_order_init(&o, record, &s, 1);
  for (int i = 0; i < 100; i++) { /* past the first growth */
    char id[16];
    snprintf(id, sizeof id, "x:%d", i);
    parley_sdk_order_add(&o, event(id, 1000 + i));
  }
  parley_sdk_order_clear(&o); /* frees them: sanitizers see a leak otherwise */
  assert_int_equal(s.n, 0);
  assert_int_equal(parley_sdk_order_count(&o), 0);
  parley_sdk_order_add(&o, event("x:again", 1000));
  assert_int_equal(parley_sdk_order_flush(&o), 1);
  assert_string_equal(s.ids[0], "x:again");
  assert_int_equal(parley_sdk_order_flush(&o), 0); /* empty: nothing twice */
  assert_int_equal(s.n, 1);
}

static void adding_nothing_is_refused(void **state) {
  (void)state;
  parley_sdk_order_t o;
  parley_sdk_order_init(&o, record, NULL, 1);
  assert_int_equal(parley_sdk_order_add(&o, NULL), PARLEY_EINVAL);
  assert_int_equal(parley_sdk_order_count(&o), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_newest_first_walk_is_emitted_oldest_first),
      cmocka_unit_test(an_out_of_order_page_is_sorted_by_created_at),
      cmocka_unit_test(equal_times_keep_the_listed_order_reversed_or_not),
      cmocka_unit_test(events_without_a_time_come_first),
      cmocka_unit_test(a_failed_walk_emits_nothing_and_the_order_is_reusable),
      cmocka_unit_test(adding_nothing_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
