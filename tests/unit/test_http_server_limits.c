/* The pure logic behind the HTTP server's defences (http_server_limits.c):
 * scanning a request head as it trickles in, and per-address counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "http_server_limits.h"

static parley_head_state_t scan_all(const char *text, size_t line, size_t bytes, size_t n) {
  parley_head_scan_t sc = {0};
  return parley_head_scan(&sc, text, strlen(text), line, bytes, n);
}

static void test_complete_heads_are_recognised_with_crlf_or_bare_lf(void **state) {
  (void)state;
  assert_int_equal(scan_all("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 100, 100, 10),
                   PARLEY_HEAD_COMPLETE);
  assert_int_equal(scan_all("GET / HTTP/1.1\nHost: x\n\n", 100, 100, 10), PARLEY_HEAD_COMPLETE);
  assert_int_equal(scan_all("GET / HTTP/1.1\r\n\r\n", 100, 100, 10), PARLEY_HEAD_COMPLETE);
  /* empty lines before the request line are not the end of the head */
  assert_int_equal(scan_all("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n", 100, 100, 10),
                   PARLEY_HEAD_PARTIAL);
}

static void test_a_head_fed_byte_by_byte_gives_the_same_answer(void **state) {
  const char *head = "POST /hooks/fb HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
  parley_head_scan_t sc = {0};
  size_t i, end = strstr(head, "\r\n\r\n") - head + 4;
  (void)state;
  for (i = 1; i < end; i++)
    assert_int_equal(parley_head_scan(&sc, head, i, 100, 100, 10), PARLEY_HEAD_PARTIAL);
  assert_int_equal(parley_head_scan(&sc, head, end, 100, 100, 10), PARLEY_HEAD_COMPLETE);
  assert_int_equal(sc.nheaders, 2);
  assert_int_equal(sc.pos, end);
}

static void test_a_long_request_line_is_caught_before_it_ends(void **state) {
  char buf[300];
  (void)state;
  memset(buf, 'a', sizeof buf - 1);
  buf[sizeof buf - 1] = '\0';
  memcpy(buf, "GET /", 5);
  assert_int_equal(scan_all(buf, 256, 100, 10), PARLEY_HEAD_LINE_TOO_LONG);
  assert_int_equal(scan_all(buf, 400, 100, 10), PARLEY_HEAD_PARTIAL);
}

static void test_headers_beyond_the_size_or_count_are_caught(void **state) {
  char buf[400];
  (void)state;
  snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nX-Big: %0200d", 0); /* no end in sight */
  assert_int_equal(scan_all(buf, 100, 100, 10), PARLEY_HEAD_TOO_LARGE);
  assert_int_equal(scan_all(buf, 100, 300, 10), PARLEY_HEAD_PARTIAL);
  assert_int_equal(scan_all("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n", 100, 100, 2),
                   PARLEY_HEAD_TOO_MANY);
  assert_int_equal(scan_all("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", 100, 100, 2),
                   PARLEY_HEAD_COMPLETE);
}

static void test_peers_are_counted_per_address_across_families(void **state) {
  struct sockaddr_in a = {0}, b = {0};
  struct sockaddr_in6 a6 = {0};
  uint8_t ka[16], kb[16], ka6[16];
  char text[64];
  parley_peer_table_t *t = parley_peer_table_new();
  (void)state;
  a.sin_family = b.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.10", &a.sin_addr);
  inet_pton(AF_INET, "127.0.0.11", &b.sin_addr);
  a6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:127.0.0.10", &a6.sin6_addr);
  assert_int_equal(parley_peer_key((struct sockaddr *)&a, ka), 0);
  assert_int_equal(parley_peer_key((struct sockaddr *)&b, kb), 0);
  assert_int_equal(parley_peer_key((struct sockaddr *)&a6, ka6), 0);
  assert_memory_equal(ka, ka6, 16); /* one client whichever way it came */
  parley_peer_format(ka, text, sizeof text);
  assert_string_equal(text, "127.0.0.10");
  assert_int_equal(parley_peer_add(t, ka), 1);
  assert_int_equal(parley_peer_add(t, ka6), 2);
  assert_int_equal(parley_peer_add(t, kb), 1);
  assert_int_equal(parley_peer_count(t, ka), 2);
  assert_int_equal(parley_peer_addresses(t), 2);
  parley_peer_remove(t, kb);
  assert_int_equal(parley_peer_count(t, kb), 0);
  assert_int_equal(parley_peer_addresses(t), 1);
  parley_peer_remove(t, kb); /* not there: ignored */
  parley_peer_remove(t, ka);
  assert_int_equal(parley_peer_count(t, ka), 1);
  parley_peer_table_free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_complete_heads_are_recognised_with_crlf_or_bare_lf),
      cmocka_unit_test(test_a_head_fed_byte_by_byte_gives_the_same_answer),
      cmocka_unit_test(test_a_long_request_line_is_caught_before_it_ends),
      cmocka_unit_test(test_headers_beyond_the_size_or_count_are_caught),
      cmocka_unit_test(test_peers_are_counted_per_address_across_families),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
