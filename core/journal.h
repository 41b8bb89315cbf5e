/* parley core — the journal: SQLite in WAL mode holding every accepted
 * event, each connector instance's checkpoints, each output's delivery
 * cursor and the outcome of every action by idempotency key.
 *
 * One commit = one transaction: a batch of events together with the
 * checkpoints staged with them, so a crash never separates a page of events
 * from its cursor. Events are deduplicated by id here. All calls are
 * synchronous and made from the loop thread; callers batch to keep the
 * number of transactions low. Internal. */
#ifndef PARLEY_CORE_JOURNAL_H
#define PARLEY_CORE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "parley/error.h"

typedef struct parley_journal parley_journal_t;

typedef struct parley_journal_entry {
  const char *id;            /* event id, the dedup key */
  const char *instance;      /* connector instance name */
  const char *conversation;  /* may be NULL */
  const char *json;          /* the encoded event */
  size_t json_len;
  /* filled by commit: */
  int duplicate;             /* 1 if the id was already in the journal */
  int64_t seq;               /* sequence number assigned (0 for duplicates) */
  int64_t received_ms;       /* the commit time stored with it (ms since the epoch) */
} parley_journal_entry_t;

typedef struct parley_journal_checkpoint {
  const char *instance;
  const char *key;
  const char *value;
} parley_journal_checkpoint_t;

/* Open or create the journal at path (WAL, schema created or migrated).
 * Errors name the path and SQLite's message. */
int parley_journal_open(parley_journal_t **out, const char *path, parley_error_t *err);
void parley_journal_close(parley_journal_t *j); /* NULL is fine */

/* Commit events and checkpoints in one transaction. On success each entry's
 * duplicate/seq is filled. On failure nothing is committed (PARLEY_EIO). */
int parley_journal_commit(parley_journal_t *j, parley_journal_entry_t *entries, size_t n,
                          const parley_journal_checkpoint_t *cps, size_t ncp,
                          parley_error_t *err);

/* Latest committed checkpoint; *value is malloc'd (caller frees) or
 * PARLEY_ENOENT. */
int parley_journal_checkpoint_get(parley_journal_t *j, const char *instance,
                                  const char *key, char **value);

/* Read events with seq > after, in seq order, at most limit; cb is called per
 * event (json valid during the call); a non-zero return from cb stops. */
typedef int (*parley_journal_read_cb)(int64_t seq, const char *id, const char *json,
                                      size_t len, void *data);
int parley_journal_read(parley_journal_t *j, int64_t after, size_t limit,
                        parley_journal_read_cb cb, void *data);
/* Highest seq assigned so far (0 when empty). */
int64_t parley_journal_last_seq(parley_journal_t *j);
/* Lowest seq still in the journal (its row, maybe without body after
 * retention; 0 when empty). PARLEY_EIO (negative) on failure. */
int64_t parley_journal_first_seq(parley_journal_t *j);

/* Per-output delivery cursor: every event with seq <= cursor was delivered. */
int parley_journal_cursor_get(parley_journal_t *j, const char *output, int64_t *seq);
int parley_journal_cursor_set(parley_journal_t *j, const char *output, int64_t seq);

/* Actions by idempotency key: begin() returns 0 when the key is new (and
 * records it as pending), PARLEY_EDUP with *result_json (malloc'd, may be
 * NULL while still pending) when it was seen before. finish() stores the
 * result JSON. */
int parley_journal_action_begin(parley_journal_t *j, const char *key, const char *instance,
                                char **result_json);
int parley_journal_action_finish(parley_journal_t *j, const char *key, const char *result_json);

/* Retention, in two steps so that dedup outlives the event bodies
 * (docs/journal.md, "Retention"). Both work oldest first, on at most limit
 * events per call, so the caller can spread a large prune over many loop
 * turns; both stop at the first event received at or after before_ms.
 * - prune drops the body (json) of events delivered to every output
 *   (seq <= min_cursor) and received before before_ms. The row and its id
 *   stay: a later copy of the event is still a duplicate. Returns the
 *   number of bodies dropped (limit: call again, there may be more).
 * - forget deletes the rows whose body was pruned and that were received
 *   before before_ms; a later copy of one of those ids is accepted again.
 *   Returns the number deleted.
 * Both return PARLEY_EIO (negative) on failure, with errmsg set. */
int64_t parley_journal_prune(parley_journal_t *j, int64_t min_cursor, int64_t before_ms,
                             size_t limit);
int64_t parley_journal_forget(parley_journal_t *j, int64_t before_ms, size_t limit);
/* Every event with seq <= this has had its body pruned (0: none). */
int64_t parley_journal_pruned_seq(parley_journal_t *j);

/* The size of every event with seq > after, in seq order, for a caller that
 * keeps running totals (the router's backlog, once at start): cb gets the
 * seq, received_ms and the bytes of the stored json (0 once pruned); a
 * non-zero return stops. Reads no event body. */
typedef int (*parley_journal_size_cb)(int64_t seq, int64_t received_ms, size_t bytes,
                                      void *data);
int parley_journal_sizes(parley_journal_t *j, int64_t after, parley_journal_size_cb cb,
                         void *data);

/* Number of events and approximate bytes in the journal. */
int parley_journal_stats(parley_journal_t *j, int64_t *events, int64_t *bytes);

/* Notes on the calls above (journal.c implements them; docs/journal.md has
 * the schema and the durability choices):
 * - open: PARLEY_ENOENT when the directory is missing, PARLEY_EPERM for a
 *   read-only location, PARLEY_ENOTSUP for a journal written by a newer
 *   schema, PARLEY_EIO otherwise ("...: file is not a database").
 * - commit: PARLEY_EINVAL (nothing committed) for an entry without id,
 *   instance or json; every entry's duplicate/seq is reset on failure.
 * - read: returns 0 also when cb stopped the read; json is NUL-terminated;
 *   an event whose body was pruned comes with json "" and len 0;
 *   cb must not call back into the journal.
 * - last_seq: PARLEY_EIO (negative) on failure.
 * - cursor_get: PARLEY_ENOENT and *seq = 0 for an output never set.
 * - action_finish: PARLEY_ENOENT for a key that was never begun.
 * - stats: counts the events (a scan: call it for metrics, not per event);
 *   bytes are the pages in use in the database. */

/* The last error of a call that takes no parley_error_t (checkpoint_get,
 * read, cursor_*, action_*, prune, forget, sizes, stats), naming the path and SQLite's
 * message; "" when none. Owned by j, valid until the next call. */
const char *parley_journal_errmsg(parley_journal_t *j);

/* The schema version this build writes; a journal with a newer one is
 * refused by open. */
#define PARLEY_JOURNAL_SCHEMA_VERSION 1

/* Internal to the journal component (journal_schema.c): create or migrate
 * the schema of an open database in one transaction. Errors name path. */
struct sqlite3;
int parley_journal_schema_migrate(struct sqlite3 *db, const char *path, parley_error_t *err);

#endif
