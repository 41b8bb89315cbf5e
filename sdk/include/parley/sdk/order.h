/* parley SDK — emit one poll's events oldest first.
 *
 * Platforms list newest first (Twitter mentions, search and dm_events, Meta
 * edges, TikTok comments, ...), and a walk of several pages reads the newest
 * page first. Emitted in that order, a conversation reaches the outputs
 * backwards: the brand's reply before the customer message it answers, so a
 * store sees an answered conversation open. A poll source therefore holds
 * what its walk found and emits it when the walk is complete:
 *
 *   parley_sdk_order_init(&o, emit_fn, data, 1);   // once
 *   for each page, for each new item: parley_sdk_order_add(&o, mapped event);
 *   walk complete:  parley_sdk_order_flush(&o);    // oldest first
 *                   host->checkpoint_set(...);     // same loop turn
 *   walk failed:    parley_sdk_order_flush(&o);    // the checkpoint stays
 *   stopping:       parley_sdk_order_clear(&o);    // the restart re-reads
 *
 * The guarantee: within one poll, events are emitted in ascending created_at;
 * equal times keep the platform's order reversed when it lists newest first
 * (newest_first = 1), else as listed; events without a created_at (0) come
 * first. Across polls, each poll's events follow the previous poll's.
 *
 * Exactly-once is kept: the flush and the checkpoint run in one loop turn,
 * so the core commits a walk's events and its checkpoint in one journal
 * transaction. A failed walk still emits what it read (oldest first: a
 * page that keeps failing must not hold back the pages before it) without
 * moving the checkpoint; the next poll re-reads from the same checkpoint and
 * the core's dedup (by event id) drops what was already journaled. The
 * cost: a walk's events wait for its last page (bound it with the walk's
 * max_pages), and are held in memory until then.
 *
 * Order across sources (two connectors, webhooks) is not guaranteed; the
 * sqlite conversation store compares created_at for that (docs/outputs.md).
 */
#ifndef PARLEY_SDK_ORDER_H
#define PARLEY_SDK_ORDER_H

#include <stddef.h>
#include <stdint.h>

#include "parley/event.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Emit one event: takes ownership of ev (as host->emit does). */
typedef void (*parley_sdk_order_emit_fn)(parley_event_t *ev, void *data);

typedef struct parley_sdk_order_item {
  parley_event_t *ev;
  int64_t created_ms; /* parley_event_created_at, read when added */
  size_t seq;         /* order of adding, for ties */
} parley_sdk_order_item_t;

/* Caller-owned; the fields are private. */
typedef struct parley_sdk_order {
  parley_sdk_order_emit_fn emit;
  void *data;
  int newest_first;
  parley_sdk_order_item_t *items;
  size_t n, cap;
  size_t emitted_unordered; /* adds that could not be held (out of memory) */
} parley_sdk_order_t;

/* Set up an empty order. emit receives every event at flush; newest_first:
 * the platform lists the newest item first (ties then reverse). */
void parley_sdk_order_init(parley_sdk_order_t *o, parley_sdk_order_emit_fn emit, void *data,
                           int newest_first);

/* Hold ev (ownership passes to the order). When memory runs out the event is
 * emitted at once rather than lost (counted in emitted_unordered); returns 0
 * either way. ev NULL: PARLEY_EINVAL. */
int parley_sdk_order_add(parley_sdk_order_t *o, parley_event_t *ev);

/* Events held, not yet emitted. */
size_t parley_sdk_order_count(const parley_sdk_order_t *o);

/* Emit everything held, oldest first (see above), and empty the order.
 * Returns the number of events emitted. emit may not add to this order. */
size_t parley_sdk_order_flush(parley_sdk_order_t *o);

/* Drop (free) everything held, emitting nothing; the order stays usable.
 * Call it when a walk fails, and before the order's memory goes away. */
void parley_sdk_order_clear(parley_sdk_order_t *o);

#ifdef __cplusplus
}
#endif
#endif
