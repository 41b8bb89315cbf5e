"""The admin API is closed by default (docs/auth.md): without a configured
router.admin_token parleyd makes one in its state directory on first start
(mode 0600, its path logged, never the token) and reads it back on the next;
requests need it as a Bearer token, or a browser session made by POST
/v1/login, whose cookie is HttpOnly and SameSite=Strict and whose
state-changing requests must carry the session's X-Parley-CSRF token.
router.agents give each agent a token of its own, and what that agent asks
is recorded under its name. admin_auth: none is refused off loopback.
Wrong tokens are limited per client address (router.auth_limit): after a few
the address gets 429 with Retry-After, whatever token it brings, for a lockout
that doubles with each further wrong one; a right token forgets the address.
The real parleyd, the test connector and a real SQLite store."""
import json
import os
import sqlite3
import stat
import socket
import time

import pytest

from parley_it import (Parleyd, free_port, http, metric_value, raw_http, run_parleyd,
                       wait_until, TEST_PLUGIN_DIR)

AGENT_TOKEN = "mia-token-0123456789abcdef"


def config(tmp, port, router_opts="", listen=None):
    return f"""router:
  listen: {listen or f'127.0.0.1:{port}'}
  plugin_dir: {TEST_PLUGIN_DIR}
  journal: {tmp}/parley.journal
{router_opts}
connectors:
  - name: tc1
    plugin: testconn
    options: {{account: acme, count: 0, token: s3cret-token}}
outputs:
  - name: store
    type: sqlite
    options: {{path: {tmp}/store.db}}
routes:
  - outputs: store
"""


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


def start(tmp, router_opts=""):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    return Parleyd(config(tmp, port, router_opts), tmpdir=tmp).start(base), base


def login(base, token):
    s, h, body = http("POST", f"{base}/v1/login", json.dumps({"token": token}), admin=False)
    return s, h, json.loads(body)


def cookie_of(headers):
    return headers["set-cookie"].split(";")[0]


def reply_action(key, **extra):
    return json.dumps({"schema": "parley.action.v1", "idempotency_key": key,
                       "type": "reply_public", "connector": "tc1", "conversation_id": "conv-1",
                       "target": "test:m-1", "text": "Sorry! We kijken ernaar.", **extra})


def test_without_a_configured_token_one_is_made_in_the_state_dir_and_kept(tmp):
    d, base = start(tmp)
    path = os.path.join(tmp, "admin_token")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode == 0o600, oct(mode)
    token = open(path).read().strip()
    assert len(token) == 64 and int(token, 16) >= 0
    assert f"admin token written to {path}" in d.logs()

    s, h, body = http("GET", f"{base}/v1/status", admin=False)
    assert s == 401 and h["www-authenticate"].startswith("Bearer")
    assert http("GET", f"{base}/v1/status", headers={"Authorization": "Bearer nope"})[0] == 401
    assert http("GET", f"{base}/v1/status",
                headers={"Authorization": f"Bearer {token}"})[0] == 200
    # what needs no token: health checks and the platforms' signed webhooks
    assert http("GET", f"{base}/healthz", admin=False)[0] == 200
    ev = {"schema": "parley.event.v1", "id": "test:m-1", "platform": "test", "connector": "x",
          "account": "acme", "kind": "mention", "visibility": "public", "text": "hallo",
          "conversation_id": "conv-1", "created_at": "2026-12-01T10:00:00.000Z",
          "received_at": "2026-12-01T10:00:00.000Z", "author": {"id": "42"}}
    assert http("POST", f"{base}/hooks/tc1", json.dumps(ev),
                {"X-Test-Token": "s3cret-token"}, admin=False)[0] == 200
    assert d.stop() == 0
    assert token not in d.logs()

    # the next start reads the same token
    d, base = start(tmp)
    assert f"admin token read from {path}" in d.logs()
    assert http("GET", f"{base}/v1/status",
                headers={"Authorization": f"Bearer {token}"})[0] == 200
    assert d.stop() == 0
    assert open(path).read().strip() == token


def test_a_token_file_others_may_read_is_refused(tmp):
    path = os.path.join(tmp, "admin_token")
    with open(path, "w") as f:
        f.write("0123456789abcdef0123456789abcdef\n")
    os.chmod(path, 0o644)
    port = free_port()
    p = Parleyd(config(tmp, port), tmpdir=tmp).start()
    p.proc.wait(20)
    assert p.proc.returncode != 0
    assert f"admin token {path}: group or others may read it (mode 644)" in p.logs()
    assert "0123456789abcdef" not in p.logs()
    p.stop()


