/* parley SDK — pagination helpers.
 *
 * 1. Id comparison. Platform ids are 64-bit integers sent as decimal strings
 *    (Twitter: "1790000000000000042", beyond 2^53, so a double corrupts
 *    them). parley_sdk_id_cmp compares them as numbers without converting:
 *    leading zeros ignored, then the longer string is larger, then
 *    lexicographic order.
 *
 * 2. Next-page extraction for each platform's paging shape: Twitter
 *    meta.next_token, Meta paging.cursors.after (only when paging.next is
 *    present: its absence is the stop signal), TikTok data.cursor + has_more,
 *    LinkedIn offset paging (start/count).
 *
 * 3. A checkpoint walk: the state machine a poller drives to fetch
 *    everything new since the last checkpoint, newest first:
 *
 *      parley_sdk_walk_begin(&w, saved_checkpoint);   // "" when none
 *      for each page (first page: no cursor, then parley_sdk_walk_cursor(&w)):
 *        for each item, newest first:
 *          if (parley_sdk_walk_item(&w, id) == PARLEY_SDK_WALK_NEW) hold it;
 *          else break;                                  // reached the checkpoint
 *        if (!parley_sdk_walk_page(&w, next_token)) break;
 *      emit what was held, oldest first (parley_sdk_order_flush, order.h);
 *      parley_sdk_walk_checkpoint(&w) -> the new checkpoint, to store with
 *      host->checkpoint_set in the same commit as the emitted events.
 *
 *    The walk reads newest first because that is how platforms list; the
 *    events go out oldest first, the order of a conversation (order.h has
 *    the guarantee and the failure rules).
 *
 *    The checkpoint only moves once the whole walk is done, so a crash mid-
 *    walk re-fetches (and the core's dedup drops) rather than skipping items.
 *    Keys are ids, or, for platforms without ordered ids (Meta), epoch
 *    milliseconds written in decimal, with `inclusive` set (items at exactly
 *    the checkpoint time are re-read; the core deduplicates by event id).
 */
#ifndef PARLEY_SDK_PAGING_H
#define PARLEY_SDK_PAGING_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when s is a non-empty string of decimal digits. */
int parley_sdk_id_valid(const char *s);
/* <0, 0, >0 as a is numerically less than, equal to, greater than b.
 * Invalid ids (NULL, empty, non-digits) sort before every valid id and
 * equal to each other. */
int parley_sdk_id_cmp(const char *a, const char *b);

/* Next-page tokens. Each copies the token into buf and returns its length,
 * or 0 when there is no further page, or PARLEY_ENOBUFS. */
int parley_sdk_page_twitter_next(const json_t *resp, char *buf, size_t buflen);
int parley_sdk_page_meta_next(const json_t *resp, char *buf, size_t buflen);
int parley_sdk_page_tiktok_next(const json_t *resp, char *buf, size_t buflen);
/* LinkedIn: the next `start`, or -1 when this was the last page (elements
 * shorter than count, empty, or start + count >= paging.total). */
int64_t parley_sdk_page_linkedin_next(const json_t *resp, int64_t start, int64_t count);

/* Longest id or decimal time key, and longest cursor, kept by a walk. */
#define PARLEY_SDK_ID_MAX 64
#define PARLEY_SDK_CURSOR_MAX 1024

typedef enum {
  PARLEY_SDK_WALK_NEW = 1, /* newer than the checkpoint: process it */
  PARLEY_SDK_WALK_OLD = 0, /* at or before the checkpoint: the walk is done */
} parley_sdk_walk_verdict_t;

typedef struct parley_sdk_walk {
  char checkpoint[PARLEY_SDK_ID_MAX]; /* where the last walk ended, "" none */
  char newest[PARLEY_SDK_ID_MAX];     /* highest key seen in this walk */
  char cursor[PARLEY_SDK_CURSOR_MAX]; /* token for the next page, "" none */
  size_t pages;     /* pages finished in this walk */
  size_t items;     /* new items seen in this walk */
  size_t max_pages; /* stop after this many pages (0: no limit) */
  int inclusive;    /* 1: keys equal to the checkpoint count as new */
  int reached;      /* the checkpoint was reached */
} parley_sdk_walk_t;

/* Start a walk from checkpoint (NULL or "" for the first run: then only the
 * first page is read, so a new connector does not crawl the whole history).
 * max_pages and inclusive are kept from the previous walk; set them after
 * the first memset/begin. */
void parley_sdk_walk_begin(parley_sdk_walk_t *w, const char *checkpoint);
/* Judge one item (newest first). An invalid key is treated as new. */
parley_sdk_walk_verdict_t parley_sdk_walk_item(parley_sdk_walk_t *w, const char *key);
/* A page is done; next is its next-page token (NULL or "" when none).
 * Returns 1 when another page should be fetched, else 0. A token longer
 * than PARLEY_SDK_CURSOR_MAX - 1 ends the walk (returns 0). */
int parley_sdk_walk_page(parley_sdk_walk_t *w, const char *next);
/* The cursor to fetch the next page with ("" on the first page). */
const char *parley_sdk_walk_cursor(const parley_sdk_walk_t *w);
/* The checkpoint to commit after the walk: the higher of the old one and
 * the newest key seen. */
const char *parley_sdk_walk_checkpoint(const parley_sdk_walk_t *w);

#ifdef __cplusplus
}
#endif
#endif
