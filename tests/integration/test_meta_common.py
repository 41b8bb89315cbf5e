"""What the Facebook and Instagram connectors share (plugins/meta/), shown on
the real parleyd with the real facebook.so / instagram.so against the real
parley-sim; plus the helpers test_facebook.py and test_instagram.py use.

No test here depends on timing: every wait is for a condition."""
import hashlib
import hmac
import json
import os
import re
import subprocess
import urllib.parse

import pytest

from parley_it import Parleyd, PLUGIN_DIR, free_port, http, read_ndjson, wait_until

SIM = os.environ.get("PARLEY_SIM", "parley-sim")

APP_SECRET = "it-meta-app-secret-5f3a"
VERIFY_TOKEN = "it-meta-verify-token-9c1d"
FB_TOKEN = "it-fb-page-token-77aa"
IG_TOKEN = "it-ig-token-88bb"
SECRETS = [APP_SECRET, VERIFY_TOKEN, FB_TOKEN, IG_TOKEN]

PAGE1, PAGE2, PAGE3 = "104000000000001", "104000000000002", "104000000000003"
IG1, IG2 = "17841400000000001", "17841400000000002"
JANA, PIETER, EMILY = "7100000000000001", "7100000000000002", "7100000000000003"
IG_JANA, IG_PIETER = "6789012345678901", "6789012345678902"


