#!/usr/bin/env python3
"""parley-sim, the generated week (scenario key "week", docs/simulator.md):
the number of customer messages, their spread over the hours of the day
(the demand curve), the languages, the brand replies (share, delays,
business hours, threading on every platform), VIP authors, determinism
with a seed, the replay delivery and its control calls, and clear errors.

Usage: test_sim_week.py [PARLEY_SIM [SCENARIO [TEXTS]]] [unittest args]
       (or PARLEY_SIM in the environment). SCENARIO is sdk/sim/scenarios/
week.json (its platforms are used), TEXTS the labelled sets (tests/data/care).
Standard library only; the Sim helper comes from test_sim_meta.py.
"""
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import unittest

import test_sim_meta as common
from test_sim_meta import Sim

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.join(HERE, "..", "..", "..", "sdk", "sim", "scenarios", "week.json")
TEXTS = os.path.join(HERE, "..", "..", "data", "care")
END = "2026-11-23T00:00:00Z"  # a Monday, midnight UTC: a fixed week
END_MS = 1795392000000
CURVE = [0.25, 0.15, 0.10, 0.08, 0.08, 0.12, 0.30, 0.60, 0.95, 1.25, 1.45, 1.50, 1.35, 1.20,
         1.15, 1.10, 1.10, 1.15, 1.25, 1.40, 1.45, 1.25, 0.85, 0.50]
WEEKDAYS = [1.05, 1.0, 1.0, 1.0, 0.95, 0.8, 0.75]
BRAND = {"twitter": "2244994945", "facebook": "104000000000001",
         "instagram": "17841400000000001", "linkedin": "5515715", "tiktok": "-000acmebusiness"}
POST_TYPE = {"facebook": "post", "instagram": "media", "linkedin": "post", "tiktok": "video"}


def scenario(tmp, name="week.json", with_items=False, **week):
    """week.json's platforms with the given week options, written to tmp."""
    with open(SCENARIO) as f:
        base = json.load(f)
    spec = {"days": 7, "end": END, "messages_per_day": 300, "texts": TEXTS, "seed": 11,
            "delivery": "history"}
    spec.update(week)
    sc = {"platforms": base["platforms"], "week": spec}
    if with_items:
        sc["users"], sc["items"] = base["users"], base["items"]
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        json.dump(sc, f)
    return path


def week_items(sim):
    items = [i for p in BRAND for i in sim.items(p) if i.get("week")]
    return sorted(items, key=lambda i: (i["created_ms"], i["platform"], int(i["id"]) if i["id"].isdigit() else 0))


def quantile(v, p):
    v = sorted(v)
    h = (len(v) - 1) * p
    lo = math.floor(h)
    return v[lo] if lo + 1 >= len(v) else v[lo] + (h - lo) * (v[lo + 1] - v[lo])


def correlation(a, b):
    ma, mb = statistics.fmean(a), statistics.fmean(b)
    num = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    return num / math.sqrt(sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b))


class WeekCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sim-week-")
        self.sims = []

    def tearDown(self):
        for s in self.sims:
            s.stop()

    def start(self, path, *extra):
        sim = Sim(*extra, scenario=path)
        self.sims.append(sim)
        return sim

    def week(self, sim):
        status, _, body = sim.json("GET", "/_sim/week")
        self.assertEqual(status, 200, body)
        return body


class Shape(WeekCase):
    """One week of 300 messages a day, in history mode: everything is there
    at once and can be read through the control API."""

    @classmethod
    def setUpClass(cls):
        cls.tmp_cls = tempfile.mkdtemp(prefix="sim-week-")
        cls.sim = Sim(scenario=scenario(cls.tmp_cls, languages={"en": 0.5, "de": 0.3, "nl": 0.2},
                                        vip_share=0.2))
        cls.items = week_items(cls.sim)
        cls.status = cls.sim.json("GET", "/_sim/week")[2]
        cls.byid = {(i["platform"], i["id"]): i for i in cls.items}

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def msgs(self):
        return [i for i in self.items if i.get("week_role") in ("message", "follow_up")]

    def replies(self):
        return [i for i in self.items if i.get("week_role") == "reply"]

    def test_count_and_period(self):
        msgs = self.msgs()
        self.assertEqual(len(msgs), 300 * 7)
        self.assertEqual(self.status["end"], "2026-11-23T00:00:00.000Z")
        self.assertEqual(self.status["start"], "2026-11-16T00:00:00.000Z")
        self.assertEqual(self.status["state"], "history")
        self.assertEqual(self.status["items"], len(self.items))
        for i in self.items:
            if i["week_role"] != "post":
                self.assertGreaterEqual(i["created_ms"], END_MS - 7 * 86400000, i)
            self.assertLess(i["created_ms"], END_MS, i)
        per = self.status["per_platform"]
        self.assertEqual(sum(v.get("messages", 0) + v.get("dm_messages", 0) for v in per.values()),
                         300 * 7)
        # every platform of the default mix gets messages, Twitter the most
        counts = {p: per[p].get("messages", 0) + per[p].get("dm_messages", 0) for p in BRAND}
        self.assertEqual(max(counts, key=counts.get), "twitter")
        self.assertTrue(all(c > 0 for c in counts.values()), counts)

    def test_hourly_curve(self):
        hist = [0] * 24
        for i in self.msgs():
            hist[(i["created_ms"] // 3600000) % 24] += 1
        # expected: the curve times the weekday weights over the week's hours
        want = [0.0] * 24
        for h in range(7 * 24):
            t = END_MS - 7 * 86400000 + h * 3600000
            weekday = ((t // 86400000) + 3) % 7  # 0 = Monday
            want[h % 24] += CURVE[h % 24] * WEEKDAYS[weekday]
        self.assertGreater(correlation(hist, want), 0.95, hist)
        night = sum(hist[2:5]) / 3
        peak = sum(hist[10:13]) / 3
        self.assertGreater(peak, 5 * night, hist)
        self.assertGreater(hist[20], 3 * hist[4], hist)  # the evening peak

    def test_languages_and_texts(self):
        msgs = self.msgs()
        share = {l: sum(1 for i in msgs if i["lang"] == l) / len(msgs) for l in ("en", "de", "nl")}
        self.assertAlmostEqual(sum(share.values()), 1.0)
        for lang, want in {"en": 0.5, "de": 0.3, "nl": 0.2}.items():
            self.assertAlmostEqual(share[lang], want, delta=0.08, msg=share)
        # texts come from the labelled sets, with their sentiment label
        texts = {}
        for lang in ("en", "de", "nl"):
            with open(os.path.join(TEXTS, lang + ".tsv")) as f:
                for line in f:
                    parts = line.rstrip("\n").split("\t")
                    if not line.startswith("#") and len(parts) == 3:
                        texts[parts[2]] = parts[1]
        for i in msgs:
            text = i["text"]
            if i["platform"] == "twitter" and i["type"] == "tweet" and text not in texts:
                self.assertTrue(text.startswith("@acme "), text)
                text = text[len("@acme "):]
            self.assertEqual(texts.get(text), i["week_sentiment"], i)
        sentiments = {s: sum(1 for i in msgs if i["week_sentiment"] == s) for s in ("neg", "neu", "pos")}
        self.assertTrue(all(n > 100 for n in sentiments.values()), sentiments)

    def test_reply_share_and_delays(self):
        firsts = [i for i in self.msgs() if i["week_role"] == "message"]
        replies = [r for r in self.replies()]
        share = len(replies) / len(self.msgs())
        # 0.85 answered, minus those whose answer would fall after the end
        self.assertGreater(share, 0.75)
        self.assertLess(share, 0.87)
        delays = []
        for r in replies:
            parent = self.answered(r)
            self.assertIsNotNone(parent, r)
            d = (r["created_ms"] - parent["created_ms"]) / 1000
            self.assertAlmostEqual(d, r["week_delay_s"], delta=1)
            self.assertGreaterEqual(d, 5)
            delays.append(d)
        # log-normal with median 1800 s and p90 10800 s (VIPs answered twice
        # as fast; the end cuts off some long ones)
        self.assertAlmostEqual(statistics.median(delays), 1800, delta=450)
        self.assertAlmostEqual(quantile(delays, 0.9), 10800, delta=3500)
        self.assertGreater(len(firsts), 1500)

    def answered(self, r):
        """The customer message a brand reply answers."""
        p = r["platform"]
        if r["type"] in ("dm", "message"):
            # the customer's latest DM before the reply
            cands = [i for i in self.msgs() if i["platform"] == p and i["author_id"] == r["recipient_id"]
                     and i["created_ms"] <= r["created_ms"] and i["type"] == r["type"]]
            return next((i for i in reversed(cands) if i["created_ms"] + r["week_delay_s"] * 1000
                         in range(r["created_ms"] - 1000, r["created_ms"] + 1000)), None)
        parent = self.byid.get((p, r["parent_id"]))
        if parent and parent.get("week_role") in ("message", "follow_up") and \
                abs(r["created_ms"] - parent["created_ms"] - r["week_delay_s"] * 1000) < 1000:
            return parent
        # comment platforms: a reply to a follow-up sits under the top-level comment
        kids = [i for i in self.msgs() if i["platform"] == p and i.get("parent_id") == r["parent_id"]
                and abs(r["created_ms"] - i["created_ms"] - r["week_delay_s"] * 1000) < 1000]
        return kids[0] if kids else None

    def test_threads_on_every_platform(self):
        for r in self.replies():
            p = r["platform"]
            self.assertEqual(r["author_id"], BRAND[p], r)
            self.assertTrue(r["from_brand"], r)
            if r["type"] in ("dm", "message"):
                self.assertIn(p, ("twitter", "facebook", "instagram"))
                self.assertNotEqual(r["recipient_id"], BRAND[p])
                continue
            parent = self.byid[(p, r["parent_id"])]
            self.assertEqual(parent["conversation_id"], r["conversation_id"], r)
            if p == "twitter":
                self.assertEqual(r["type"], "tweet")
                self.assertTrue(r["text"].startswith("@"), r)
            else:
                self.assertEqual(parent["type"], "comment", r)
                post = self.byid[(p, parent["parent_id"])]
                self.assertEqual(post["type"], POST_TYPE[p], r)  # two levels
        for m in self.msgs():
            p = m["platform"]
            if m["type"] == "comment":
                parent = self.byid[(p, m["parent_id"])]
                self.assertIn(parent["type"], (POST_TYPE[p], "comment"))
            elif m["type"] in ("dm", "message"):
                self.assertEqual(m["recipient_id"], BRAND[p])
            else:
                self.assertEqual((p, m["type"]), ("twitter", "tweet"))
                self.assertIn("@acme", m["text"])
        kinds = {(i["platform"], i["type"]) for i in self.replies()}
        for want in [("twitter", "tweet"), ("twitter", "dm"), ("facebook", "comment"),
                     ("facebook", "message"), ("instagram", "comment"), ("instagram", "message"),
                     ("linkedin", "comment"), ("tiktok", "comment")]:
            self.assertIn(want, kinds)

    def test_vip_authors(self):
        msgs = self.msgs()
        vip = sum(1 for i in msgs if i["week_vip"]) / len(msgs)
        self.assertGreater(vip, 0.1)  # vip_share 0.2 of the customers
        self.assertLess(vip, 0.32)
        # their followers, as the Twitter API shows them
        tw = [i for i in msgs if i["platform"] == "twitter"]
        v = next(i for i in tw if i["week_vip"])
        n = next(i for i in tw if not i["week_vip"])
        for item, lo, hi in ((v, 50000, 2000000), (n, 0, 49999)):
            status, _, body = self.sim.json(
                "GET", "/twitter/2/users/" + item["author_id"],
                params={"user.fields": "public_metrics,verified"},
                headers={"Authorization": "Bearer tw-app-bearer"})
            self.assertEqual(status, 200, body)
            f = body["data"]["public_metrics"]["followers_count"]
            self.assertTrue(lo <= f <= hi, (f, item))


class Options(WeekCase):
    def test_same_seed_same_week(self):
        a = self.start(scenario(self.tmp, "a.json", messages_per_day=50))
        b = self.start(scenario(self.tmp, "b.json", messages_per_day=50))
        c = self.start(scenario(self.tmp, "c.json", messages_per_day=50, seed=12))
        key = lambda s: [(i["platform"], i["type"], i["created_ms"], i["text"], i.get("author_id"))
                         for i in week_items(s)]
        self.assertEqual(key(a), key(b))
        self.assertNotEqual(key(a), key(c))

    def test_business_hours(self):
        sim = self.start(scenario(self.tmp, messages_per_day=200,
                                  reply={"business_hours": {"start": 8, "end": 18, "days": [1, 2, 3, 4, 5]},
                                         "delay_median_s": 600, "delay_p90_s": 3600}))
        replies = [i for i in week_items(sim) if i["week_role"] == "reply"]
        self.assertGreater(len(replies), 500)
        for r in replies:
            t = r["created_ms"]
            hour, weekday = (t // 3600000) % 24, ((t // 86400000) + 3) % 7
            self.assertTrue(8 <= hour < 18 and weekday < 5, r)
        # messages keep coming at night and at weekends
        msgs = [i for i in week_items(sim) if i["week_role"] == "message"]
        self.assertTrue(any((i["created_ms"] // 3600000) % 24 < 6 for i in msgs))

    def test_custom_curve_languages_mix(self):
        curve = [0] * 24
        curve[9] = 1
        sim = self.start(scenario(self.tmp, messages_per_day=40, hourly_curve=curve,
                                  languages={"fr": 1}, platform_mix={"tiktok": 1},
                                  reply={"share": 0}))
        items = week_items(sim)
        msgs = [i for i in items if i["week_role"] == "message"]
        self.assertEqual(len(msgs), 280)
        self.assertTrue(all((i["created_ms"] // 3600000) % 24 == 9 for i in msgs))
        self.assertTrue(all(i["lang"] == "fr" and i["platform"] == "tiktok" for i in msgs))
        self.assertFalse([i for i in items if i["week_role"] == "reply"])

    def test_week_end_option(self):
        sim = self.start(scenario(self.tmp, messages_per_day=10, end="now"), "--week-end", END)
        self.assertEqual(self.week(sim)["end"], "2026-11-23T00:00:00.000Z")

    def test_end_now_and_builtin_texts(self):
        before = int(time.time() * 1000)
        path = scenario(self.tmp, messages_per_day=10, end="now")
        with open(path) as f:
            sc = json.load(f)
        del sc["week"]["texts"]
        with open(path, "w") as f:
            json.dump(sc, f)
        sim = self.start(path)
        w = self.week(sim)
        self.assertTrue(before - 1000 <= w["end_ms"] <= int(time.time() * 1000))
        self.assertEqual(len([i for i in week_items(sim)
                              if i["week_role"] in ("message", "follow_up")]), 70)
        self.assertIn("Still waiting for my refund, can someone help?",
                      {i["text"] for i in week_items(sim)} | {i["text"][6:] for i in week_items(sim)})


class Replay(WeekCase):
    def test_replay_on_request(self):
        path = scenario(self.tmp, with_items=True, messages_per_day=100, delivery="replay",
                        replay_start="request", replay_rate=2000)
        sim = self.start(path)
        w = self.week(sim)
        self.assertEqual((w["state"], w["delivered"]), ("waiting", 0))
        self.assertFalse(week_items(sim))
        self.assertTrue(sim.by_ref("twitter", "primer-mention"))  # the scenario's own items
        t0 = time.time()
        status, _, body = sim.json("POST", "/_sim/week/start", body={})
        self.assertEqual(status, 200, body)
        self.assertIn(body["state"], ("replaying", "done"))
        while self.week(sim)["state"] != "done":
            self.assertLess(time.time() - t0, 20, "replay did not finish")
            time.sleep(0.05)
        items = week_items(sim)
        self.assertEqual(len(items), w["items"])
        self.assertEqual(sum(1 for i in items if i["week_role"] in ("message", "follow_up")), 700)
        # created now, dated then: ids grow with the (backdated) time
        for p in BRAND:
            mine = sorted((i for i in items if i["platform"] == p), key=lambda i: int(i["id"])
                          if i["id"].isdigit() else 0)
            if p != "tiktok":
                self.assertEqual([i["created_ms"] for i in mine], sorted(i["created_ms"] for i in mine))
        self.assertTrue(all(i["created_ms"] < END_MS for i in items))
        status, _, body = sim.json("POST", "/_sim/week/start", body={})
        self.assertEqual(status, 409, body)

    def test_replay_sends_webhooks_dated_then(self):
        path = scenario(self.tmp, messages_per_day=20, delivery="replay", replay_start=0,
                        platform_mix={"instagram": 1}, dm_share=0)
        rx = common.Receiver(answer_get=common.meta_answer)
        try:
            sim = self.start(path, "--webhook", "instagram=" + rx.url)
            deadline = time.time() + 20
            while self.week(sim)["state"] != "done":
                self.assertLess(time.time(), deadline)
                time.sleep(0.05)
            log = sim.wait_log("instagram", lambda e: e.get("kind") == "delivery" and e.get("ok"))
            entry = json.loads(log["body"])["entry"][0]
            # a comment's webhook carries the time of the comment, a week ago
            self.assertLess(entry["time"], END_MS // 1000 + 1)
            self.assertGreater(entry["time"], END_MS // 1000 - 8 * 86400)
        finally:
            rx.close()

    def test_no_week(self):
        sim = self.start(common.SCENARIO)
        self.assertEqual(sim.json("GET", "/_sim/week")[0], 404)
        self.assertEqual(sim.json("POST", "/_sim/week/start", body={})[0], 404)
        sim2 = self.start(scenario(self.tmp, messages_per_day=5))
        self.assertEqual(sim2.json("POST", "/_sim/week/start", body={})[0], 409)


class Errors(WeekCase):
    def fails(self, path, *args):
        r = subprocess.run([common.SIM, "--listen", "127.0.0.1:0", "--scenario", path, *args],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1, r.stderr)
        return r.stderr

    def test_missing_texts(self):
        err = self.fails(scenario(self.tmp, languages={"xx": 1}))
        self.assertIn("xx.tsv", err)
        self.assertIn("week.texts", err)

    def test_bad_values(self):
        self.assertIn("week.end", self.fails(scenario(self.tmp, end="yesterday")))
        self.assertIn("week.hourly_curve", self.fails(scenario(self.tmp, hourly_curve=[1, 2])))
        self.assertIn("week.reply.share", self.fails(scenario(self.tmp, reply={"share": 2})))
        self.assertIn("week.platform_mix.myspace",
                      self.fails(scenario(self.tmp, platform_mix={"myspace": 1})))
        self.assertIn("week.delivery", self.fails(scenario(self.tmp, delivery="later")))
        self.assertIn("week.replay_start", self.fails(scenario(self.tmp, delivery="replay",
                                                               replay_start="soon")))


if __name__ == "__main__":
    argv = [sys.argv[0]]
    rest = sys.argv[1:]
    if rest and not rest[0].startswith("-"):
        common.SIM = rest.pop(0)
    if rest and not rest[0].startswith("-"):
        SCENARIO = rest.pop(0)
    if rest and not rest[0].startswith("-"):
        TEXTS = rest.pop(0)
    if not common.SIM:
        sys.exit("usage: test_sim_week.py PARLEY_SIM [SCENARIO [TEXTS]] (or PARLEY_SIM in the environment)")
    unittest.main(argv=argv + rest, verbosity=2)
