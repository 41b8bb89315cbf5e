/* libparley-sdk poll scheduler: the specification. The delay rules are
 * checked on the pure function; the scheduler on a scripted host with a
 * virtual clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "parley/sdk/poll.h"

#define T0 1795424400000LL

static parley_sdk_poll_config_t cfg(void) {
  parley_sdk_poll_config_t c = {0};
  c.interval_ms = 60000;
  c.floor_ms = 2000;
  parley_sdk_poll_config_defaults(&c);
  return c;
}

static parley_sdk_poll_input_t input(void) {
  parley_sdk_poll_input_t in = {.now_ms = T0, .retry_after_ms = -1, .spread_ms = -1,
                                .usage_pct = -1};
  return in;
}

static parley_sdk_rng_t rng;

static void unknown_window_uses_the_configured_interval(void **state) {
  (void)state;
  parley_sdk_poll_config_t c = cfg();
  parley_sdk_poll_input_t in = input();
  assert_int_equal(parley_sdk_poll_delay(&c, &in, &rng), 60000);
}

static void known_window_polls_as_fast_as_it_allows(void **state) {
  (void)state;
  parley_sdk_poll_config_t c = cfg();
  parley_sdk_poll_input_t in = input();
  in.spread_ms = 5000; /* e.g. 180 calls left over 15 minutes */
  assert_int_equal(parley_sdk_poll_delay(&c, &in, &rng), 5000);
  in.spread_ms = 300000; /* a tight plan: slower than the interval */
  assert_int_equal(parley_sdk_poll_delay(&c, &in, &rng), 300000);
}

static void floor_bounds_the_fastest_poll(void **state) {
  (void)state;
  parley_sdk_poll_config_t c = cfg();
  parley_sdk_poll_input_t in = input();
  in.spread_ms = 300;
  assert_int_equal(parley_sdk_poll_delay(&c, &in, &rng), 2000);
}

static void full_page_polls_again_at_once(void **state) {
  (void)state;
  parley_sdk_poll_config_t c = cfg();
  parley_sdk_poll_input_t in = input();
  in.more = 1;
  assert_int_equal(parley_sdk_poll_delay(&c, &in, &rng), 0);
}

static void full_page_still_respects_an_exhausted_window(void **state) {
  (void)state;
  parley_sdk_poll_config_t c = cfg();
  parley_sdk_poll_input_t in = input();
  in.more = 1;
  in.next_allowed_ms = T0 + 45000;
  assert_int_equal(parley_sdk_poll_delay(&c, &in, &rng), 45000);
}

static void meta_usage_above_80_percent_stretches_the_interval(void **state) {
  (void)state;
  parley_sdk_poll_config_t c = cfg();
  parley_sdk_poll_input_t in = input();
  in.usage_pct = 80;
  assert_int_equal(parley_sdk_poll_delay(&c, &in, &rng), 60000);
  in.usage_pct = 90;
  assert_int_equal(parley_sdk_poll_delay(&c, &in, &rng), 180000);
  in.usage_pct = 100;
  assert_int_equal(parley_sdk_poll_delay(&c, &in, &rng), 300000);
}

static void failures_back_off_within_bounds(void **state) {
  (void)state;
  parley_sdk_poll_config_t c = cfg();
  parley_sdk_poll_input_t in = input();
  in.spread_ms = 2000;
  for (uint32_t f = 1; f <= 8; f++) {
    in.failures = f;
    uint64_t d = parley_sdk_poll_delay(&c, &in, &rng);
    assert_true(d >= 2000);
    assert_true(d <= parley_sdk_backoff_ceiling(&c.error_backoff, f) + 2000);
  }
}

static void server_retry_after_is_never_shortened(void **state) {
  (void)state;
  parley_sdk_poll_config_t c = cfg();
  parley_sdk_poll_input_t in = input();
  in.failures = 1;
  in.retry_after_ms = 15LL * 3600 * 1000;
  assert_int_equal(parley_sdk_poll_delay(&c, &in, &rng), 15LL * 3600 * 1000);
}

static void ceiling_caps_a_slow_interval(void **state) {
  (void)state;
  parley_sdk_poll_config_t c = cfg();
  c.ceiling_ms = 120000;
  parley_sdk_poll_input_t in = input();
  in.spread_ms = 900000;
  assert_int_equal(parley_sdk_poll_delay(&c, &in, &rng), 120000);
}

/* ---- the scheduler on a scripted host ---- */

struct parley_timer {
  uint64_t timeout;
  parley_timer_cb cb;
  void *data;
  int active;
};

static struct {
  int64_t now;
  struct parley_timer timers[32];
  int ntimers;
  int paused;
  int polls;
} fake;

static int64_t fake_wall(parley_instance_t *inst) {
  (void)inst;
  return fake.now;
}

static parley_timer_t *fake_timer_start(parley_instance_t *inst, uint64_t timeout, uint64_t repeat,
                                        parley_timer_cb cb, void *data) {
  (void)inst;
  (void)repeat;
  assert_true(fake.ntimers < 32);
  struct parley_timer *t = &fake.timers[fake.ntimers++];
  t->timeout = timeout;
  t->cb = cb;
  t->data = data;
  t->active = 1;
  return t;
}

static void fake_timer_stop(parley_timer_t *t) {
  t->active = 0;
}

static int fake_paused(parley_instance_t *inst) {
  (void)inst;
  return fake.paused;
}

static const parley_host_t host = {
    .abi_major = PARLEY_ABI_MAJOR,
    .abi_minor = PARLEY_ABI_MINOR,
    .size = sizeof(parley_host_t),
    .timer_start = fake_timer_start,
    .timer_stop = fake_timer_stop,
    .wall_ms = fake_wall,
    .paused = fake_paused,
};

