"""Helpers for parley's integration tests: run the real parleyd on loopback
with a generated config, talk HTTP to it, read what the outputs wrote."""
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
PLUGIN_DIR = os.environ.get("PARLEY_PLUGIN_DIR", "")
TEST_PLUGIN_DIR = os.environ.get("PARLEY_TEST_PLUGIN_DIR", "")
SOURCE_DIR = os.environ.get("PARLEY_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
SCHEMA = os.path.join(SOURCE_DIR, "docs", "event.schema.json")


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


def http(method, url, body=None, headers=None, timeout=10):
    """Returns (status, headers with lower-case names, body bytes); never
    raises on HTTP errors."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
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


def validate_events(events):
    import jsonschema
    with open(SCHEMA) as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    for ev in events:
        errors = list(validator.iter_errors(ev))
        assert not errors, f"{ev.get('id')}: {errors[0].message}"


def router_yaml(tmp, port, plugin_dir=None, extra=""):
    """The router: section of a test config: loopback listener on port, the
    journal in tmp, plugins from plugin_dir (default: the test plugins)."""
    return (f"router:\n  listen: 127.0.0.1:{port}\n  plugin_dir: {plugin_dir or TEST_PLUGIN_DIR}\n"
            f"  journal: {tmp}/parley.journal\n{extra}")


class Parleyd:
    """A parleyd process with its own temp dir, config and journal."""

    def __init__(self, config_text, tmpdir=None, name="parley.yaml", env=None):
        self.dir = tmpdir or tempfile.mkdtemp(prefix="parley-it-")
        self.config = os.path.join(self.dir, name)
        with open(self.config, "w") as f:
            f.write(config_text)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.log_path = os.path.join(self.dir, "parleyd.log")

    def start(self, wait_http=None):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([PARLEYD, "--config", self.config], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=self.env)
        if wait_http:
            wait_until(lambda: self._healthy(wait_http) or self._died(), 30, what="parleyd /healthz")
            assert self.proc.poll() is None, "parleyd exited:\n" + self.logs()
        return self

    def _died(self):
        return self.proc.poll() is not None

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
        return self.proc.returncode

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()


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
}
FIVE_INSTANCES = {"twitter": "acme-twitter", "facebook": "acme-facebook",
                  "instagram": "acme-instagram", "linkedin": "acme-linkedin",
                  "tiktok": "acme-tiktok"}


def five_connectors_yaml(sim, interval="1s", twitter_queries=("acme -from:acme",)):
    """The connectors: section for the demo scenario's brand on all five
    platforms; twitter_queries are the Twitter connector's recent-search
    queries (add "from:acme" to see the brand's native reply tweets)."""
    queries = ", ".join(json.dumps(q) for q in twitter_queries)
    return f"""connectors:
  - name: acme-twitter
    plugin: twitter
    options:
      base_url: {sim}/twitter
      account_id: "2244994945"
      account_handle: acme
      bearer_token: ${{TW_BEARER}}
      user_access_token: ${{TW_USER_TOKEN}}
      sources: [mentions, search, dms]
      search_queries: [{queries}]
      poll_floor: {interval}
      poll_interval: {interval}
  - name: acme-facebook
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
  - name: acme-tiktok
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
                 twitter_queries=("acme -from:acme",)):
        self.dir = str(tmp)
        self.sim = SimProcess(scenario, list(sim_args), self.dir)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = (router_yaml(self.dir, self.port, PLUGIN_DIR)
                  + five_connectors_yaml(self.sim.url, twitter_queries=twitter_queries)
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
    server closed the connection without an answer."""
    data = body.encode() if isinstance(body, str) else body
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for k, v in (headers or {}).items():
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
