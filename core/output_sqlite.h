/* parley core — the sqlite store's internals shared by output_sqlite.c
 * (events in, the core's actions) and output_sqlite_schema.c (schema v2,
 * the migration from v1). Internal. docs/outputs.md has the contract. */
#ifndef PARLEY_CORE_OUTPUT_SQLITE_H
#define PARLEY_CORE_OUTPUT_SQLITE_H

#include <stddef.h>

#include <sqlite3.h>

/* PRAGMA user_version of the schema this build writes. */
#define PARLEY_STORE_SCHEMA_VERSION 2

/* A conversation's status; NONE: no row yet. */
typedef enum {
  PARLEY_CONV_NONE = 0,
  PARLEY_CONV_OPEN,
  PARLEY_CONV_ANSWERED,
  PARLEY_CONV_RESOLVED,
} parley_conv_status_t;

/* "open", "answered", "resolved" (v1's "closed" reads as resolved); NULL or
 * anything else is NONE. */
parley_conv_status_t parley_conv_status_parse(const char *s);
const char *parley_conv_status_name(parley_conv_status_t s); /* NULL for NONE */

/* Longest created_at a state keeps (RFC 3339 UTC, as the events carry it). */
#define PARLEY_CONV_TIME_MAX 48

typedef struct parley_conv_state {
  parley_conv_status_t status;
  int had_inbound; /* a customer message was ever stored (first_inbound_at) */
  /* The newest created_at of the customer's and the brand's messages so far
   * (last_inbound_at, last_outbound_at), "" none; parley_conv_step keeps them. */
  char last_in[PARLEY_CONV_TIME_MAX];
  char last_out[PARLEY_CONV_TIME_MAX];
} parley_conv_state_t;

/* Load a stored time into last_in or last_out (NULL or too long: ""). */
void parley_conv_state_time(char dst[PARLEY_CONV_TIME_MAX], const char *t);

/* The state change one new message makes (the live store and the v1
 * migration share it, so a migrated history reads like a live one): the
 * conversation_events type "opened", "answered" or "reopened", or NULL when
 * the status stays. *from gets the status before. created_at (may be NULL:
 * then arrival order alone decides) makes it robust to messages arriving out
 * of order (webhooks, two connectors): a customer message older than the
 * brand's last answer does not reopen an answered conversation (that answer
 * came after it), and an answer older than the customer's last message does
 * not mark an open one answered (that message is still waiting). */
const char *parley_conv_step(parley_conv_state_t *c, int outbound, const char *created_at,
                             parley_conv_status_t *from);

/* The later of two ISO-8601 UTC times of the same format (they sort as
 * text); either may be NULL. A message's event is stamped with its
 * created_at, but never before the conversation's last status change, so
 * that one conversation's events are in order even when a late message
 * arrives after a newer one. */
const char *parley_conv_later(const char *a, const char *b);

/* A change the store committed, for a watcher (the router's /v1/stream). */
typedef enum {
  PARLEY_STORE_MESSAGE = 1, /* a new message row */
  PARLEY_STORE_CONVERSATION, /* a conversation's status or assignee changed */
} parley_store_change_type_t;

typedef struct parley_store_change {
  parley_store_change_type_t type;
  const char *conversation_id;
  const char *message_id;  /* MESSAGE */
  const char *platform;    /* MESSAGE */
  const char *direction;   /* MESSAGE: "in" or "out" */
  const char *status;      /* CONVERSATION: the store's status name */
  const char *assigned_to; /* CONVERSATION: NULL when nobody */
} parley_store_change_t;

/* Called on the loop right after the transaction that made the changes
 * committed (never for one that rolled back), once per change in the order
 * they were made; the strings live for the call only. */
typedef void (*parley_store_watch_cb)(const parley_store_change_t *c, void *data);

/* Watch the store of a sqlite output; state is that output's state (the
 * struct stays private). One watcher per store; cb NULL stops watching. */
void parley_output_sqlite_watch(void *state, parley_store_watch_cb cb, void *data);

/* Bring the store to schema v2 in one transaction: create it when the file
 * is new, migrate a v1 store in place (status closed -> resolved, the new
 * columns and tables, conversation_events rebuilt from the stored
 * messages). A newer schema is refused. *was gets the version found (0: a
 * new file). Returns 0 or an SQLite code, with a message in msg. */
int parley_sqlite_schema_ensure(sqlite3 *db, int *was, char *msg, size_t msglen);

#endif