/* The one active timer, or NULL. */
static struct parley_timer *active_timer(void) {
  struct parley_timer *found = NULL;
  for (int i = 0; i < fake.ntimers; i++)
    if (fake.timers[i].active) {
      assert_null(found); /* a scheduler keeps at most one timer */
      found = &fake.timers[i];
    }
  return found;
}

static void fire(void) {
  struct parley_timer *t = active_timer();
  assert_non_null(t);
  fake.now += (int64_t)t->timeout;
  t->cb(t, t->data);
}

static void count_poll(parley_sdk_poll_t *p, void *data) {
  (void)p;
  (void)data;
  fake.polls++;
}

static parley_sdk_poll_t *scheduler(void) {
  memset(&fake, 0, sizeof fake);
  fake.now = T0;
  parley_sdk_poll_config_t c = cfg();
  parley_sdk_poll_t *p = NULL;
  assert_int_equal(parley_sdk_poll_new(&host, NULL, NULL, NULL, &c, count_poll, NULL, &p), 0);
  return p;
}

static void first_poll_runs_on_the_next_turn_then_every_interval(void **state) {
  (void)state;
  parley_sdk_poll_t *p = scheduler();
  assert_int_equal(parley_sdk_poll_start(p), 0);
  assert_int_equal(fake.polls, 0);
  fire();
  assert_int_equal(fake.polls, 1);
  assert_true(parley_sdk_poll_running(p));
  assert_null(active_timer()); /* nothing armed while a poll runs */
  parley_sdk_poll_done(p, 0, NULL);
  assert_int_equal(active_timer()->timeout, 60000);
  fire();
  assert_int_equal(fake.polls, 2);
  parley_sdk_poll_free(p);
}

static void full_page_rearms_immediately(void **state) {
  (void)state;
  parley_sdk_poll_t *p = scheduler();
  parley_sdk_poll_start(p);
  fire();
  parley_sdk_poll_done(p, 1, NULL);
  assert_int_equal(active_timer()->timeout, 0);
  parley_sdk_poll_free(p);
}

static void no_poll_runs_while_paused(void **state) {
  (void)state;
  parley_sdk_poll_t *p = scheduler();
  parley_sdk_poll_start(p);
  fake.paused = 1;
  fire();
  fire();
  assert_int_equal(fake.polls, 0);
  assert_int_equal(active_timer()->timeout, 1000);
  fake.paused = 0;
  fire();
  assert_int_equal(fake.polls, 1);
  parley_sdk_poll_done(p, 0, NULL);
  parley_sdk_poll_free(p);
}

static void a_failed_poll_honours_the_error_retry_after(void **state) {
  (void)state;
  parley_sdk_poll_t *p = scheduler();
  parley_sdk_poll_start(p);
  fire();
  parley_sdk_error_t e;
  parley_sdk_error_init(&e);
  e.code = PARLEY_ERATELIMIT;
  e.retry_after_ms = 600000;
  parley_sdk_poll_done(p, 1, &e);
  assert_int_equal(parley_sdk_poll_next_delay(p), 600000);
  parley_sdk_poll_free(p);
}

static void stop_cancels_the_next_poll_and_ignores_a_late_done(void **state) {
  (void)state;
  parley_sdk_poll_t *p = scheduler();
  parley_sdk_poll_start(p);
  fire();
  parley_sdk_poll_stop(p);
  parley_sdk_poll_done(p, 0, NULL);
  assert_null(active_timer());
  assert_int_equal(fake.polls, 1);
  parley_sdk_poll_free(p);
}

static void poll_now_shortens_the_wait(void **state) {
  (void)state;
  parley_sdk_poll_t *p = scheduler();
  parley_sdk_poll_start(p);
  fire();
  parley_sdk_poll_done(p, 0, NULL);
  assert_int_equal(active_timer()->timeout, 60000);
  parley_sdk_poll_now(p);
  assert_int_equal(active_timer()->timeout, 0);
  parley_sdk_poll_free(p);
}

static void start_twice_is_refused(void **state) {
  (void)state;
  parley_sdk_poll_t *p = scheduler();
  assert_int_equal(parley_sdk_poll_start(p), 0);
  assert_int_equal(parley_sdk_poll_start(p), PARLEY_ESTATE);
  parley_sdk_poll_free(p);
}

int main(void) {
  parley_sdk_rng_seed(&rng, 3);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(unknown_window_uses_the_configured_interval),
      cmocka_unit_test(known_window_polls_as_fast_as_it_allows),
      cmocka_unit_test(floor_bounds_the_fastest_poll),
      cmocka_unit_test(full_page_polls_again_at_once),
      cmocka_unit_test(full_page_still_respects_an_exhausted_window),
      cmocka_unit_test(meta_usage_above_80_percent_stretches_the_interval),
      cmocka_unit_test(failures_back_off_within_bounds),
      cmocka_unit_test(server_retry_after_is_never_shortened),
      cmocka_unit_test(ceiling_caps_a_slow_interval),
      cmocka_unit_test(first_poll_runs_on_the_next_turn_then_every_interval),
      cmocka_unit_test(full_page_rearms_immediately),
      cmocka_unit_test(no_poll_runs_while_paused),
      cmocka_unit_test(a_failed_poll_honours_the_error_retry_after),
      cmocka_unit_test(stop_cancels_the_next_poll_and_ignores_a_late_done),
      cmocka_unit_test(poll_now_shortens_the_wait),
      cmocka_unit_test(start_twice_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
