/* parleyctl — the command-line client of parleyd's admin API
 * (docs/parleyctl.md). Internal header shared by its files; one file per
 * concept: args.c (option parsing), token.c (where the token comes from),
 * http.c (libcurl requests and the SSE stream), sse.c (the stream's
 * parser), table.c (text tables), action_build.c (parley.action.v1 from
 * the command line), and one cmd_*.c per command group. */
#ifndef PARLEY_CTL_H
#define PARLEY_CTL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Exit codes (documented in parleyctl(1)). */
#define PARLEY_CTL_OK 0
#define PARLEY_CTL_EAPI 1      /* the server answered an error, or the request failed */
#define PARLEY_CTL_EUSAGE 2    /* bad command line, unreadable token file */
#define PARLEY_CTL_ECONNECT 3  /* the server could not be reached */

#define PARLEY_CTL_DEFAULT_URL "http://127.0.0.1:8080" /* parleyd's default listen */
#define PARLEY_CTL_DEFAULT_STATE_DIR "/var/lib/parley"

/* ---- args.c: long options anywhere on the line ---- */

typedef struct parley_ctl_opt {
  const char *name;  /* without the leading "--" */
  int has_arg;       /* 1: --name VALUE or --name=VALUE; 0: a flag */
} parley_ctl_opt_t;

#define PARLEY_CTL_MAX_OPTS 32
#define PARLEY_CTL_MAX_POS 16

typedef struct parley_ctl_args {
  const char *value[PARLEY_CTL_MAX_OPTS]; /* by index in the spec; "1" for a set flag */
  const char *pos[PARLEY_CTL_MAX_POS];    /* positional arguments, in order */
  size_t npos;
} parley_ctl_args_t;

/* Parse argv[0..argc) against spec (n options): "--" ends the options,
 * "-" alone and anything not starting with "--" is positional. With
 * stop_at_positional, parsing stops at the first positional argument and
 * *used tells how many arguments were consumed (for the global options
 * before the command). Returns 0, or -1 with a message in err ("unknown
 * option --frm", "--from needs a value"). Pointers point into argv. */
int parley_ctl_args_parse(const parley_ctl_opt_t *spec, size_t n, int argc, char **argv,
                          int stop_at_positional, int *used, parley_ctl_args_t *out, char *err,
                          size_t errlen);
/* The value of option name in a (NULL when not given). */
const char *parley_ctl_arg(const parley_ctl_opt_t *spec, size_t n, const parley_ctl_args_t *a,
                           const char *name);
/* A journal seq from text: a decimal integer >= 1. 0 or -1. */
int parley_ctl_parse_seq(const char *s, int64_t *out);

/* ---- the client: what every command gets ---- */

typedef struct parley_ctl {
  const char *url;      /* base URL without a trailing '/' (owned by url_buf) */
  char url_buf[1024];
  char *token;          /* NULL: no token found; never printed */
  const char *token_from; /* where it came from, for messages ("--token-file x") */
  int json;             /* --json */
} parley_ctl_t;

/* ---- token.c ---- */

/* The admin token, in this order: token_file (--token-file, must be
 * readable), env PARLEY_ADMIN_TOKEN, <state_dir>/admin_token (skipped when
 * missing). Trailing whitespace is dropped. Sets ctl->token (malloc'd, or
 * NULL when none found) and ctl->token_from. Returns PARLEY_CTL_OK or
 * PARLEY_CTL_EUSAGE with a message on stderr that names the file. */
int parley_ctl_token_load(parley_ctl_t *ctl, const char *token_file, const char *state_dir);
void parley_ctl_token_free(parley_ctl_t *ctl);

/* ---- http.c ---- */

typedef struct parley_ctl_response {
  long status;  /* HTTP status */
  char *body;   /* NUL-terminated, malloc'd */
  size_t len;
} parley_ctl_response_t;

/* One request to ctl->url + path with the token as a Bearer header; body
 * is JSON or NULL. Returns PARLEY_CTL_OK when the server answered (any
 * status: see parley_ctl_check), PARLEY_CTL_ECONNECT when it could not be
 * reached, PARLEY_CTL_EUSAGE for a malformed URL, PARLEY_CTL_EAPI for
 * other transfer errors; the message is printed on stderr. */
int parley_ctl_request(parley_ctl_t *ctl, const char *method, const char *path,
                       const char *body, parley_ctl_response_t *res);
/* PARLEY_CTL_OK for a 2xx; else prints "METHOD URL: HTTP 401: <the
 * server's error>" on stderr and returns PARLEY_CTL_EAPI. */
int parley_ctl_check(const parley_ctl_t *ctl, const char *method, const char *path,
                     const parley_ctl_response_t *res);
void parley_ctl_response_free(parley_ctl_response_t *res);
/* GET path and parse the 2xx answer as JSON into *out (caller decrefs). */
int parley_ctl_get_json(parley_ctl_t *ctl, const char *path, json_t **out);
/* The server's error text of an answer: "PARLEY_EINVAL: from: ..." from a
 * JSON {"error","message"} body, else the body's first line (malloc'd). */
char *parley_ctl_error_text(const char *body, size_t len);

