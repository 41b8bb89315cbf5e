#!/usr/bin/env python3
"""Record the seed corpora of fuzz/corpus/ from real traffic (docs/fuzzing.md).

    fuzz/record_corpus.py <build-dir> [<corpus-dir>] [--no-sim]

Runs parley-sim (the demo scenario) and parleyd with all five connectors,
with a recording proxy between them in both directions:
  parleyd --API calls--> proxy /api/<platform>/... --> parley-sim
  parley-sim --webhooks--> proxy /hooks/<instance>  --> parleyd
then posts new items, injects the simulator's faults (429 with each
platform's headers, 5xx, truncated and invalid-UTF-8 JSON, duplicates,
out-of-order pages, expired tokens) and writes what it saw as seeds:
  api_<platform>/      chains of API responses in the fuzz_host.h format
  webhook_<platform>/  the webhook requests (unsigned: the target signs;
                       plus a few with the simulator's own signature, which
                       the target's secret does not match: the raw mode)
  sdk_json/, sdk_text/ response bodies, response header blocks
  event_json/          events parleyd wrote (ndjson output)
and, without the simulator:
  the JSON examples of the platforms' documentation ($PARLEY_PLATFORM_DOCS,
  default /work/shared/platforms) as webhook bodies, API responses and
  sdk_json documents, by their shape;
  the test generator's events, actions and broken events (build/tests/gen_events);
  the repository's config files, YAML and JSON (config_yaml, config_json).
Files are named by a hash of their content ("rec-", "doc-", "gen-", "cfg-"),
so a second run adds only what is new. Bodies are shortened (arrays cut to 3
items) so seeds stay small. The hand-written seeds ("hand-*") and the
regression inputs of fixed bugs ("crash-*") are not made here."""
import hashlib
import http.server
import json
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.request

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
BUILD = os.path.abspath(ARGS[0] if ARGS else "build")
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.abspath(ARGS[1] if len(ARGS) > 1 else os.path.join(HERE, "corpus"))
os.environ.setdefault("PARLEYD", os.path.join(BUILD, "core", "parleyd"))
os.environ.setdefault("PARLEY_SIM", os.path.join(BUILD, "sdk", "sim", "parley-sim"))
os.environ.setdefault("PARLEY_PLUGIN_DIR", os.path.join(BUILD, "plugins"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import parley_it as it  # noqa: E402

PLATFORMS = ["twitter", "facebook", "instagram", "linkedin", "tiktok"]
INSTANCE = {"twitter": "tw", "facebook": "fb", "instagram": "ig", "linkedin": "li", "tiktok": "tt"}
KEEP_HEADERS = re.compile(r"^(content-type|retry-after|x-rate-limit-.*|x-ratelimit-.*|"
                          r"x-app-limit-.*|x-user-limit-.*|x-app-usage|x-page-usage|"
                          r"x-business-use-case-usage|x-restli-id|x-li-.*|location|"
                          r"x-twitter-webhooks-signature|x-hub-signature-256|x-li-signature|"
                          r"tiktok-signature|x-test-.*)$", re.I)
SIGNATURES = {"twitter": "x-twitter-webhooks-signature", "facebook": "x-hub-signature-256",
              "instagram": "x-hub-signature-256", "linkedin": "x-li-signature",
              "tiktok": "tiktok-signature"}

api_log = []      # (platform, method, path+query, status, headers, body)
hook_log = []     # (platform, method, subpath+query, headers, body)
lock = threading.Lock()
parleyd_base = None
sim_base = None


def shorten(v, depth=0):
    if isinstance(v, list):
        return [shorten(x, depth + 1) for x in v[:3]]
    if isinstance(v, dict):
        return {k: shorten(x, depth + 1) for k, x in v.items()}
    if isinstance(v, str) and len(v) > 300 and not v.lstrip().startswith("{"):
        return v[:300]
    return v


def short_body(body):
    """A JSON body with arrays cut to 3 items (re-encoded compactly); other
    bodies (truncated, invalid UTF-8: the faults) cut to 2 KiB as they are."""
    try:
        return json.dumps(shorten(json.loads(body)), ensure_ascii=False,
                          separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        return body[:2048]


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _forward(self):
        n = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(n) if n else b""
        if self.path.startswith("/api/"):
            target, platform = sim_base + self.path[4:], self.path.split("/")[2]
        elif self.path.startswith("/hooks/"):
            target = parleyd_base + self.path
            name = self.path.split("/")[2].split("?")[0]
            platform = {v: k for k, v in INSTANCE.items()}.get(name, name)
        else:
            self.send_error(404)
            return
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "content-length", "connection")}
        req = urllib.request.Request(target, data=body if body or self.command in ("POST", "PUT")
                                     else None, method=self.command, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, rh, rb = r.status, list(r.headers.items()), r.read()
        except urllib.error.HTTPError as e:
            status, rh, rb = e.code, list(e.headers.items()), e.read()
        except OSError:
            status, rh, rb = 502, [], b"proxy: no answer"
        with lock:
            if self.path.startswith("/api/"):
                sub = self.path[len("/api/" + platform):]
                api_log.append((platform, self.command, sub, status,
                                [(k, v) for k, v in rh if KEEP_HEADERS.match(k)], rb))
            else:
                sub = self.path[len("/hooks/" + INSTANCE.get(platform, platform)):]
                hook_log.append((platform, self.command, sub,
                                 [(k, v) for k, v in self.headers.items()
                                  if KEEP_HEADERS.match(k)], body))
        self.send_response(status)
        for k, v in rh:
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("content-length", str(len(rb)))
        self.end_headers()
        self.wfile.write(rb)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward


def connectors(p):
    return f"""connectors:
  - name: tw
    plugin: twitter
    options:
      base_url: {p}/api/twitter
      account_id: "2244994945"
      account_handle: acme
      bearer_token: tw-app-bearer
      user_access_token: tw-user-token
      refresh_token: tw-refresh-token
      client_id: sim-twitter-client-id
      consumer_secret: sim-twitter-consumer-secret
      sources: [mentions, search, dms, webhook]
      search_queries: ["acme -from:acme"]
      poll_floor: 1s
      poll_interval: 2s
  - name: fb
    plugin: facebook
    options:
      base_url: {p}/api/facebook
      app_secret: sim-meta-app-secret
      verify_token: sim-verify-token
      pages: ["104000000000001"]
      page_access_token: fb-page-token
      backfill_interval: 3s
  - name: ig
    plugin: instagram
    options:
      base_url: {p}/api/instagram
      app_secret: sim-meta-app-secret
      verify_token: sim-verify-token
      accounts: ["17841400000000001"]
      access_token: ig-page-token
      backfill_interval: 3s
  - name: li
    plugin: linkedin
    options:
      base_url: {p}/api/linkedin
      organization: urn:li:organization:5515715
      access_token: li-member-token
      client_secret: sim-linkedin-client-secret
      sources: [comments, mentions, webhook]
      poll_interval: 2s
      poll_floor: 1s
  - name: tt
    plugin: tiktok
    options:
      base_url: {p}/api/tiktok
      business_id: "-000acmebusiness"
      account_handle: acme
      access_token: act.sim-tiktok-token
      client_secret: sim-tiktok-client-secret
      poll_interval: 2s
      poll_floor: 1s
"""


NEW_ITEMS = [
    {"platform": "twitter", "type": "tweet", "author": "jana_k", "lang": "de",
     "text": "@acme meine Skates sind nach zwei Tagen kaputt \U0001F620 #acmehelp"},
    {"platform": "twitter", "type": "dm", "author": "jana_k", "recipient": "acme",
     "text": "Bestellnummer 5512, bitte um R\u00fcckruf"},
    {"platform": "facebook", "type": "comment", "author": "jana.krueger", "parent_ref": "fb-post-1",
     "text": "Wo bleibt meine Lieferung?"},
    {"platform": "facebook", "type": "message", "author": "pieter.devries", "recipient": "acme",
     "text": "Mijn pakket is niet aangekomen"},
    {"platform": "facebook", "type": "mention", "author": "emily.chen", "text": "Thanks @Acme!"},
    {"platform": "instagram", "type": "comment", "author": "lotte.bakes", "parent_ref": "ig-media-1",
     "text": "Wanneer is de levering? \U0001F60D"},
    {"platform": "instagram", "type": "message", "author": "lotte.bakes", "recipient": "acme.store",
     "text": "Hoi, waar blijft mijn bestelling?"},
    {"platform": "instagram", "type": "mention", "author": "sam.okafor",
     "text": "Loving my skates from @acme.store"},
    {"platform": "linkedin", "type": "comment", "author": "emily-chen", "parent_ref": "li-post-1",
     "text": "Is the Berlin role still open?"},
    {"platform": "tiktok", "type": "comment", "author": "lottebakt", "parent_ref": "tt-video-1",
     "text": "Die van mij piepen nog steeds \U0001F629"},
]
FAULTS = ["status429", "status5xx", "truncated", "invalid_utf8", "duplicate", "out_of_order",
          "expire_token"]


def sim_call(method, path, doc):
    return it.http(method, sim_base + path, json.dumps(doc),
                   {"content-type": "application/json"})


def write(target, data, prefix="rec"):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = prefix + "-" + hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def response_seed(entry):
    _, method, sub, status, headers, body = entry
    path = sub.split("?")[0]
    head = "".join(f"{k}: {v}\n" for k, v in headers if k.lower() != "content-type" or
                   "json" not in v)
    return f"{status} {path}\n{head}\n".encode() + short_body(body)


def write_api_seeds():
    for p in PLATFORMS:
        log = [e for e in api_log if e[0] == p]
        seen = set()
        for e in log:  # one seed per distinct endpoint and status
            key = (e[2].split("?")[0], e[3], e[5][:16])
            if key not in seen:
                seen.add(key)
                write(f"api_{p}", response_seed(e))
        for i in range(0, len(log), 6):  # and chains in the order they came
            chain = b"\n--\n".join(response_seed(e) for e in log[i:i + 6])
            if len(chain) < 16384:
                write(f"api_{p}", chain)
        for e in log:
            write("sdk_json", short_body(e[5]))
            if e[4]:
                write("sdk_text", "".join(f"{k}: {v}\n" for k, v in e[4]).encode())


def write_hook_seeds():
    for p, method, sub, headers, body in hook_log:
        sig = SIGNATURES[p]
        head = [(k, v) for k, v in headers if k.lower() != sig]
        line = f"{method} {sub}\n".encode()
        text = "".join(f"{k}: {v}\n" for k, v in head).encode()
        write(f"webhook_{p}", line + text + b"\n" + body)
        if method == "POST" and hashlib.sha1(body).digest()[0] < 64:  # about a quarter
            raw = "".join(f"{k}: {v}\n" for k, v in headers).encode()
            write(f"webhook_{p}", line + raw + b"\n" + body)
        if body:
            write("sdk_json", short_body(body))


def write_events(path):
    seen = set()
    for ev in it.read_ndjson(path):
        key = (ev.get("platform"), ev.get("kind"), ev.get("visibility"), "raw" in ev)
        if key in seen:
            continue
        seen.add(key)
        write("event_json", json.dumps(ev, ensure_ascii=False, separators=(",", ":")).encode())


def record_stream():
    """The filtered stream's rules and a few seconds of the stream itself,
    as one api_twitter chain (rules GET, rules POST, rules GET, stream)."""
    auth = {"authorization": "Bearer tw-app-bearer", "content-type": "application/json"}
    base = sim_base + "/twitter/2/tweets/search/stream"
    chain = []
    st, _, body = it.http("GET", base + "/rules", None, auth)
    chain.append(f"{st} /stream/rules\n\n".encode() + body)
    st, _, body = it.http("POST", base + "/rules",
                          json.dumps({"add": [{"value": "@acme", "tag": "parley:fuzz"}]}), auth)
    chain.append(f"{st} /stream/rules\n\n".encode() + body)
    st, _, body = it.http("GET", base + "/rules", None, auth)
    chain.append(f"{st} /stream/rules\n\n".encode() + body)
    req = urllib.request.Request(base + "?tweet.fields=created_at,author_id,conversation_id"
                                 "&expansions=author_id", headers=auth)
    lines = b""
    with urllib.request.urlopen(req, timeout=3) as r:
        for item in NEW_ITEMS[:1]:
            sim_call("POST", "/_sim/items", dict(item, text=item["text"] + " (stream)"))
        try:
            while len(lines) < 4000:
                line = r.readline()
                if not line:
                    break
                lines += line
        except OSError:
            pass
    chain.append(b"200 stream?\n\n" + lines)
    write("api_twitter", b"\n--\n".join(chain))


DOCS = os.environ.get("PARLEY_PLATFORM_DOCS", "/work/shared/platforms")
SHAPES = [  # (test on the parsed document, targets it seeds)
    (lambda j: j.get("object") == "page", ["webhook_facebook"]),
    (lambda j: j.get("object") == "instagram", ["webhook_instagram"]),
    (lambda j: "for_user_id" in j or "tweet_create_events" in j or
     "direct_message_events" in j, ["webhook_twitter"]),
    (lambda j: "notifications" in j, ["webhook_linkedin"]),
    (lambda j: "event" in j and ("content" in j or "client_key" in j), ["webhook_tiktok"]),
]
DOC_API = {"twitter.md": "api_twitter", "facebook.md": "api_facebook",
           "instagram.md": "api_instagram", "linkedin.md": "api_linkedin",
           "tiktok.md": "api_tiktok"}


def write_doc_seeds():
    """Every ```json block of the platform notes: into sdk_json as it is
    (broken ones too); parsed ones by shape into a webhook target (as a
    POST) or else into the platform's api target (as a 200 answer to the
    oldest waiting request)."""
    if not os.path.isdir(DOCS):
        print(f"no platform docs at {DOCS}: skipped")
        return
    for name in sorted(os.listdir(DOCS)):
        if not name.endswith(".md"):
            continue
        text = open(os.path.join(DOCS, name), encoding="utf-8").read()
        for block in re.findall(r"```json\s*\n(.*?)```", text, re.S):
            raw = block.strip()
            data = raw.encode()
            write("sdk_json", data, "doc")
            try:
                j = json.loads(raw)
            except ValueError:
                continue
            hooks = [t for test, targets in SHAPES if isinstance(j, dict) and test(j)
                     for t in targets]
            for t in hooks:
                write(t, b"POST \nContent-Type: application/json\n\n" + data, "doc")
            if not hooks and name in DOC_API:
                write(DOC_API[name], b"200 \n\n" + data, "doc")


def write_generated():
    gen = os.path.join(BUILD, "tests", "gen_events")
    if not os.path.exists(gen):
        print(f"no {gen}: generated events and actions skipped")
        return
    import subprocess
    for what, target in (("events", "event_json"), ("broken-events", "event_json"),
                         ("actions", "action_json"), ("results", "action_json")):
        out = subprocess.run([gen, what], capture_output=True, check=True).stdout
        for line in out.splitlines()[:24]:
            if line.strip():
                write(target, line, "gen")


def write_configs():
    root = os.path.join(HERE, "..")
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(("build", ".", "node_modules", "corpus"))]
        for f in files:
            path = os.path.join(dirpath, f)
            if f.endswith((".yaml", ".yml")):
                target = "config_yaml"
            elif f.endswith(".json") and ("config" in dirpath or "conformance" in dirpath):
                target = "config_json"
            else:
                continue
            data = open(path, "rb").read()
            if len(data) < 16384:
                write(target, data, "cfg")
                if target == "config_yaml":
                    try:
                        import yaml
                        doc = yaml.safe_load(data)
                        write("config_json", json.dumps(doc, indent=1).encode(), "cfg")
                    except Exception:  # noqa: BLE001 (a template with ${} is fine to skip)
                        pass


def main():
    global parleyd_base, sim_base
    write_doc_seeds()
    write_generated()
    write_configs()
    if "--no-sim" in sys.argv:
        return
    import tempfile
    tmp = tempfile.mkdtemp(prefix="parley-record-")
    sim = it.SimProcess(it.DEMO_SCENARIO, ["--rate-window-s", "60"], tmp)
    sim_base = sim.url
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    p = f"http://127.0.0.1:{proxy.server_address[1]}"
    port = it.free_port()
    parleyd_base = f"http://127.0.0.1:{port}"
    config = (it.router_yaml(tmp, port, os.environ["PARLEY_PLUGIN_DIR"],
                             "  default_output: all\n")
              + connectors(p)
              + f"outputs:\n  - name: all\n    type: ndjson\n    options:\n"
                f"      path: {tmp}/all.ndjson\n")
    d = it.Parleyd(config, tmpdir=tmp)
    try:
        d.start(wait_http=parleyd_base)
        for plat in PLATFORMS:
            sim_call("POST", "/_sim/webhook-target",
                     {"platform": plat, "url": f"{p}/hooks/{INSTANCE[plat]}"})
        time.sleep(5)
        for item in NEW_ITEMS:
            sim_call("POST", "/_sim/items", item)
        time.sleep(6)
        record_stream()
        for fault in FAULTS:
            for plat in PLATFORMS:
                sim_call("POST", "/_sim/faults", {"platform": plat, "path": "", "fault": fault})
            time.sleep(4)
            it.http("DELETE", sim_base + "/_sim/ratelimits")
        for item in NEW_ITEMS:
            sim_call("POST", "/_sim/items", dict(item, text=item["text"] + " (again)"))
        time.sleep(6)
    finally:
        d.stop()
        sim.stop()
        proxy.shutdown()
    write_api_seeds()
    write_hook_seeds()
    write_events(os.path.join(tmp, "all.ndjson"))
    print(f"recorded {len(api_log)} API responses, {len(hook_log)} webhook requests into {OUT}")


if __name__ == "__main__":
    main()
