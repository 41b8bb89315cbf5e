/* parley core — the pure logic behind the HTTP server's defences against
 * hostile clients (see http_server.c): where a connection stands in reading
 * a request head, and how many connections each client address holds.
 * No I/O, no clock: unit-tested on its own. Internal. */
#ifndef PARLEY_CORE_HTTP_SERVER_LIMITS_H
#define PARLEY_CORE_HTTP_SERVER_LIMITS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* What a request head read so far amounts to. */
typedef enum {
  PARLEY_HEAD_PARTIAL,        /* within limits, not complete yet */
  PARLEY_HEAD_COMPLETE,       /* the blank line after the headers arrived */
  PARLEY_HEAD_LINE_TOO_LONG,  /* no end of the request line within max_line */
  PARLEY_HEAD_TOO_LARGE,      /* the head exceeds max_line + max_header_bytes */
  PARLEY_HEAD_TOO_MANY        /* more than max_headers header lines */
} parley_head_state_t;

typedef struct parley_head_scan {
  size_t pos;      /* bytes examined so far (resume point) */
  size_t line_end; /* offset just past the request line's '\n', 0 until seen */
  size_t nheaders; /* complete header lines seen */
} parley_head_scan_t;

/* Examines buf[scan->pos..len) (the bytes of a request head as they
 * arrived; buf[0..len) must start with the head, and len only grows between
 * calls with the same scan) and returns the state. Zero-initialise scan
 * before the first call of each request. Leading empty lines (allowed
 * before a request line) are skipped. */
parley_head_state_t parley_head_scan(parley_head_scan_t *scan, const char *buf, size_t len,
                                     size_t max_line, size_t max_header_bytes,
                                     size_t max_headers);

/* Connections per client address: a small chained hash table. */
typedef struct parley_peer_table parley_peer_table_t;

/* The key of an address: IPv4 addresses as IPv4-mapped IPv6 so both
 * families share one key space; 0 on success, PARLEY_EINVAL otherwise. */
int parley_peer_key(const struct sockaddr *sa, uint8_t key[16]);
/* Formats a key as text ("127.0.0.1" or an IPv6 address) into buf. */
void parley_peer_format(const uint8_t key[16], char *buf, size_t buflen);

parley_peer_table_t *parley_peer_table_new(void);
void parley_peer_table_free(parley_peer_table_t *t);
/* Connections currently counted for key. */
size_t parley_peer_count(const parley_peer_table_t *t, const uint8_t key[16]);
/* +1 for key; returns the new count, or PARLEY_ENOMEM. */
int parley_peer_add(parley_peer_table_t *t, const uint8_t key[16]);
/* -1 for key (the entry goes at 0); a key not present is ignored. */
void parley_peer_remove(parley_peer_table_t *t, const uint8_t key[16]);
/* Distinct addresses counted. */
size_t parley_peer_addresses(const parley_peer_table_t *t);

#endif
