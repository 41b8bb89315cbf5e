/* The inbox's keyset cursor and the percent-decoding of a conversation id
 * in a path (router_inbox_cursor.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "router_inbox.h"

static void round_trip(const char *sla, int64_t prio, const char *inbound, const char *id) {
  parley_inbox_key_t k = {(char *)sla, prio, (char *)inbound, (char *)id}, back;
  char *c = parley_inbox_cursor_encode(&k);
  assert_non_null(c);
  assert_int_equal(strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                   strlen(c)); /* safe in a query string as it is */
  assert_int_equal(parley_inbox_cursor_decode(c, &back), 0);
  assert_string_equal(back.sla, sla);
  assert_int_equal(back.prio, prio);
  assert_string_equal(back.inbound, inbound);
  assert_string_equal(back.id, id);
  parley_inbox_key_clear(&back);
  free(c);
}

static void a_cursor_gives_back_the_key_it_was_made_from(void **state) {
  (void)state;
  round_trip("2026-11-23T09:20:06.123Z", -80, "2026-11-23T08:00:00.000Z", "twitter:1790");
  round_trip("~", 1, "~", "x");
  round_trip("~", -100, "2026-11-23T08:00:00.000Z", "facebook:104_9|odd/id:with|bars");
  round_trip("2026-01-01T00:00:00Z", 0, "~", "ab"); /* every padding length */
  round_trip("2026-01-01T00:00:00Z", 0, "~", "abc");
  round_trip("2026-01-01T00:00:00Z", 0, "~", "abcd");
}

static void refused(const char *cursor) {
  parley_inbox_key_t k;
  assert_int_equal(parley_inbox_cursor_decode(cursor, &k), PARLEY_EINVAL);
  assert_null(k.id);
}

static char *b64(const char *plain) {
  /* the encoder only takes good keys: bad ones are encoded here */
  static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t n = strlen(plain);
  char *out = calloc(n * 2 + 4, 1), *p = out;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)(unsigned char)plain[i] << 16 |
                 (i + 1 < n ? (uint32_t)(unsigned char)plain[i + 1] << 8 : 0) |
                 (i + 2 < n ? (unsigned char)plain[i + 2] : 0);
    *p++ = a[v >> 18 & 63];
    *p++ = a[v >> 12 & 63];
    if (i + 1 < n)
      *p++ = a[v >> 6 & 63];
    if (i + 2 < n)
      *p++ = a[v & 63];
  }
  return out;
}

static void refused_plain(const char *plain) {
  char *c = b64(plain);
  refused(c);
  free(c);
}

static void anything_else_is_not_a_cursor(void **state) {
  (void)state;
  refused("");
  refused("%%%");
  refused("abc=");        /* padding is not ours */
  refused("A");           /* impossible length */
  refused_plain("2|~|1|~|id");                    /* another version */
  refused_plain("1|~|1|~|");                      /* no id */
  refused_plain("1|~|1|~");                       /* a field short */
  refused_plain("1|~|x|~|id");                    /* priority not a number */
  refused_plain("1|~|5|~|id");                    /* out of range */
  refused_plain("1|~|-101|~|id");
  refused_plain("1|yesterday|1|~|id");            /* not a time */
  refused_plain("1|~|1|2026-01-01' OR 1=1|id");
}

static void decoded(const char *in, const char *want) {
  char out[64];
  int n = parley_url_decode(in, out, sizeof out);
  assert_int_equal(n, (int)strlen(want));
  assert_string_equal(out, want);
}

static void a_path_segment_is_percent_decoded(void **state) {
  (void)state;
  char small[4];
  decoded("test%3Athread%2F7", "test:thread/7");
  decoded("a+b%20c", "a+b c");
  decoded("%c3%A9", "\xc3\xa9");
  decoded("", "");
  assert_int_equal(parley_url_decode("bad%zz", small, sizeof small), PARLEY_EINVAL);
  assert_int_equal(parley_url_decode("bad%2", small, sizeof small), PARLEY_EINVAL);
  assert_int_equal(parley_url_decode("a%00b", small, sizeof small), PARLEY_EINVAL);
  assert_int_equal(parley_url_decode("abcd", small, sizeof small), PARLEY_ENOBUFS);
  decoded("abc", "abc");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_cursor_gives_back_the_key_it_was_made_from),
      cmocka_unit_test(anything_else_is_not_a_cursor),
      cmocka_unit_test(a_path_segment_is_percent_decoded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