def test_admin_auth_none_serves_loopback_only(tmp):
    d, base = start(tmp, "  admin_auth: none")
    assert http("GET", f"{base}/v1/status", admin=False)[0] == 200
    assert not os.path.exists(os.path.join(tmp, "admin_token"))
    assert "takes no token" in d.logs()
    assert d.stop() == 0

    port = free_port()
    p = Parleyd(config(tmp, port, "  admin_auth: none", listen=f"0.0.0.0:{port}"),
                tmpdir=tmp).start()
    p.proc.wait(20)
    assert p.proc.returncode != 0
    assert (f"router.admin_auth: none is refused with listen 0.0.0.0:{port}"
            in p.logs()), p.logs()
    p.stop()


def test_a_login_makes_a_session_whose_changes_need_the_csrf_token(tmp):
    d, base = start(tmp, "  admin_token: the-admin-token-0123456789")
    s, _, body = login(base, "wrong-token")
    assert s == 401 and body["error"] == "login: wrong token"
    s, _, _ = http("POST", f"{base}/v1/login", "not json", admin=False)
    assert s == 400

    s, h, body = login(base, "the-admin-token-0123456789")
    assert s == 200 and body["agent"] == "admin" and len(body["csrf"]) == 64
    flags = [f.strip() for f in h["set-cookie"].split(";")]
    assert flags[0].startswith("parley_session=") and len(flags[0]) == len("parley_session=") + 64
    assert {"Path=/", "HttpOnly", "SameSite=Strict"} <= set(flags) and "Secure" not in flags
    cookie, csrf = cookie_of(h), body["csrf"]

    s, _, b = http("GET", f"{base}/v1/session", headers={"Cookie": cookie})
    assert s == 200 and json.loads(b) == {"agent": "admin", "csrf": csrf}
    assert http("GET", f"{base}/v1/status", headers={"Cookie": cookie})[0] == 200
    # a state-changing request by cookie alone, as a cross-site form would send it
    s, _, b = http("POST", f"{base}/v1/actions", reply_action("k-1"), {"Cookie": cookie})
    assert s == 403 and b"csrf" in b
    s, _, b = http("POST", f"{base}/v1/actions", reply_action("k-1"),
                   {"Cookie": cookie, "X-Parley-CSRF": "0" * 64})
    assert s == 403
    s, _, b = http("POST", f"{base}/v1/actions", reply_action("k-1"),
                   {"Cookie": cookie, "X-Parley-CSRF": csrf})
    assert s == 200 and json.loads(b)["status"] == "done", b

    s, h, _ = http("POST", f"{base}/v1/logout", "", {"Cookie": cookie, "X-Parley-CSRF": csrf})
    assert s == 204 and "Max-Age=0" in h["set-cookie"]
    assert http("GET", f"{base}/v1/session", headers={"Cookie": cookie})[0] == 401
    assert http("GET", f"{base}/v1/status", headers={"Cookie": cookie})[0] == 401
    assert d.stop() == 0
    assert "the-admin-token-0123456789" not in d.logs()


def test_an_agents_token_names_the_agent_of_its_replies(tmp):
    opts = f"  admin_token: the-admin-token-0123456789\n  secure_cookies: true\n" \
           f"  agents:\n    - {{name: mia, token: {AGENT_TOKEN}}}\n"
    d, base = start(tmp, opts)
    agent = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    s, _, b = http("POST", f"{base}/v1/actions", reply_action("k-mia"), agent)
    assert s == 200 and json.loads(b)["status"] == "done", b
    # an agent cannot reply in someone else's name
    s, _, b = http("POST", f"{base}/v1/actions", reply_action("k-2", agent="jonas"), agent)
    assert s == 400 and b"mia may not act as jonas" in b

    s, h, body = login(base, AGENT_TOKEN)
    assert s == 200 and body["agent"] == "mia" and "Secure" in h["set-cookie"]
    s, _, b = http("POST", f"{base}/v1/actions", reply_action("k-mia-2"),
                   {"Cookie": cookie_of(h), "X-Parley-CSRF": body["csrf"]})
    assert s == 200, b

    db = lambda: sqlite3.connect(f"{tmp}/store.db")
    wait_until(lambda: len(db().execute("SELECT 1 FROM messages WHERE direction = 'out'")
                           .fetchall()) == 2, what="both replies stored")
    assert d.stop() == 0
    agents = db().execute("SELECT id, agent FROM messages WHERE direction = 'out' ORDER BY id")
    assert agents.fetchall() == [("test:out-k-mia", "mia"), ("test:out-k-mia-2", "mia")]
    assert AGENT_TOKEN not in d.logs()


