/* bench_hello_h2o — the ceiling of the webhook-ingest benchmark.
 *
 * The smallest HTTP server parleyd's own stack allows: h2o 2.2 (Debian's
 * libuv build) on one uv loop, HTTP/1.1 keep-alive, answering every request
 * (any method, any path; a POST body is read by h2o and ignored) with
 * "200 EVENT_RECEIVED", the answer parleyd's Facebook connector gives.
 * No signature check, no journal: whatever parleyd does on top of this is
 * its cost. bench_ingest.py runs it next to parleyd in the same run.
 *
 *   bench_hello_h2o [PORT]    (0 or none: a free port)
 *
 * Prints "listening on 127.0.0.1:PORT" on stdout once it accepts; stops on
 * SIGTERM or SIGINT. */
#include <h2o.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

static h2o_globalconf_t hello_conf;
static h2o_context_t hello_ctx;
static h2o_accept_ctx_t hello_accept;
static uv_tcp_t hello_listener;
static uv_signal_t hello_term, hello_int;

static int hello_on_req(h2o_handler_t *self, h2o_req_t *req) {
  req->res.status = 200;
  req->res.reason = "OK";
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                 H2O_STRLIT("text/plain; charset=utf-8"));
  req->res.content_length = sizeof "EVENT_RECEIVED" - 1; /* as parleyd: not chunked */
  h2o_send_inline(req, H2O_STRLIT("EVENT_RECEIVED"));     /* starts the response too */
  return 0;
}

static void hello_on_close(uv_handle_t *h) { free(h); }

static void hello_on_connection(uv_stream_t *listener, int status) {
  uv_tcp_t *conn;
  h2o_socket_t *sock;

  if (status != 0 || !(conn = malloc(sizeof *conn)))
    return;
  uv_tcp_init(listener->loop, conn);
  if (uv_accept(listener, (uv_stream_t *)conn) != 0) {
    uv_close((uv_handle_t *)conn, hello_on_close);
    return;
  }
  /* h2o owns the handle from here and closes it through hello_on_close */
  sock = h2o_uv_socket_create((uv_stream_t *)conn, hello_on_close);
  h2o_accept(&hello_accept, sock);
}

static void hello_on_signal(uv_signal_t *s, int signum) { uv_stop(s->loop); }

static int hello_listen(uv_loop_t *loop, int port) {
  struct sockaddr_in addr;
  struct sockaddr_storage bound;
  int len = sizeof bound;
  int rc;

  uv_tcp_init(loop, &hello_listener);
  uv_ip4_addr("127.0.0.1", port, &addr);
  if ((rc = uv_tcp_bind(&hello_listener, (struct sockaddr *)&addr, 0)) != 0 ||
      (rc = uv_listen((uv_stream_t *)&hello_listener, 1024, hello_on_connection)) != 0 ||
      (rc = uv_tcp_getsockname(&hello_listener, (struct sockaddr *)&bound, &len)) != 0) {
    fprintf(stderr, "bench_hello_h2o: 127.0.0.1:%d: %s\n", port, uv_strerror(rc));
    return -1;
  }
  return ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

int main(int argc, char **argv) {
  uv_loop_t *loop = uv_default_loop();
  h2o_hostconf_t *host;
  h2o_pathconf_t *path;
  h2o_handler_t *handler;
  int port;

  if (argc > 2 || (argc == 2 && (atoi(argv[1]) < 0 || atoi(argv[1]) > 65535))) {
    fprintf(stderr, "usage: bench_hello_h2o [PORT]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  h2o_config_init(&hello_conf);
  hello_conf.http1.upgrade_to_http2 = 0;
  host = h2o_config_register_host(&hello_conf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  path = h2o_config_register_path(host, "/", 0);
  handler = h2o_create_handler(path, sizeof *handler);
  handler->on_req = hello_on_req;
  h2o_context_init(&hello_ctx, loop, &hello_conf);
  hello_accept.ctx = &hello_ctx;
  hello_accept.hosts = hello_conf.hosts;
  if ((port = hello_listen(loop, argc == 2 ? atoi(argv[1]) : 0)) < 0)
    return 1;
  uv_signal_init(loop, &hello_term);
  uv_signal_start(&hello_term, hello_on_signal, SIGTERM);
  uv_signal_init(loop, &hello_int);
  uv_signal_start(&hello_int, hello_on_signal, SIGINT);
  printf("listening on 127.0.0.1:%d\n", port);
  fflush(stdout);
  uv_run(loop, UV_RUN_DEFAULT);
  return 0;
}
