"""Helpers for parley's integration tests: run the real parleyd on loopback
with a generated config, talk HTTP to it, read what the outputs wrote."""
import base64
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

PARLEYD = os.environ.get("PARLEYD", "parleyd")
SIM = os.environ.get("PARLEY_SIM", "parley-sim")
PARLEYCTL = os.environ.get("PARLEYCTL", "parleyctl")
PLUGIN_DIR = os.environ.get("PARLEY_PLUGIN_DIR", "")
TEST_PLUGIN_DIR = os.environ.get("PARLEY_TEST_PLUGIN_DIR", "")
SOURCE_DIR = os.environ.get("PARLEY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SCHEMA = os.path.join(SOURCE_DIR, "docs", "event.schema.json")
BUILD_DIR = os.environ.get("PARLEY_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
# The console's static files as the build writes them (console/CMakeLists.txt).
CONSOLE_DIR = os.path.join(BUILD_DIR, "share", "parley", "console")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout=30.0, step=0.05, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# The admin token of the test configs made by router_yaml().
ADMIN_TOKEN = "parley-it-admin-token-7f3a9c1e5b"

# Running parleyd processes by port, so that http() can bring their token.
_RUNNING = {}


def admin_token_for(url):
    """The admin token of the parleyd serving url, None if not one of ours."""
    m = re.match(r"https?://[^/:]+:(\d+)", url)
    d = _RUNNING.get(int(m.group(1))) if m else None
    return d.admin_token() if d else None


def with_admin_token(url, headers):
    """headers plus the Bearer admin token of the parleyd serving url,
    unless they already name an Authorization or a Cookie."""
    headers = dict(headers or {})
    token = admin_token_for(url)
    if token and not any(k.lower() in ("authorization", "cookie") for k in headers):
        headers["Authorization"] = "Bearer " + token
    return headers


def http(method, url, body=None, headers=None, timeout=10, admin=True):
    """Returns (status, headers with lower-case names, body bytes); never
    raises on HTTP errors. A request to a running Parleyd carries its admin
    token (Bearer) unless admin is False or headers name an Authorization
    or a Cookie."""
    data = body.encode() if isinstance(body, str) else body
    headers = with_admin_token(url, headers) if admin else dict(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def event_ms(text):
    """Unix ms of an event's RFC 3339 UTC time ("2026-11-23T09:20:06.123Z")."""
    from datetime import datetime
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def read_ndjson(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    # the last element is "" after a complete line, or a line still being written
    return [json.loads(l) for l in lines[:-1] if l.strip()]


def read_ndjson_torn(path):
    """(events, torn lines) of an ndjson output that parleyd may have been
    killed in the middle of writing: a torn last line is appended to by the
    next run, and the complete event after the tear is still read."""
    mark = b'{"schema":"parley.event.v1"'
    events, torn = [], 0
    with open(path, "rb") as f:
        for line in f.read().split(b"\n"):
            if not line.strip():
                continue
            try:
                events.append(json.loads(line))
            except ValueError:
                torn += 1
                at = line.rfind(mark)
                if at > 0:
                    try:
                        events.append(json.loads(line[at:]))
                    except ValueError:
                        pass
    return events, torn


def validate_events(events):
    import jsonschema
    with open(SCHEMA) as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    for ev in events:
        errors = list(validator.iter_errors(ev))
        assert not errors, f"{ev.get('id')}: {errors[0].message}"


def router_yaml(tmp, port, plugin_dir=None, extra="", console_dir=None):
    """The router: section of a test config: loopback listener on port, the
    journal in tmp, plugins from plugin_dir (default: the test plugins), the
    console from console_dir (default: the build tree's)."""
    return (f"router:\n  listen: 127.0.0.1:{port}\n  plugin_dir: {plugin_dir or TEST_PLUGIN_DIR}\n"
            f"  journal: {tmp}/parley.journal\n  admin_token: {ADMIN_TOKEN}\n"
            f"  console_dir: {console_dir or CONSOLE_DIR}\n{extra}")


# Key names that make a config value a credential: the words core/log.c
# masks by key. A value shorter than its SECRET_MIN (6) is not checked.
SECRET_KEY_WORDS = ("token", "secret", "password", "passwd", "authoriz", "authentic", "cookie",
                    "credential", "signature", "apikey", "private")
SECRET_MIN = 6


def _substitute(value, env):
    """The values a config value stands for after parleyd's substitution:
    ${NAME} from env, ${file:/path} from the file (as is and stripped)."""
    out = [value]
    for m in re.finditer(r"\$\{([^}]*)\}", value):
        ref = m.group(1)
        if ref.startswith("file:"):
            try:
                with open(ref[5:], encoding="utf-8", errors="replace") as f:
                    text = f.read()
                out += [text, text.strip()]
            except OSError:
                pass
        elif ref in env:
            out.append(env[ref])
            out.append(value.replace(m.group(0), env[ref]))
    return out


def configured_secrets(config_text, env=None):
    """{secret value: the key it was configured under} for every value of
    config_text (YAML or JSON) whose key names a credential, after
    substitution from env. Used to check that none reaches a log."""
    env = env or {}
    pairs = []
    try:
        doc = json.loads(config_text)

        def walk(node):
            items = node.items() if isinstance(node, dict) else enumerate(node) \
                if isinstance(node, list) else []
            for k, v in items:
                if isinstance(v, (dict, list)):
                    walk(v)
                elif isinstance(k, str) and isinstance(v, str):
                    pairs.append((k, v))
        walk(doc)
    except ValueError:
        for line in config_text.splitlines():
            m = re.match(r"\s*(?:-\s+)?([A-Za-z0-9_.-]+)\s*:\s*(.+?)\s*$", line)
            if m:
                v = re.sub(r"\s+#.*$", "", m.group(2))
                if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
                    v = v[1:-1]
                pairs.append((m.group(1), v))
            for inner in re.findall(r"\{([^{}]*)\}", line):  # flow maps: {a: 1, b: x}
                for k, v in re.findall(r"([A-Za-z0-9_.-]+)\s*:\s*([^,]+)", inner):
                    pairs.append((k, v.strip().strip("'\"")))
    found = {}
    for key, value in pairs:
        if any(w in key.lower() for w in SECRET_KEY_WORDS):
            for v in _substitute(value, env):
                if len(v) >= SECRET_MIN and not v.startswith("${"):
                    found.setdefault(v, key)
    return found


def secrets_in(text, secrets):
    """[(key, line number)] of every secret value found in text; the values
    themselves are never part of the answer (test output must not hold them)."""
    hits = []
    for value, key in secrets.items():
        at = text.find(value)
        if at >= 0:
            hits.append((key, text.count("\n", 0, at) + 1))
    return hits


class Parleyd:
    """A parleyd process with its own temp dir, config and journal.

    stop() fails the test when the log holds a secret of the config (any
    value under a credential key, after ${...} substitution) or one of the
    extra `secrets` given here."""

    def __init__(self, config_text, tmpdir=None, name="parley.yaml", env=None, secrets=()):
        self.dir = tmpdir or tempfile.mkdtemp(prefix="parley-it-")
        self.config = os.path.join(self.dir, name)
        with open(self.config, "w") as f:
            f.write(config_text)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.log_path = os.path.join(self.dir, "parleyd.log")
        self.secrets = configured_secrets(config_text, self.env)
        for s in secrets:
            if len(s) >= SECRET_MIN:
                self.secrets.setdefault(s, "a secret of the test")

    def check_secrets(self):
        """Fail when parleyd's log holds a secret, naming its key and line."""
        if not os.path.exists(self.log_path):
            return
        secrets = dict(self.secrets)
        made = self.admin_token()  # the one parleyd generated, when not configured
        if made:
            secrets.setdefault(made, "the generated admin token")
        hits = secrets_in(self.logs(), secrets)
        assert not hits, "secrets reached parleyd's log: " + ", ".join(
            f"the value of {key} (line {line})" for key, line in hits)

    def start(self, wait_http=None):
        if self._port():
            _RUNNING[self._port()] = self
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([PARLEYD, "--config", self.config], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=self.env)
        if wait_http:
            wait_until(lambda: self._healthy(wait_http) or self._died(), 30, what="parleyd /healthz")
            assert self.proc.poll() is None, "parleyd exited:\n" + self.logs()
        return self

    def _died(self):
        return self.proc.poll() is not None

    def config_text(self):
        with open(self.config) as f:
            return f.read()

    def admin_token(self):
        """The configured router.admin_token, else the one parleyd read
        from or wrote to its state directory: router.state_dir, else the
        journal's directory (relative paths from the config's)."""
        text = self.config_text()
        m = re.search(r"\badmin_token\"?\s*:\s*['\"]?([^'\"\s,}]+)", text)
        if m:
            return m.group(1)
        key = lambda k: re.search(rf"\b{k}\"?\s*:\s*['\"]?([^'\"\s,}}]+)", text)
        state = key("state_dir")
        journal = key("journal")
        where = (state.group(1) if state else
                 os.path.dirname(journal.group(1)) if journal else "")
        path = os.path.join(self.dir, where, "admin_token")
        if not os.path.exists(path):
            return None
        with open(path) as t:
            return t.read().strip()

    def _healthy(self, base):
        try:
            return http("GET", base + "/healthz", timeout=1)[0] == 200
        except OSError:
            return False

    def logs(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("parleyd did not stop in time:\n" + self.logs())
        if hasattr(self, "log"):
            self.log.close()
        if self.proc and _RUNNING.get(self._port()) is self:
            del _RUNNING[self._port()]
        self.check_secrets()
        return self.proc.returncode if self.proc else None

    def _port(self):
        m = re.search(r"\blisten\"?\s*:\s*['\"]?[\w.\[\]:]*:(\d+)", self.config_text())
        return int(m.group(1)) if m else None

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()
        self.check_secrets()


def run_parleyd(*args, timeout=30):
    return subprocess.run([PARLEYD, *args], capture_output=True, text=True, timeout=timeout)


class SimProcess:
    """parley-sim on 127.0.0.1 with a free port and the scenario file at
    `scenario`; `url` (= `base`) is its base URL, its stderr goes to
    `log_path` in tmp."""

    def __init__(self, scenario, args, tmp):
        self.log_path = os.path.join(tmp, "sim.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([SIM, "--listen", "127.0.0.1:0", "--scenario", scenario,
                                      *args], stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline().decode()
        m = re.search(r"listening on ([\d.]+:\d+)", line)
        if not m:
            self.stop()
            raise AssertionError(f"parley-sim did not start ({SIM} {scenario}): {line!r}; "
                                 f"see {self.log_path}")
        self.url = self.base = "http://" + m.group(1)

    def stop(self):
        """Terminate it (kill after 30 s); returns its exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        return self.proc.returncode


# ---- parleyd with all five connectors against parley-sim ----

DEMO_SCENARIO = os.path.join(SOURCE_DIR, "sdk", "sim", "scenarios", "demo.json")
# The simulator's documented test credentials (docs/simulator.md), handed to
# parleyd through the environment as an operator would.
DEMO_SECRETS = {
    "TW_BEARER": "tw-app-bearer", "TW_USER_TOKEN": "tw-user-token",
    "FB_PAGE_TOKEN": "fb-page-token", "IG_TOKEN": "ig-page-token",
    "META_APP_SECRET": "sim-meta-app-secret", "META_VERIFY_TOKEN": "sim-verify-token",
    "LI_TOKEN": "li-member-token", "LI_CLIENT_SECRET": "sim-linkedin-client-secret",
    "TT_TOKEN": "act.sim-tiktok-token", "TT_CLIENT_SECRET": "sim-tiktok-client-secret",
    "TW_CONSUMER_SECRET": "sim-twitter-consumer-secret",
}
FIVE_INSTANCES = {"twitter": "acme-twitter", "facebook": "acme-facebook",
                  "instagram": "acme-instagram", "linkedin": "acme-linkedin",
                  "tiktok": "acme-tiktok"}


def five_connectors_yaml(sim, interval="1s", twitter_queries=("acme -from:acme",), sources=None):
    """The connectors: section for the demo scenario's brand on all five
    platforms; twitter_queries are the Twitter connector's recent-search
    queries (add "from:acme" to see the brand's native reply tweets).
    `sources` ({"twitter": [...], "linkedin": [...]}) replaces those
    connectors' sources; a Twitter "webhook" source adds the consumer secret."""
    queries = ", ".join(json.dumps(q) for q in twitter_queries)
    sources = sources or {}
    tw_sources = ", ".join(sources.get("twitter", ("mentions", "search", "dms")))
    tw_extra = ("      consumer_secret: ${TW_CONSUMER_SECRET}\n"
                if "webhook" in sources.get("twitter", ()) else "")
    li_extra = (f"      sources: [{', '.join(sources['linkedin'])}]\n"
                if "linkedin" in sources else "")
    return f"""connectors:
  - name: acme-twitter
    plugin: twitter
    options:
      base_url: {sim}/twitter
      account_id: "2244994945"
      account_handle: acme
      bearer_token: ${{TW_BEARER}}
      user_access_token: ${{TW_USER_TOKEN}}
      sources: [{tw_sources}]
      search_queries: [{queries}]
      poll_floor: {interval}
      poll_interval: {interval}
{tw_extra}  - name: acme-facebook
    plugin: facebook
    options:
      base_url: {sim}/facebook
      app_secret: ${{META_APP_SECRET}}
      verify_token: ${{META_VERIFY_TOKEN}}
      pages: ["104000000000001"]
      page_access_token: ${{FB_PAGE_TOKEN}}
  - name: acme-instagram
    plugin: instagram
    options:
      base_url: {sim}/instagram
      app_secret: ${{META_APP_SECRET}}
      verify_token: ${{META_VERIFY_TOKEN}}
      accounts: ["17841400000000001"]
      access_token: ${{IG_TOKEN}}
  - name: acme-linkedin
    plugin: linkedin
    options:
      base_url: {sim}/linkedin
      organization: urn:li:organization:5515715
      access_token: ${{LI_TOKEN}}
      client_secret: ${{LI_CLIENT_SECRET}}
      poll_interval: {interval}
{li_extra}  - name: acme-tiktok
    plugin: tiktok
    options:
      base_url: {sim}/tiktok
      business_id: "-000acmebusiness"
      account_handle: acme
      access_token: ${{TT_TOKEN}}
      client_secret: ${{TT_CLIENT_SECRET}}
      poll_interval: {interval}
"""


class FiveStack:
    """parley-sim (the demo scenario, or `scenario`) and parleyd with all
    five connectors; `sections` is the YAML after connectors: (outputs:,
    routes:, enrich:, ...), formatted with {dir} = the stack's directory.
    Meta webhooks are pointed at parleyd once it is up."""

    def __init__(self, tmp, sections, scenario=DEMO_SCENARIO, sim_args=("--rate-window-s", "60"),
                 twitter_queries=("acme -from:acme",), sources=None):
        self.dir = str(tmp)
        self.sim = SimProcess(scenario, list(sim_args), self.dir)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = (router_yaml(self.dir, self.port, PLUGIN_DIR)
                  + five_connectors_yaml(self.sim.url, twitter_queries=twitter_queries,
                                       sources=sources)
                  + sections.format(dir=self.dir))
        self.parleyd = Parleyd(config, tmpdir=self.dir, env=DEMO_SECRETS)

    def start(self):
        self.parleyd.start(wait_http=self.base)
        for p in ("facebook", "instagram"):
            body = json.dumps({"platform": p, "url": f"{self.base}/hooks/{FIVE_INSTANCES[p]}"})
            status = http("POST", self.sim.url + "/_sim/webhook-target", body)[0]
            assert status < 300, f"webhook target for {p}: {status}"
        return self

    def post_item(self, item):
        """A customer writes: the simulator's control API creates the item."""
        status, _, body = http("POST", self.sim.url + "/_sim/items", json.dumps(item))
        assert status < 300, f"/_sim/items {status}: {body!r}"
        return json.loads(body)

    def action(self, action):
        status, _, body = http("POST", self.base + "/v1/actions", json.dumps(action),
                               {"Content-Type": "application/json"})
        return status, json.loads(body or b"{}")

    def stop(self):
        try:
            self.parleyd.stop()
        finally:
            self.sim.stop()


class TwitterStoreStack:
    """parley-sim (the demo scenario) and parleyd with only the Twitter
    connector acme-twitter, polling `sources` every second (max_results per
    page; `twitter_queries` for a "search" source), into the sqlite store
    `store` at <tmp>/store.db. The simulator starts at construction, so
    items posted before start() are there for the first poll; parleyd can be
    stopped and started again (restart()) on the same journal and store."""

    def __init__(self, tmp, sources=("dms",), twitter_queries=(), max_results=100):
        self.dir = str(tmp)
        self.sim = SimProcess(DEMO_SCENARIO, ["--rate-window-s", "60"], self.dir)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        queries = ", ".join(json.dumps(q) for q in twitter_queries)
        config = router_yaml(self.dir, self.port, PLUGIN_DIR) + f"""connectors:
  - name: acme-twitter
    plugin: twitter
    options:
      base_url: {self.sim.url}/twitter
      account_id: "2244994945"
      account_handle: acme
      bearer_token: ${{TW_BEARER}}
      user_access_token: ${{TW_USER_TOKEN}}
      sources: [{", ".join(sources)}]
      search_queries: [{queries}]
      max_results: {max_results}
      poll_floor: 1s
      poll_interval: 1s
outputs:
  - {{name: store, type: sqlite, options: {{path: {self.dir}/store.db}}}}
routes:
  - {{outputs: [store]}}
"""
        self.parleyd = Parleyd(config, tmpdir=self.dir, env=DEMO_SECRETS)

    def start(self):
        self.parleyd.start(wait_http=self.base)
        return self

    def restart(self):
        assert self.parleyd.stop() == 0, self.parleyd.logs()
        return self.start()

    def post_item(self, item):
        """Create an item in the simulator ("at": seconds from its start)."""
        status, _, body = http("POST", self.sim.url + "/_sim/items", json.dumps(item))
        assert status < 300, f"/_sim/items {status}: {body!r}"
        return json.loads(body)

    def event_id(self, sim_item):
        """The parley event id the connector gives a simulator item."""
        return "twitter:" + sim_item["id"]

    def stored(self, *event_ids):
        """{event id: (conversation_id, arrival)} of the stored messages among
        event_ids; arrival counts up in the order the store received them."""
        import sqlite3
        db = sqlite3.connect(f"file:{self.dir}/store.db?mode=ro", uri=True)
        try:
            marks = ",".join("?" * len(event_ids))
            rows = db.execute(f"SELECT id, conversation_id, rowid FROM messages"
                              f" WHERE id IN ({marks})", event_ids).fetchall()
        except sqlite3.OperationalError:  # the store is not created yet
            rows = []
        finally:
            db.close()
        return {i: (c, r) for i, c, r in rows}

    def wait_stored(self, *event_ids, timeout=60):
        """stored(*event_ids) once all of them are there."""
        def all_there():
            s = self.stored(*event_ids)
            return s if len(s) == len(event_ids) else None
        return wait_until(all_there, timeout, what=f"{', '.join(event_ids)} in the store")

    def conversation(self, conv_id):
        """GET /v1/conversations/<id>: the document (asserting a 200)."""
        import urllib.parse
        s, _, body = http("GET", f"{self.base}/v1/conversations/"
                          + urllib.parse.quote(conv_id, safe=""))
        assert s == 200, body
        return json.loads(body)

    def inbox(self, query):
        s, _, body = http("GET", f"{self.base}/v1/inbox?{query}")
        assert s == 200, body
        return json.loads(body)

    def stop(self):
        try:
            assert self.parleyd.stop() == 0, self.parleyd.logs()
        finally:
            self.sim.stop()


class NotifySocket:
    """A unix datagram socket in tmp standing in for systemd's NOTIFY_SOCKET:
    pass env() to Parleyd, then wait_for("READY=1") returns each datagram
    (a dict of KEY=VALUE assignments) up to and including the first one that
    has that assignment."""

    def __init__(self):
        # its own short dir: a unix socket path has at most 107 bytes
        self.dir = tempfile.mkdtemp(prefix="parley-notify-")
        self.path = os.path.join(self.dir, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.seen = []

    def env(self, **extra):
        return dict({"NOTIFY_SOCKET": self.path}, **extra)

    def _recv(self, timeout):
        self.sock.settimeout(timeout)
        data = self.sock.recv(4096).decode()
        msg = dict(line.split("=", 1) for line in data.split("\n") if "=" in line)
        self.seen.append(msg)
        return msg

    def wait_for(self, assignment, timeout=30.0):
        key, value = assignment.split("=", 1)
        got = []
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {assignment} within {timeout}s; got {got}")
            try:
                msg = self._recv(left)
            except socket.timeout:
                continue
            got.append(msg)
            if msg.get(key) == value:
                return got

    def close(self):
        self.sock.close()
        os.unlink(self.path)
        os.rmdir(self.dir)


def raise_nofile():
    """Lift this process's open-files soft limit to the hard limit (tests
    that hold thousands of sockets); returns the new limit."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def raw_http(port, method, path, body=b"", headers=None, source="127.0.0.1", timeout=10):
    """One request on a fresh connection bound to the source address (any
    127.x.y.z is loopback on Linux, so a test can play several clients);
    returns (status, headers with lower-case names, body). Status 0 means the
    server closed the connection without an answer. Brings the admin token
    like http()."""
    data = body.encode() if isinstance(body, str) else body
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for k, v in with_admin_token(f"http://127.0.0.1:{port}", headers).items():
        head += f"{k}: {v}\r\n"
    if data or method in ("POST", "PUT"):
        head += f"Content-Length: {len(data)}\r\n"
    with socket.socket() as s:
        s.settimeout(timeout)
        s.bind((source, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(head.encode() + b"\r\n" + data)
        buf = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
        except ConnectionResetError:
            pass
    if b"\r\n\r\n" not in buf:
        return 0, {}, buf
    top, rest = buf.split(b"\r\n\r\n", 1)
    lines = top.decode("latin-1").split("\r\n")
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), hdrs, rest


def metric_value(text, name, labels=""):
    """The value of `name{labels}` (labels as in the exposition text, e.g.
    'reason="per_client"'; "" for none) in Prometheus text, 0.0 if absent."""
    want = f"{name}{{{labels}}}" if labels else name
    for line in text.splitlines():
        key, _, value = line.rpartition(" ")
        if key == want:
            return float(value)
    return 0.0


def browser(width=1200, height=900):
    """Headless Debian chromium driven by chromium-driver (python3-selenium),
    with the browser console log kept (driver.get_log("browser")). The
    window is width x height; set_viewport() makes the page's viewport exact."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    o = Options()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              f"--window-size={width},{height}", "--hide-scrollbars"):
        o.add_argument(a)
    if os.path.exists("/usr/bin/chromium"):
        o.binary_location = "/usr/bin/chromium"
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service("/usr/bin/chromedriver") if os.path.exists("/usr/bin/chromedriver") else Service()
    return webdriver.Chrome(service=service, options=o)


def set_viewport(driver, width, height, mobile=False):
    """The page's viewport exactly width x height CSS pixels (a window's
    size includes the browser's own frame); mobile: a phone's touch viewport."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1,
                            "mobile": mobile})


class SseStream:
    """A Server-Sent Events stream from parleyd (GET base+path, with its
    admin token as http() brings it) read with http.client: status and
    headers (lower-case names) at once, then
    next() gives one message at a time as a dict {"id", "event", "data"}
    (data: the data lines joined by "\\n"), or {"comment": text} for a
    comment line such as ": keepalive", or {"retry": ms}. A read that
    waits longer than timeout raises AssertionError; so does the end of
    the stream (next() returns None only with allow_end=True)."""

    def __init__(self, base, path, headers=None, timeout=10):
        import http.client
        import urllib.parse
        u = urllib.parse.urlsplit(base)
        hdrs = dict({"Accept": "text/event-stream"}, **with_admin_token(base, headers))
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        self.conn.request("GET", path, headers=hdrs)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = {k.lower(): v for k, v in self.resp.getheaders()}
        self.timeout = timeout

    def body(self):
        """The whole (non-stream) answer, e.g. of a 400."""
        return self.resp.read()

    def next(self, timeout=None, allow_end=False):
        self.conn.sock.settimeout(timeout or self.timeout)
        msg = {}
        while True:
            try:
                line = self.resp.readline()
            except (socket.timeout, TimeoutError):
                raise AssertionError(f"no server-sent event within {timeout or self.timeout}s")
            if not line:
                if allow_end:
                    return None
                raise AssertionError("the event stream ended")
            line = line.decode().rstrip("\r\n")
            if line == "":
                if msg:
                    return msg
                continue
            if line.startswith(":"):
                return {"comment": line[1:].strip()}
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                msg["data"] = msg["data"] + "\n" + value if "data" in msg else value
            elif field == "retry":
                msg["retry"] = int(value)
            else:
                msg[field] = value

    def wait_for(self, pred, timeout=30.0, what="an event"):
        """Messages up to and including the first for which pred(msg) is
        true (keepalives and retry hints are skipped); returns that one."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            msg = self.next(timeout=left)
            if "comment" in msg or ("retry" in msg and "data" not in msg):
                continue
            if pred(msg):
                return msg

    def close(self):
        self.conn.close()


class StoreStack:
    """parleyd with two test connectors taking events by webhook (tc1:
    platform test, tc2: platform chirp; token s3cret-token) and a sqlite
    conversation store `store` at <tmp>/store.db; extra_router: more
    router: lines (indented two)."""
    TOKEN = {"X-Test-Token": "s3cret-token"}

    def __init__(self, tmp, extra_router=""):
        self.tmp = str(tmp)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        text = router_yaml(self.tmp, self.port, extra=extra_router) + f"""connectors:
  - name: tc1
    plugin: testconn
    options: {{account: acme, count: 0, token: s3cret-token}}
  - name: tc2
    plugin: testconn
    options: {{platform: chirp, account: acme, count: 0, token: s3cret-token}}
outputs:
  - name: store
    type: sqlite
    options: {{path: {self.tmp}/store.db}}
routes:
  - outputs: store
"""
        self.d = Parleyd(text, tmpdir=self.tmp).start(self.base)

    def delivered(self):
        st = json.loads(http("GET", f"{self.base}/v1/status")[2])
        return st["outputs"][0]["delivered"]

    def post(self, *events, wait=True):
        """Hand events to tc1 (tc2 for platform chirp) by webhook; with
        wait, until they are stored."""
        before = self.delivered()
        for ev in events:
            inst = "tc2" if ev.get("platform") == "chirp" else "tc1"
            s, _, body = http("POST", f"{self.base}/hooks/{inst}", json.dumps(ev), self.TOKEN)
            assert s == 200, body
        if wait:
            wait_until(lambda: self.delivered() >= before + len(events), what="events stored")

    def act(self, **fields):
        doc = {"schema": "parley.action.v1", **fields}
        s, _, body = http("POST", f"{self.base}/v1/actions", json.dumps(doc))
        return s, json.loads(body)

    def get(self, path):
        s, _, body = http("GET", self.base + path)
        return s, json.loads(body) if body else None

    def stop(self):
        assert self.d.stop() == 0, self.d.logs()


# ---- parleyctl, the admin API's command line ----

def _ctl_env(env):
    """The environment for parleyctl: the caller's, without the variables
    parleyctl reads (PARLEY_URL, PARLEY_ADMIN_TOKEN) unless env sets them."""
    e = {k: v for k, v in os.environ.items() if k not in ("PARLEY_URL", "PARLEY_ADMIN_TOKEN")}
    e.update(env or {})
    return e


def parleyctl(*args, env=None, timeout=60):
    """Run the real parleyctl binary; returns the CompletedProcess (text)."""
    return subprocess.run([PARLEYCTL, *args], capture_output=True, text=True, timeout=timeout,
                          env=_ctl_env(env))


class ParleyctlProcess:
    """A long-running parleyctl (e.g. `tail`): its stdout lines are read by
    a thread; wait_line(pred) returns the first line so far (or to come)
    that pred accepts, in the order printed; stop() sends SIGINT and
    returns the exit status and stderr."""

    def __init__(self, *args, env=None):
        import queue
        import threading
        self.lines = queue.Queue()
        self.seen = []
        self.proc = subprocess.Popen([PARLEYCTL, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=_ctl_env(env))
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_line(self, pred, timeout=30.0, what="a line"):
        import queue
        for line in self.seen:
            if pred(line):
                return line
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            try:
                line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                line = ""
            if line is None:
                raise AssertionError(f"parleyctl ended before {what}: {self.proc.stderr.read()}")
            if line:
                self.seen.append(line)
            if line and pred(line):
                return line
            if time.monotonic() >= end:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    def stop(self):
        """SIGINT, then the exit status and stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            rc = self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("parleyctl did not stop on SIGINT")
        err = self.proc.stderr.read()
        self.proc.stderr.close()
        return rc, err


class HoldingReceiver:
    """An HTTP sink for a webhook output that holds its answers: every POST
    waits until release() (or 20 s), then gets 204. `ids` lists the event
    ids of every POST body (a JSON event or an array), in arrival order;
    `waiting` counts the POSTs being held. No signature check: the webhook
    tests do that."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        outer = self
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.ids, self.waiting = [], 0

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                doc = json.loads(body)
                with outer.lock:
                    outer.waiting += 1
                outer.gate.wait(20)
                with outer.lock:
                    outer.waiting -= 1
                    outer.ids.extend(e["id"] for e in (doc if isinstance(doc, list) else [doc]))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hold"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def release(self):
        self.gate.set()

    def stop(self):
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


def twitter_webhook_signature(body, secret):
    """x-twitter-webhooks-signature of an Account Activity delivery (str or
    bytes): sha256=base64(HMAC-SHA256(consumer_secret, body))."""
    raw = body.encode() if isinstance(body, str) else body
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256)
                                        .digest()).decode()


# ---- the fault matrix (docs/fault-matrix.md, tools/fault_matrix.py) ----

FAULT_MATRIX_DIR = os.path.join(BUILD_DIR, "fault-matrix")


class FaultRows:
    """Rows (check, PASS/FAIL/SKIP, detail) of one connector × source of the
    fault matrix, written to $PARLEY_BUILD_DIR/fault-matrix/<plugin>-<source>.json
    after every change, so a test that dies half-way still leaves the rows it
    decided (tools/fault_matrix.py reports the others as missing). A new
    FaultRows replaces the file of an earlier run."""

    def __init__(self, plugin, source, where):
        self.plugin, self.source, self.where = plugin, source, where
        self.rows = []
        self.path = os.path.join(FAULT_MATRIX_DIR, f"{plugin}-{source}.json")
        self.write()

    def add(self, check, result, detail=""):
        assert result in ("PASS", "FAIL", "SKIP"), result
        self.rows = [r for r in self.rows if r["check"] != check]
        self.rows.append({"check": check, "result": result, "detail": detail})
        self.write()

    def write(self):
        os.makedirs(FAULT_MATRIX_DIR, exist_ok=True)
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"plugin": self.plugin, "source": self.source, "where": self.where,
                       "rows": self.rows}, f, indent=1)
            f.write("\n")
        os.replace(tmp, self.path)

    def check(self, check):
        """A context manager: the row is PASS when the block ends normally,
        FAIL (with the assertion's first line) when it raises; the exception
        goes on, so the test fails too."""
        rows = self

        class _Row:
            def __enter__(self):
                return self

            def __exit__(self, typ, exc, tb):
                if typ is None:
                    rows.add(check, "PASS")
                else:
                    first = (str(exc) or typ.__name__).splitlines()[0][:200]
                    rows.add(check, "FAIL", first)
                return False
        return _Row()