def scenario():
    """Three Pages of one Meta app (two served by one instance, one by
    another), two IG accounts of the same app, customers, a post per Page
    and a media per IG account."""
    fb_users = [
        {"platform": "facebook", "id": JANA, "handle": "jana.krueger", "name": "Jana Krüger"},
        {"platform": "facebook", "id": PIETER, "handle": "pieter.devries", "name": "Pieter de Vries"},
        {"platform": "facebook", "id": EMILY, "handle": "emily.chen", "name": "Emily Chen"},
    ]
    ig_users = [
        {"platform": "instagram", "id": IG_JANA, "handle": "jana_k", "name": "Jana"},
        {"platform": "instagram", "id": IG_PIETER, "handle": "pieter_dv", "name": "Pieter"},
    ]
    meta = {"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN}
    return {
        "platforms": {
            "facebook": dict(meta, account={"id": PAGE1, "handle": "acme", "name": "Acme"},
                             pages=[{"id": PAGE2, "handle": "acme.nl", "name": "Acme NL"},
                                    {"id": PAGE3, "handle": "acme.de", "name": "Acme DE"}],
                             tokens=[{"token": FB_TOKEN, "kind": "page"}]),
            "instagram": dict(meta, account={"id": IG1, "handle": "acme.store", "name": "Acme"},
                              accounts=[{"id": IG2, "handle": "acme.store.nl",
                                         "name": "Acme NL"}],
                              tokens=[{"token": IG_TOKEN, "kind": "page"}]),
        },
        "users": fb_users + ig_users,
        "items": [
            {"platform": "facebook", "type": "post", "ref": "p1", "author_id": PAGE1,
             "account_id": PAGE1, "at": -7200, "text": "Autumn sale!"},
            {"platform": "facebook", "type": "post", "ref": "p2", "author_id": PAGE2,
             "account_id": PAGE2, "at": -7100, "text": "Herfstuitverkoop!"},
            {"platform": "facebook", "type": "post", "ref": "p3", "author_id": PAGE3,
             "account_id": PAGE3, "at": -7000, "text": "Herbstschlussverkauf!"},
            {"platform": "instagram", "type": "media", "ref": "m1", "author_id": IG1,
             "account_id": IG1, "at": -7000, "text": "New colours just dropped"},
            {"platform": "instagram", "type": "media", "ref": "m2", "author_id": IG2,
             "account_id": IG2, "at": -6900, "text": "Nieuwe kleuren!"},
        ],
    }


class Sim:
    """One parley-sim on a free port with the scenario above."""

    def __init__(self, tmp, *extra):
        path = os.path.join(tmp, "scenario.json")
        with open(path, "w") as f:
            json.dump(scenario(), f)
        self.err = open(os.path.join(tmp, "sim.log"), "w")
        self.proc = subprocess.Popen([SIM, "--listen", "127.0.0.1:0", "--scenario", path, *extra],
                                     stdout=subprocess.PIPE, stderr=self.err, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("parley-sim listening on 127.0.0.1:"), line
        self.base = "http://127.0.0.1:%d" % int(line.rsplit(":", 1)[1])

    def call(self, method, path, body=None):
        s, _, b = http(method, self.base + path, json.dumps(body) if body is not None else None,
                       {"Content-Type": "application/json"})
        return s, (json.loads(b) if b else None)

    def item(self, **kw):
        s, it = self.call("POST", "/_sim/items", kw)
        assert s == 201, it
        return it

    def items(self, platform, type_=None):
        q = "platform=" + platform + ("&type=" + type_ if type_ else "")
        return self.call("GET", "/_sim/items?" + q)[1]["items"]

    def find(self, platform, ref):
        for it in self.items(platform):
            if it.get("ref") == ref:
                return it
        raise KeyError(ref)

    def target(self, platform, url):
        s, b = self.call("POST", "/_sim/webhook-target", {"platform": platform, "url": url})
        assert s in (200, 201), b

    def deliveries(self, platform):
        return self.call("GET", "/_sim/webhooks?platform=" + platform)[1]

    def sent(self, platform):
        return self.call("GET", "/_sim/sent?platform=" + platform)[1]["sent"]

    def stop(self):
        self.proc.terminate()
        assert self.proc.wait(30) == 0
        self.err.close()


def ig_yaml(sim, name, account, interval, verify=True):
    hub = f"\n      verify_token: {VERIFY_TOKEN}" if verify else ""
    return f"""
  - name: {name}
    plugin: instagram
    options:
      base_url: {sim.base}/instagram
      app_secret: {APP_SECRET}{hub}
      accounts: ["{account}"]
      access_token: {IG_TOKEN}
      backfill_interval: {interval}
"""


def connectors_yaml(sim, fb=True, ig=True, interval="1s", ig2=False):
    out = ""
    if fb:
        out += f"""
  - name: fb
    plugin: facebook
    options:
      base_url: {sim.base}/facebook
      app_secret: {APP_SECRET}
      verify_token: {VERIFY_TOKEN}
      pages: ["{PAGE1}", "{PAGE2}"]
      page_access_token: {FB_TOKEN}
      backfill_interval: {interval}
      include_raw: true
  - name: fb_de
    plugin: facebook
    options:
      base_url: {sim.base}/facebook
      app_secret: {APP_SECRET}
      pages: ["{PAGE3}"]
      page_access_token: {FB_TOKEN}
      backfill_interval: {interval}
"""
    if ig:
        out += ig_yaml(sim, "ig", IG1, interval)
    if ig2:  # the app's second IG account, served by an instance of its own
        out += ig_yaml(sim, "ig_nl", IG2, interval, verify=False)
    return out


def parleyd_config(tmp, port, connectors, max_body=None):
    body = f"\n  max_body: {max_body}" if max_body else ""
    return f"""
router:
  listen: 127.0.0.1:{port}
  plugin_dir: {PLUGIN_DIR}
  journal: {tmp}/parley.journal
  log_level: debug{body}
connectors:{connectors}
outputs:
  - name: all
    type: ndjson
    options:
      path: {tmp}/all.ndjson
routes:
  - outputs: all
"""


class Stack:
    """parley-sim + parleyd wired together: the simulator's webhooks for
    each platform go to /hooks/<instance> (after its hub.challenge check)."""

    def __init__(self, tmp, fb=True, ig=True, interval="1s", sim_args=(), max_body=None,
                 ig2=False):
        self.tmp = tmp
        self.sim = Sim(tmp, *sim_args)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.text = parleyd_config(tmp, self.port,
                                   connectors_yaml(self.sim, fb, ig, interval, ig2), max_body)
        self.d = Parleyd(self.text, tmpdir=tmp).start(self.base)
        if fb:
            self.sim.target("facebook", self.base + "/hooks/fb")
            self.wait_verified("facebook")
        if ig:
            self.sim.target("instagram", self.base + "/hooks/ig")
            self.wait_verified("instagram")

    def wait_verified(self, platform):
        wait_until(lambda: any(d.get("kind") == "verify_result" and d.get("ok")
                               for d in self.sim.deliveries(platform)["deliveries"]),
                   what=platform + " hub.challenge verification")

    def events(self):
        return read_ndjson(os.path.join(self.tmp, "all.ndjson"))

    def event(self, ev_id, timeout=30):
        return wait_until(lambda: next((e for e in self.events() if e["id"] == ev_id), None),
                          timeout, what="event " + ev_id)

    def metric(self, name, instance):
        s, _, b = http("GET", self.base + "/metrics")
        for line in b.decode().splitlines():
            if line.startswith(name + "{") and f'"{instance}"' in line:
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def restart(self, kill9=False, meanwhile=None):
        """Stop parleyd (SIGTERM, or kill -9 when kill9), call meanwhile()
        if given, and start it again on the same config and journal."""
        if kill9:
            self.d.kill9()
        else:
            assert self.d.stop() == 0
        if meanwhile:
            meanwhile()
        self.d = Parleyd(self.text, tmpdir=self.tmp).start(self.base)

    def hook(self, instance, envelope):
        """POST an envelope signed with the app secret, as Meta does, to
        /hooks/<instance>; returns the HTTP status."""
        body = json.dumps(envelope)
        return http("POST", f"{self.base}/hooks/{instance}", body,
                    {"X-Hub-Signature-256": sign(body), "Content-Type": "application/json"})[0]

    def action(self, **kw):
        doc = dict({"schema": "parley.action.v1"}, **kw)
        s, _, b = http("POST", self.base + "/v1/actions", json.dumps(doc))
        return s, json.loads(b)

    def close(self):
        code = self.d.stop()
        self.sim.stop()
        logs = self.d.logs()
        for secret in SECRETS:
            assert secret not in logs, "a secret reached parleyd's log"
        assert code == 0, logs


def webhook_only_fb_yaml(name="fb"):
    """A facebook instance for tests that need only its webhooks: its Graph
    API base_url is a closed port, so the back-fill fails quietly."""
    return f"""connectors:
  - name: {name}
    plugin: facebook
    options:
      base_url: http://127.0.0.1:{free_port()}/facebook
      app_secret: {APP_SECRET}
      verify_token: {VERIFY_TOKEN}
      pages: ["{PAGE1}"]
      page_access_token: {FB_TOKEN}
      backfill_interval: 1h
"""


def fb_comment_delivery(n, text, page=PAGE1, secret=APP_SECRET):
    """(body, headers) of Facebook delivery n, signed with secret: one new
    comment on page's post 900, with its own id, its own author of 997 and
    text, in the shape Meta sends. For load, crash and soak runs."""
    t = 1764000000 + n // 100
    body = json.dumps({"object": "page", "entry": [{"id": page, "time": t, "changes": [{
        "field": "feed", "value": {
            "item": "comment", "verb": "add", "post_id": f"{page}_900",
            "parent_id": f"{page}_900", "comment_id": f"900_{n}",
            "from": {"id": str(7100000000000000 + n % 997), "name": "Kunde"},
            "message": text, "created_time": t}}]}]}, separators=(",", ":"))
    return body, {"X-Hub-Signature-256": sign(body, secret), "Content-Type": "application/json"}


def sign(body, secret=APP_SECRET):
    return "sha256=" + hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def tmp(tmp_path):
    return str(tmp_path)


def test_subscription_check_answers_the_challenge_only_with_the_verify_token(tmp):
    st = Stack(tmp, ig=False)
    try:
        q = urllib.parse.urlencode({"hub.mode": "subscribe", "hub.challenge": "1158201444",
                                    "hub.verify_token": VERIFY_TOKEN})
        s, h, b = http("GET", f"{st.base}/hooks/fb?{q}")
        assert (s, b) == (200, b"1158201444")
        bad = q.replace(VERIFY_TOKEN, "not-the-token")
        assert http("GET", f"{st.base}/hooks/fb?{bad}")[0] == 403
        # an instance without verify_token refuses every check
        assert http("GET", f"{st.base}/hooks/fb_de?{q}")[0] == 403
        assert st.metric("facebook_webhook_verify_refused_total", "fb") == 1
    finally:
        st.close()


def test_config_errors_name_the_option(tmp):
    port = free_port()
    text = parleyd_config(tmp, port, f"""
  - name: fb
    plugin: facebook
    options:
      app_secret: x
      pages: ["12x"]
      page_access_token: y
""")
    path = os.path.join(tmp, "p.yaml")
    with open(path, "w") as f:
        f.write(text)
    from parley_it import run_parleyd
    r = run_parleyd("--check-config", path)
    out = r.stdout + r.stderr
    assert r.returncode != 0 and re.search(r"pages\[0\]: '12x' is not a numeric id", out), out
