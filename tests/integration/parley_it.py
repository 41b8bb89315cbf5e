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
