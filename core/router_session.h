/* parley core — browser sessions of the admin API (docs/auth.md): a login
 * with a token makes a session; its id travels in an HttpOnly cookie and
 * its CSRF token in a header on every state-changing request. Sessions live
 * in memory only: a restart logs everyone out. Pure logic, no I/O; times
 * are passed in so that tests need no clock. */
#ifndef PARLEY_ROUTER_SESSION_H
#define PARLEY_ROUTER_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define PARLEY_SESSION_ID_LEN 64   /* hex characters of an id or a CSRF token */

typedef struct parley_sessions parley_sessions_t;
typedef struct parley_session parley_session_t;

/* At most max sessions (the least recently used goes when a new one needs
 * its room), each expiring idle_ms after its last use. NULL: no memory. */
parley_sessions_t *parley_sessions_new(size_t max, int64_t idle_ms);
/* Wipes every id and token, then frees. NULL is a no-op. */
void parley_sessions_free(parley_sessions_t *s);

/* A new session for agent (copied; "admin" for the admin token). The
 * returned session belongs to s and stays valid until the next create,
 * drop or free. NULL: no memory or no randomness. */
const parley_session_t *parley_sessions_create(parley_sessions_t *s, const char *agent,
                                               int64_t now_ms);
/* The live session with this id, its idle time restarted; NULL when the id
 * is unknown, malformed or expired (an expired one is dropped). The
 * comparison does not depend on where the id first differs. */
const parley_session_t *parley_sessions_find(parley_sessions_t *s, const char *id,
                                             int64_t now_ms);
/* Forget the session with this id (no-op when unknown). */
void parley_sessions_drop(parley_sessions_t *s, const char *id);
size_t parley_sessions_count(const parley_sessions_t *s);

const char *parley_session_id(const parley_session_t *x);
const char *parley_session_agent(const parley_session_t *x);
const char *parley_session_csrf(const parley_session_t *x);

/* Fill hex with 2*n lowercase hex characters of n random bytes (getrandom)
 * and a NUL: hex holds 2*n+1. 0, or a negative error code. */
int parley_random_hex(char *hex, size_t n);

#endif