/* Follow a text/event-stream at path until the server closes it, on_event
 * returns non-zero or SIGINT/SIGTERM arrives (then PARLEY_CTL_OK).
 * last_id (NULL: none) goes out as Last-Event-ID. *resumable is set to 1
 * when the failure is one a reconnect may cure (the server could not be
 * reached, or it ended the stream), 0 for an error answer (401, 400, ...). */
typedef struct parley_ctl_sse_event parley_ctl_sse_event_t;
typedef int (*parley_ctl_event_cb)(const parley_ctl_sse_event_t *ev, void *data);
int parley_ctl_stream(parley_ctl_t *ctl, const char *path, const char *last_id,
                      int *resumable, parley_ctl_event_cb on_event, void *data);
/* Sleep ms, or less when SIGINT/SIGTERM arrived during a stream or the
 * sleep; 1 when one did (the caller stops). */
int parley_ctl_stream_pause(unsigned ms);
/* Percent-encode s for a query parameter (malloc'd, NULL: no memory). */
char *parley_ctl_urlencode(const char *s);

/* ---- sse.c: the text/event-stream format (WHATWG HTML, server-sent events) ---- */

struct parley_ctl_sse_event {
  const char *id;    /* "" when none */
  const char *event; /* "message" when none */
  const char *data;  /* data lines joined by '\n' */
};

typedef struct parley_ctl_sse {
  char *line; size_t nline, capline;  /* the incomplete line */
  char *data; size_t ndata, capdata;
  char id[128], event[64];
  int cr;                              /* the last byte was '\r' */
} parley_ctl_sse_t;

/* Feed bytes as they arrive; on_event per complete event (blank line).
 * Comment lines (": keepalive") are ignored. Returns 0, the callback's
 * non-zero value, or -1 when out of memory. */
int parley_ctl_sse_feed(parley_ctl_sse_t *p, const char *buf, size_t len,
                        parley_ctl_event_cb on_event, void *data);
void parley_ctl_sse_free(parley_ctl_sse_t *p);

/* ---- table.c: aligned text columns ---- */

typedef struct parley_ctl_table {
  size_t ncols, nrows, cap;
  char **cells;  /* nrows * ncols, row-major, malloc'd */
} parley_ctl_table_t;

void parley_ctl_table_init(parley_ctl_table_t *t, size_t ncols);
/* Add a row of ncols cells (copied; NULL prints as "-"). */
int parley_ctl_table_row(parley_ctl_table_t *t, const char *const *cells);
/* Print with two spaces between columns, the last one not padded. */
void parley_ctl_table_print(const parley_ctl_table_t *t);
void parley_ctl_table_free(parley_ctl_table_t *t);

/* ---- action_build.c ---- */

typedef struct parley_ctl_action_in {
  const char *command;       /* reply, dm, hide, resolve, assign */
  const char *target, *text, *conversation, *recipient;
  const char *connector, *platform, *account;
  const char *agent, *assign_to, *key;
  int private_reply;         /* reply --private: reply_private */
  int undo;                  /* hide --undo: unhide */
} parley_ctl_action_in_t;

/* The parley.action.v1 document for in (docs/action.schema.json), into
 * *out (caller decrefs). in->key must be set (see parley_ctl_key_new).
 * Returns 0 or -1 with a message in err naming the missing or bad part. */
int parley_ctl_action_build(const parley_ctl_action_in_t *in, json_t **out, char *err,
                            size_t errlen);
/* The platform an action is about: the prefix before ':' of its target,
 * else of its conversation id, into buf. 0, or -1 when neither has one. */
int parley_ctl_action_platform(const parley_ctl_action_in_t *in, char *buf, size_t len);
/* Whether the action's type is performed by a connector (not assign or
 * resolve, which the core does on its store). */
int parley_ctl_action_needs_connector(const parley_ctl_action_in_t *in);
/* A fresh idempotency key "ctl-<32 hex digits>" from the system's random
 * source into buf (at least 37 bytes). 0 or -1. */
int parley_ctl_key_new(char *buf, size_t len);

/* ---- the commands (cmd_*.c) ---- */

typedef struct parley_ctl_command {
  const char *name;
  const parley_ctl_opt_t *opts;  /* the command's own options */
  size_t nopts;
  size_t min_pos, max_pos;       /* positional arguments after the name */
  const char *usage;             /* "reply TARGET TEXT [--private] ..." */
  int (*run)(parley_ctl_t *ctl, const parley_ctl_opt_t *spec, size_t n,
             const parley_ctl_args_t *a);
} parley_ctl_command_t;

extern const parley_ctl_command_t parley_ctl_cmd_status;   /* cmd_status.c */
extern const parley_ctl_command_t parley_ctl_cmd_tail;     /* cmd_tail.c */
extern const parley_ctl_command_t parley_ctl_cmd_reply;    /* cmd_action.c */
extern const parley_ctl_command_t parley_ctl_cmd_dm;
extern const parley_ctl_command_t parley_ctl_cmd_hide;
extern const parley_ctl_command_t parley_ctl_cmd_resolve;
extern const parley_ctl_command_t parley_ctl_cmd_assign;
extern const parley_ctl_command_t parley_ctl_cmd_replay;   /* cmd_journal.c */
extern const parley_ctl_command_t parley_ctl_cmd_journal;

/* Print "parleyctl: <message>" on stderr (printf-style). */
void parley_ctl_err(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif
