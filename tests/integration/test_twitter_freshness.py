"""Freshness of the Twitter connector's paths, measured from the simulator's
creation stamp (created_ms, which becomes the event's created_at) to the
moment parleyd accepted the event (received_at). Prints p50/p99/max per path;
asserts only what arrived (every tweet once, the rate limit never exceeded),
never how fast. Run with -s to see the figures."""
import os
import time

from parley_it import Parleyd, event_ms, free_port, http, wait_until
from test_twitter import BRAND, USERS, Sim, config, customer_ids, events, metric, tweet


def figures(name, evs, ids):
    lat = sorted(event_ms(e["received_at"]) - event_ms(e["created_at"]) for e in evs if e["id"] in ids)
    pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
    line = (f"twitter freshness {name}: n={len(lat)} p50={pick(0.5):.0f} ms "
            f"p99={pick(0.99):.0f} ms max={lat[-1]:.0f} ms")
    print("\n" + line)
    out = os.environ.get("PARLEY_FIGURES")
    if out:
        with open(out, "a") as f:
            f.write(line + "\n")


def run(tmp, sources, n, spacing, sim_args=(), hook=False, extra=""):
    sim = Sim(tmp, *sim_args)
    try:
        port = free_port()
        d = Parleyd(config(tmp, port, sim, sources, extra), tmpdir=tmp).start(
            f"http://127.0.0.1:{port}")
        if hook:
            sim.post("/_sim/webhook-target", {"platform": "twitter",
                                              "url": f"http://127.0.0.1:{port}/hooks/tw"})
            wait_until(lambda: [w for w in sim.get("/_sim/webhooks?platform=twitter")["deliveries"]
                                if w.get("kind") == "crc" and w.get("valid")], 30, what="CRC")
        if "stream" in sources:
            wait_until(lambda: metric(port, "twitter_stream_connected") == 1, 30, what="stream")
        # let the first polls take the scenario's items, so only new ones count
        ids = set()
        for i in range(n):
            item = sim.post("/_sim/items", tweet(f"f{i}", USERS[i % 4][1], f"@acme question {i}"))
            ids.add("twitter:" + item["id"])
            time.sleep(spacing)
        wait_until(lambda: ids <= set(customer_ids(tmp)), 120, what=f"{n} tweets")
        got = customer_ids(tmp)
        assert len(got) == len(set(got))
        failures = metric(port, "twitter_poll_failures_total")
        assert d.stop() == 0
        assert "HTTP 429" not in d.logs() and failures == 0, "the rate limit was exceeded"
        return events(tmp), ids
    finally:
        sim.stop()


def test_stream_freshness(tmp_path):
    evs, ids = run(str(tmp_path), ["stream"], 200, 0.01)
    figures("stream", evs, ids)


def test_webhook_freshness(tmp_path):
    evs, ids = run(str(tmp_path), ["webhook"], 200, 0.01, hook=True)
    figures("webhook", evs, ids)


def test_polling_freshness_at_the_documented_rate_limit(tmp_path):
    # the user bucket of GET /2/users/:id/mentions: 300 calls / 15 min as
    # documented (no scaling): the scheduler spreads them, one call per 3 s
    evs, ids = run(str(tmp_path), ["mentions"], 40, 0.5,
                   sim_args=("--rate-limit-scale", "1"))
    figures("mentions poll (300/15 min)", evs, ids)