@pytest.mark.parametrize("agents, message", [
    ("    - {name: mia, token: short}", "agent mia needs a token of at least 16 characters"),
    ("    - {name: admin, token: 0123456789abcdefXX}", "not \"admin\""),
    (f"    - {{name: mia, token: {AGENT_TOKEN}}}\n    - {{name: mia, token: other-0123456789abc}}",
     "agent mia is listed twice"),
    (f"    - {{name: mia, token: {AGENT_TOKEN}}}\n    - {{name: jo, token: {AGENT_TOKEN}}}",
     "agent jo has the token of agent mia"),
    ("    - {name: mia, tokn: 0123456789abcdefXX}", "router.agents[0].tokn: unknown key"),
    ("    - {name: mia, token: the-admin-token-0123456789}", "agent mia has the admin token"),
])
def test_bad_agents_are_refused_at_start_by_name(tmp, agents, message):
    path = os.path.join(tmp, "parley.yaml")
    with open(path, "w") as f:
        f.write(config(tmp, free_port(),
                       f"  admin_token: the-admin-token-0123456789\n  agents:\n{agents}\n"))
    r = run_parleyd("--config", path)
    assert r.returncode != 0
    assert message in r.stderr, r.stderr
    assert AGENT_TOKEN not in r.stderr and "the-admin-token" not in r.stderr


ADMIN = "the-admin-token-0123456789"
WRONG = "wrong-token-guess-4711"
LIMITED = (f"  admin_token: {ADMIN}\n  agents:\n    - {{name: mia, token: {AGENT_TOKEN}}}\n"
           "  auth_limit: {failures: 3, window: 1m, max_lockout: 1m}\n")


def bearer(base, token, source="127.0.0.1", path="/v1/status"):
    """GET path with token as Bearer, on a connection from source (any
    127.x.y.z is loopback on Linux: a second client address)."""
    port = int(base.rsplit(":", 1)[1])
    return raw_http(port, "GET", path, headers={"Authorization": f"Bearer {token}"},
                    source=source)


def wait_out(headers):
    """Sleep for the Retry-After of a 429 (whole seconds) and a little more."""
    time.sleep(int(headers["retry-after"]) + 0.1)


def test_wrong_tokens_lock_the_address_out_whatever_it_brings_and_a_right_one_resets(tmp):
    d, base = start(tmp, LIMITED)
    assert bearer(base, WRONG)[0] == 401
    assert bearer(base, WRONG + "-2", path="/metrics")[0] == 401
    assert login(base, WRONG)[0] == 401  # the third: a lockout of 1 s
    s, h, b = bearer(base, ADMIN)        # the right token is not even looked at
    assert s == 429 and h["retry-after"] == "1", (s, h, b)
    assert b"too many wrong tokens" in b

    wait_out(h)
    assert bearer(base, AGENT_TOKEN + "x")[0] == 401  # one more after the lockout: 2 s
    s, h, b = login(base, ADMIN)
    assert s == 429 and h["retry-after"] == "2" and b["retry_after"] == 2, (s, h, b)
    s, h, _ = bearer(base, AGENT_TOKEN)
    assert s == 429 and h["retry-after"] in ("1", "2")
    # another client address is not locked out, and counts its own failures
    assert bearer(base, ADMIN, source="127.0.0.2")[0] == 200
    assert bearer(base, WRONG, source="127.0.0.2")[0] == 401
    # health checks and the platforms' webhooks take no token: never locked out
    assert http("GET", f"{base}/healthz", admin=False)[0] == 200
    ev = {"schema": "parley.event.v1", "id": "test:m-9", "platform": "test", "connector": "x",
          "account": "acme", "kind": "mention", "visibility": "public", "text": "hallo",
          "conversation_id": "conv-9", "created_at": "2026-12-01T10:00:00.000Z",
          "received_at": "2026-12-01T10:00:00.000Z", "author": {"id": "42"}}
    assert http("POST", f"{base}/hooks/tc1", json.dumps(ev),
                {"X-Test-Token": "s3cret-token"}, admin=False)[0] == 200

    wait_out(h)
    assert bearer(base, ADMIN)[0] == 200  # after Retry-After it works, and resets
    assert bearer(base, WRONG)[0] == 401
    assert bearer(base, WRONG)[0] == 401
    assert bearer(base, AGENT_TOKEN)[0] == 200  # two are below the limit again

    metrics = bearer(base, ADMIN, path="/metrics")[2].decode()
    assert metric_value(metrics, "parley_auth_failures_total") == 7
    assert metric_value(metrics, "parley_auth_lockouts_total") == 2
    assert metric_value(metrics, "parley_auth_refused_total") == 3
    assert d.stop() == 0
    logs = d.logs()
    locks = [line for line in logs.splitlines() if "locked out" in line]
    assert len(locks) == 2, logs
    assert "127.0.0.1: 3 wrong tokens: locked out for 1000 ms" in locks[0]
    assert "127.0.0.1: 4 wrong tokens: locked out for 2000 ms" in locks[1]
    assert all(" warn  [auth] " in line for line in locks), locks
    for secret in (ADMIN, AGENT_TOKEN, WRONG, "wrong-token"):
        assert secret not in logs


