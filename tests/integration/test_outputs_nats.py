"""The nats output against a real nats-server with JetStream (Debian's
nats-server, started here on a free loopback port with its store in a temp
dir): subjects <prefix>.<platform>.<kind>, Nats-Msg-Id = event id, the
stream created when asked, duplicates dropped by the server, and the
delivery cursor advanced only by acknowledgements.

The NATS side is read with a small client of the NATS text protocol below
(no Python NATS library is packaged in Debian); the other output tests
import NatsServer and JetStream from here."""
import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile

import pytest

from parley_it import Parleyd, free_port, http, read_ndjson, wait_until, TEST_PLUGIN_DIR

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


class NatsServer:
    """nats-server -js on 127.0.0.1:<free port>, store in a temp dir. stop()
    and start() again keep the store (the outage tests)."""

    def __init__(self, store_dir=None, args=()):
        self.args = list(args)
        self.port = free_port()
        self.dir = store_dir or tempfile.mkdtemp(prefix="parley-nats-")
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"

    def start(self):
        self.log = open(os.path.join(self.dir, "nats-server.log"), "ab")
        self.proc = subprocess.Popen(
            [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", self.dir,
             *self.args],
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(self._listening, 20, what="nats-server listening")
        return self

    def _listening(self):
        assert self.proc.poll() is None, "nats-server exited"
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        self.log.close()


class JetStream:
    """Just enough of the NATS protocol for requests to the JetStream API."""

    def __init__(self, url):
        host, port = url.replace("nats://", "").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.buf = b""
        self.sid = 0
        self._line()  # INFO
        self.sock.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,'
                          b'"no_responders":true,"protocol":1}\r\nPING\r\n')
        while self._read_msg() != "PONG":
            pass
        self.sock.sendall(b"SUB _parley_it.> 1\r\n")

    def close(self):
        self.sock.close()

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("nats-server closed the connection")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode()

    def _bytes(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _read_msg(self):
        """Returns "PONG", or (subject, headers bytes, payload bytes)."""
        while True:
            line = self._line()
            if line == "PING":
                self.sock.sendall(b"PONG\r\n")
            elif line == "PONG":
                return "PONG"
            elif line.startswith("-ERR"):
                raise AssertionError(line)
            elif line.startswith("MSG "):
                parts = line.split()
                return parts[1], b"", self._bytes(int(parts[-1]))
            elif line.startswith("HMSG "):
                parts = line.split()
                hlen, total = int(parts[-2]), int(parts[-1])
                data = self._bytes(total)
                return parts[1], data[:hlen], data[hlen:]

    def requests(self, subject, payloads):
        """Send every request at once, return the replies in order."""
        out = []
        for i, p in enumerate(payloads):
            body = json.dumps(p).encode() if p is not None else b""
            out.append(b"PUB %s _parley_it.%d %d\r\n%s\r\n" % (subject.encode(), i, len(body), body))
        self.sock.sendall(b"".join(out))
        replies = {}
        while len(replies) < len(payloads):
            msg = self._read_msg()
            if msg != "PONG":
                replies[int(msg[0].split(".")[-1])] = json.loads(msg[2] or b"{}")
        return [replies[i] for i in range(len(payloads))]

    def subscribe(self, subject, sid=2):
        self.sock.sendall(b"SUB %s %d\r\nPING\r\n" % (subject.encode(), sid))
        while self._read_msg() != "PONG":
            pass

    def next_msg(self):
        """The next message of a subscription: (subject, payload dict)."""
        while True:
            msg = self._read_msg()
            if msg != "PONG":
                return msg[0], json.loads(msg[2])

    def request(self, subject, payload=None):
        return self.requests(subject, [payload])[0]

    def stream_info(self, stream):
        return self.request(f"$JS.API.STREAM.INFO.{stream}")

    def messages(self, stream, batch=2000):
        """Every message of the stream: (subject, headers dict, payload dict)."""
        state = self.stream_info(stream)["state"]
        first, last = state["first_seq"], state["last_seq"]
        out = []
        for start in range(first, last + 1, batch):
            seqs = range(start, min(start + batch, last + 1))
            for r in self.requests(f"$JS.API.STREAM.MSG.GET.{stream}", [{"seq": s} for s in seqs]):
                m = r["message"]
                hdrs = {}
                for l in base64.b64decode(m.get("hdrs", "")).decode().split("\r\n")[1:]:
                    if ":" in l:
                        k, v = l.split(":", 1)
                        hdrs[k.strip()] = v.strip()
                out.append((m["subject"], hdrs, json.loads(base64.b64decode(m["data"]))))
        return out


def config(tmp, port, nats_url, count=0, opts="", kinds="[mention, direct_message, outbound]",
           queue_size=10000, stream="PARLEY_IT", create="true"):
    return f"""
router:
  listen: 127.0.0.1:{port}
  plugin_dir: {TEST_PLUGIN_DIR}
  journal: {tmp}/parley.journal
  queue_size: {queue_size}
connectors:
  - name: tc1
    plugin: testconn
    options: {{account: acme, count: {count}, batch: 100, interval: 1ms, kinds: {kinds},
               token: s3cret-token}}
outputs:
  - name: js
    type: nats
    options:
      url: {nats_url}
      create_stream: {create}
      stream: {stream}
{opts}
routes:
  - outputs: js
"""


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


@pytest.fixture
def nats(tmp_path):
    srv = NatsServer(str(tmp_path / "js")).start()
    yield srv
    srv.stop()


def status(base):
    return json.loads(http("GET", f"{base}/v1/status")[2])


def test_events_are_published_once_with_their_id_on_platform_kind_subjects(tmp, nats):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    d = Parleyd(config(tmp, port, nats.url, count=3000), tmpdir=tmp).start(base)
    wait_until(lambda: status(base)["outputs"][0]["cursor"] >= 3000, what="cursor at 3000")
    assert d.stop() == 0
    js = JetStream(nats.url)
    info = js.stream_info("PARLEY_IT")
    assert info["config"]["subjects"] == ["parley.events.>"]
    assert info["config"]["duplicate_window"] == 600 * 10**9
    msgs = js.messages("PARLEY_IT")
    js.close()
    ids = [h["Nats-Msg-Id"] for _, h, _ in msgs]
    assert ids == [f"test:tc1-{n}" for n in range(3000)]  # in order, once
    for subject, hdrs, ev in msgs:
        assert ev["id"] == hdrs["Nats-Msg-Id"]
        assert subject == f"parley.events.{ev['platform']}.{ev['kind']}"
    assert {s for s, _, _ in msgs} == {"parley.events.test.mention",
                                       "parley.events.test.direct_message",
                                       "parley.events.test.outbound"}


def test_a_redelivered_event_is_dropped_by_the_stream(tmp, nats):
    """Journal cursor reset by hand = the router redelivers everything; the
    stream keeps one copy of each id (Nats-Msg-Id dedup) and says so."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    text = config(tmp, port, nats.url, count=500)
    d = Parleyd(text, tmpdir=tmp).start(base)
    wait_until(lambda: status(base)["outputs"][0]["cursor"] >= 500, what="cursor at 500")
    assert d.stop() == 0
    import sqlite3
    db = sqlite3.connect(f"{tmp}/parley.journal")
    tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
    assert "cursors" in tables
    db.execute("delete from cursors")
    db.commit()
    db.close()
    d = Parleyd(text, tmpdir=tmp).start(base)
    wait_until(lambda: status(base)["outputs"][0]["delivered"] >= 500, what="500 redelivered")
    assert d.stop() == 0
    js = JetStream(nats.url)
    assert js.stream_info("PARLEY_IT")["state"]["messages"] == 500
    js.close()


def test_the_subject_prefix_is_configurable_and_an_existing_stream_is_used(tmp, nats):
    js = JetStream(nats.url)
    r = js.request("$JS.API.STREAM.CREATE.CARE", {"name": "CARE", "subjects": ["care.>"],
                                                  "storage": "memory"})
    assert "error" not in r, r
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    text = config(tmp, port, nats.url, count=10, kinds="[comment]",
                  opts="      subject_prefix: care.in\n", stream="CARE", create="false")
    d = Parleyd(text, tmpdir=tmp).start(base)
    wait_until(lambda: status(base)["outputs"][0]["cursor"] >= 10, what="cursor at 10")
    assert d.stop() == 0
    msgs = js.messages("CARE")
    js.close()
    assert [s for s, _, _ in msgs] == ["care.in.test.comment"] * 10


def test_without_a_stream_nothing_counts_as_delivered(tmp, nats):
    """No stream captures the subjects: the server answers no-responders,
    the output is failing and its cursor stays at 0."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    text = config(tmp, port, nats.url, count=20, create="false")
    d = Parleyd(text, tmpdir=tmp).start(base)
    wait_until(lambda: status(base)["outputs"][0]["state"] == "failing", what="failing")
    st = status(base)["outputs"][0]
    assert st["cursor"] == 0 and "not acknowledged" in st["last_error"]
    d.stop()


def test_credentials_work_and_never_appear_in_logs_or_errors(tmp):
    srv = NatsServer(os.path.join(tmp, "js"), ["--user", "parley", "--pass", "pw-Geheim-42"])
    srv.start()
    try:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        good = config(tmp, port, srv.url, count=5,
                      opts="      user: parley\n      password: pw-Geheim-42\n")
        d = Parleyd(good, tmpdir=tmp).start(base)
        wait_until(lambda: status(base)["outputs"][0]["cursor"] >= 5, what="cursor at 5")
        assert d.stop() == 0
        bad = good.replace("password: pw-Geheim-42", "password: pw-Falsch-17").replace(
            "count: 5", "count: 10")
        d = Parleyd(bad, tmpdir=tmp).start(base)
        wait_until(lambda: status(base)["outputs"][0]["state"] == "failing", what="failing")
        st = http("GET", f"{base}/v1/status")[2].decode()
        d.stop()
        logs = d.logs()
        for secret in ("pw-Geheim-42", "pw-Falsch-17"):
            assert secret not in logs and secret not in st
    finally:
        srv.stop()


def test_check_config_refuses_bad_nats_options(tmp):
    from parley_it import run_parleyd
    port = free_port()
    for opts, msg in [("      max_inflight: 0\n", "max_inflight"),
                      ("      subject_prefix: 'a..b'\n", "subject_prefix"),
                      ("      stream: 'a.b'\n", "stream")]:
        path = os.path.join(tmp, "bad.yaml")
        with open(path, "w") as f:
            f.write(config(tmp, port, "nats://127.0.0.1:1", opts=opts))
        r = run_parleyd("--check-config", path)
        assert r.returncode != 0 and msg in r.stderr + r.stdout, r.stderr + r.stdout
