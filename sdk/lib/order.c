/* parley SDK — one poll's events emitted oldest first (order.h). */
#include "parley/sdk/order.h"

#include <stdlib.h>

#include "parley/error.h"

void parley_sdk_order_init(parley_sdk_order_t *o, parley_sdk_order_emit_fn emit, void *data,
                           int newest_first) {
  o->emit = emit;
  o->data = data;
  o->newest_first = newest_first;
  o->items = NULL;
  o->n = o->cap = 0;
  o->emitted_unordered = 0;
}

static int grow(parley_sdk_order_t *o) {
  size_t cap = o->cap ? o->cap * 2 : 64;
  parley_sdk_order_item_t *items = cap > SIZE_MAX / sizeof *items
                                       ? NULL
                                       : realloc(o->items, cap * sizeof *items);
  if (!items)
    return PARLEY_ENOMEM;
  o->items = items;
  o->cap = cap;
  return 0;
}

int parley_sdk_order_add(parley_sdk_order_t *o, parley_event_t *ev) {
  if (!ev)
    return PARLEY_EINVAL;
  if (o->n == o->cap && grow(o) < 0) {
    /* Out of order beats lost: the journal still gets it exactly once. */
    o->emitted_unordered++;
    o->emit(ev, o->data);
    return 0;
  }
  o->items[o->n] = (parley_sdk_order_item_t){ev, parley_event_created_at(ev), o->n};
  o->n++;
  return 0;
}

size_t parley_sdk_order_count(const parley_sdk_order_t *o) { return o->n; }

/* Ascending time; ties by seq, descending when listed newest first. Both
 * keys together make qsort's result deterministic (qsort is not stable). */
static int cmp_oldest_first(const void *pa, const void *pb) {
  const parley_sdk_order_item_t *a = pa, *b = pb;
  if (a->created_ms != b->created_ms)
    return a->created_ms < b->created_ms ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq ? 1 : 0;
}

static int cmp_oldest_first_rev(const void *pa, const void *pb) {
  const parley_sdk_order_item_t *a = pa, *b = pb;
  if (a->created_ms != b->created_ms)
    return a->created_ms < b->created_ms ? -1 : 1;
  return a->seq > b->seq ? -1 : a->seq < b->seq ? 1 : 0;
}

size_t parley_sdk_order_flush(parley_sdk_order_t *o) {
  size_t n = o->n;
  if (n > 1)
    qsort(o->items, n, sizeof *o->items,
          o->newest_first ? cmp_oldest_first_rev : cmp_oldest_first);
  /* Detach first: emit owns each event from the call on. */
  parley_sdk_order_item_t *items = o->items;
  o->items = NULL;
  o->n = o->cap = 0;
  for (size_t i = 0; i < n; i++)
    o->emit(items[i].ev, o->data);
  free(items);
  return n;
}

void parley_sdk_order_clear(parley_sdk_order_t *o) {
  for (size_t i = 0; i < o->n; i++)
    parley_event_free(o->items[i].ev);
  free(o->items);
  o->items = NULL;
  o->n = o->cap = 0;
}