def test_the_default_limit_leaves_a_few_wrong_tokens_alone(tmp):
    d, base = start(tmp, f"  admin_token: {ADMIN}\n")
    for _ in range(4):
        assert bearer(base, WRONG)[0] == 401
    assert bearer(base, ADMIN)[0] == 200  # four are below the default five
    for _ in range(5):
        assert bearer(base, WRONG)[0] == 401
    s, h, _ = bearer(base, ADMIN)
    assert s == 429 and h["retry-after"] == "1"
    assert d.stop() == 0


def test_failures_0_turns_the_limit_off(tmp):
    d, base = start(tmp, f"  admin_token: {ADMIN}\n  auth_limit: {{failures: 0}}\n")
    for _ in range(12):
        assert bearer(base, WRONG)[0] == 401
    assert bearer(base, ADMIN)[0] == 200
    metrics = bearer(base, ADMIN, path="/metrics")[2].decode()
    assert metric_value(metrics, "parley_auth_failures_total") == 12
    assert metric_value(metrics, "parley_auth_lockouts_total") == 0
    assert d.stop() == 0
    assert "router.auth_limit.failures: 0: wrong tokens are not limited" in d.logs()


@pytest.mark.parametrize("limit, message", [
    ("{window: 0}", "router.auth_limit.window: must be at least 1s"),
    ("{max_lockout: 2d}", "router.auth_limit.max_lockout: must be at most 1d"),
    ("{failures: -1}", "router.auth_limit.failures"),
    ("{failures: many}", "router.auth_limit.failures"),
    ("{failure: 3}", "router.auth_limit.failure: unknown key (known keys: failures, window, "
                     "max_lockout)"),
    ("5", "router.auth_limit: expected a map"),
])
def test_a_bad_auth_limit_is_refused_at_start_naming_file_line_and_key(tmp, limit, message):
    path = os.path.join(tmp, "parley.yaml")
    with open(path, "w") as f:
        f.write(config(tmp, free_port(), f"  admin_token: {ADMIN}\n  auth_limit: {limit}\n"))
    r = run_parleyd("--config", path)
    assert r.returncode != 0
    assert f"{path}:6: {message}" in r.stderr, r.stderr


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not has_ipv6_loopback(), reason="this host has no IPv6 loopback (::1)")
def test_an_ipv6_client_is_counted_by_its_64_network(tmp):
    port = free_port()
    base = f"http://[::1]:{port}"
    d = Parleyd(config(tmp, port, f"  admin_token: {ADMIN}\n  auth_limit: {{failures: 2}}\n",
                       listen=f"'[::1]:{port}'"), tmpdir=tmp).start(base)
    wrong = {"Authorization": f"Bearer {WRONG}"}
    assert http("GET", f"{base}/v1/status", headers=wrong, admin=False)[0] == 401
    assert http("GET", f"{base}/v1/status", headers=wrong, admin=False)[0] == 401
    s, h, _ = http("GET", f"{base}/v1/status", headers={"Authorization": f"Bearer {ADMIN}"},
                   admin=False)
    assert s == 429 and h["retry-after"] == "1"
    assert d.stop() == 0
    assert "[auth] ::/64: 2 wrong tokens: locked out for 1000 ms" in d.logs(), d.logs()
