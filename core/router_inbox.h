/* parley core — GET /v1/inbox and GET /v1/conversations/<id>
 * (router_inbox.c; docs/console-api.md) and their pure parts
 * (router_inbox_cursor.c): the keyset cursor and the id in the path.
 * Internal. */
#ifndef PARLEY_CORE_ROUTER_INBOX_H
#define PARLEY_CORE_ROUTER_INBOX_H

#include <stddef.h>
#include <stdint.h>

#include "router.h"

/* Where a row sits in the inbox order, as sort keys that are never NULL
 * (the same expressions as the store's conversations_inbox index):
 *   sla      sla_due, or "~" (after every time: no SLA last)
 *   prio     -priority, or 1 without one (after priority 0)
 *   inbound  last_inbound_at, or "~"
 *   id       the conversation id (the tie-break)
 * The strings are owned (parley_inbox_key_clear). */
typedef struct parley_inbox_key {
  char *sla;
  int64_t prio;
  char *inbound;
  char *id;
} parley_inbox_key_t;

/* The opaque next_cursor of a page whose last row has key k: base64url
 * (no padding) of "1|sla|prio|inbound|id". malloc'd; NULL: no memory. */
char *parley_inbox_cursor_encode(const parley_inbox_key_t *k);
/* Back to the key: 0, or PARLEY_EINVAL for anything that is not a cursor
 * this encoder made (k is then cleared), PARLEY_ENOMEM. */
int parley_inbox_cursor_decode(const char *cursor, parley_inbox_key_t *k);
void parley_inbox_key_clear(parley_inbox_key_t *k);

/* Percent-decode a path segment (%2F, %3A...; '+' stays '+'): the length,
 * PARLEY_EINVAL for a bad escape or an encoded NUL, PARLEY_ENOBUFS when
 * out (len bytes with the NUL) is too small. */
int parley_url_decode(const char *in, char *out, size_t len);

/* The handlers, after the admin gate. */
void parley_router_inbox_request(parley_router_t *r, parley_httpd_req_t *req);
void parley_router_conversation_request(parley_router_t *r, parley_httpd_req_t *req);

#endif
