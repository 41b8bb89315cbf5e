"""Care signals end to end: customers write in English, German and Dutch on
all five platforms (parley-sim), parleyd's enrichment stage gives every
message lang, sentiment, priority and SLA due, routes on keyword sets and on
priority send them to different outputs, and the agent's assign, reply and
resolve change the store and the care metrics."""
import json
import os
import sqlite3

import pytest

from parley_it import (FIVE_INSTANCES, FiveStack, event_ms, http, metric_value, read_ndjson,
                       validate_events, wait_until)

SECTIONS = """outputs:
  - {{name: all, type: ndjson, options: {{path: {dir}/all.ndjson}}}}
  - {{name: escalations, type: ndjson, options: {{path: {dir}/escalations.ndjson}}}}
  - {{name: urgent, type: ndjson, options: {{path: {dir}/urgent.ndjson}}}}
  - {{name: store, type: sqlite, options: {{path: {dir}/store.db}}}}
routes:
  - {{outputs: [all, store]}}
  - {{match: {{keyword_sets: [legal, broken]}}, outputs: [escalations]}}
  - {{match: {{min_priority: 50}}, outputs: [urgent]}}
enrich:
  keywords:
    broken: [kapot, kaputt, broken]
    legal: [lawyer, anwalt, advocaat]
  sla:
    policies:
      - {{name: urgent, match: {{min_priority: 50}}, target: 30m}}
      - {{name: dm, match: {{visibility: private}}, target: 2h}}
      - {{name: public, target: 1h}}
"""

# (language, expected sentiment sign, text): one of each language per platform
MESSAGES = {
    "twitter": [
        ("en", -1, "@acme my parcel never arrived and support is useless, really disappointed"),
        ("de", 1, "@acme Vielen Dank, der neue Akku funktioniert super und die Lieferung war schnell"),
        ("nl", -1, "@acme mijn bestelling is kapot aangekomen, ik ben helemaal niet tevreden"),
    ],
    "facebook": [
        ("de", -1, "Seit zwei Wochen keine Antwort vom Support. Ich bin sehr enttäuscht und wütend."),
        ("en", 1, "Great service today, the staff were friendly and helpful. Thank you!"),
        ("nl", 1, "Heel blij met de snelle levering, dank jullie wel voor de goede hulp!"),
    ],
    "instagram": [
        ("nl", -1, "Wat een slechte service, niemand reageert op mijn berichten. Echt teleurgesteld."),
        ("en", -1, "The zipper broke after two days, terrible quality, I want my money back"),
        ("de", 1, "Wunderschöne Farben, ich liebe die neue Kollektion! Sehr gut gemacht."),
    ],
    "linkedin": [
        ("en", -1, "Our lawyer will contact you about the unpaid invoice, this is unacceptable"),
        ("de", -1, "Die Rechnung ist falsch und niemand hilft uns. Das ist wirklich schlecht."),
        ("nl", 1, "Mooi project en een geweldig team, goed gedaan en veel succes gewenst!"),
    ],
    "tiktok": [
        ("en", 1, "I love this so much, best purchase of the year, thank you!!!"),
        ("nl", -1, "Mijn telefoon is na een week al stuk en de klantenservice helpt niet, slecht"),
        ("de", -1, "Mein Paket ist kaputt angekommen und keiner antwortet. Nie wieder!"),
    ],
}
PARENT = {"facebook": "fb-post-1", "instagram": "ig-media-1", "linkedin": "li-post-1",
          "tiktok": "tt-video-1"}


def item(platform, text):
    if platform == "twitter":
        return {"platform": "twitter", "type": "tweet", "author": "pieterdevries", "text": text}
    return {"platform": platform, "type": "comment", "author": None, "parent_ref": PARENT[platform],
            "text": text}


@pytest.fixture
def stack(tmp_path):
    s = FiveStack(tmp_path, SECTIONS).start()
    yield s
    s.stop()


def event_with(path, text):
    for ev in read_ndjson(path):
        if ev.get("text") == text:
            return ev
    return None


def post_all(stack):
    authors = {"facebook": "jana.krueger", "instagram": "lotte.bakes", "linkedin": "emily-chen",
               "tiktok": "techdad42"}
    for platform, msgs in MESSAGES.items():
        for _, _, text in msgs:
            it = item(platform, text)
            if it["author"] is None:
                it["author"] = authors[platform]
            stack.post_item(it)
    all_path = os.path.join(stack.dir, "all.ndjson")
    texts = [t for msgs in MESSAGES.values() for _, _, t in msgs]
    wait_until(lambda: all(event_with(all_path, t) for t in texts), 60,
               what="all 15 messages in the all output")
    return {t: event_with(all_path, t) for t in texts}


def test_messages_in_three_languages_on_five_platforms_get_every_care_signal(stack):
    events = post_all(stack)
    validate_events(list(events.values()))
    for platform, msgs in MESSAGES.items():
        for lang, sign, text in msgs:
            ev = events[text]
            assert ev["platform"] == platform
            assert ev["lang"] == lang, f"{platform}: {text!r} detected as {ev.get('lang')}"
            sig = ev["signals"]
            assert sig["sentiment"] * sign > 0, f"{platform} {lang}: {text!r} scored {sig['sentiment']}"
            assert 0 <= sig["priority"] <= 100
            assert event_ms(sig["sla_due"]) > event_ms(ev["created_at"])
    # the platform gave no language on Facebook, LinkedIn and TikTok: it was detected
    for platform in ("facebook", "linkedin", "tiktok"):
        for _, _, text in MESSAGES[platform]:
            assert 0.5 <= events[text]["signals"]["lang_confidence"] <= 1


def test_routes_on_keyword_sets_and_priority_send_messages_to_different_outputs(stack):
    events = post_all(stack)
    escalated = {e["text"] for e in read_ndjson(os.path.join(stack.dir, "escalations.ndjson"))}
    urgent = {e["text"] for e in read_ndjson(os.path.join(stack.dir, "urgent.ndjson"))}
    for text, ev in events.items():
        sets = set(ev["signals"].get("keywords", [])) & {"legal", "broken"}
        assert (text in escalated) == bool(sets), text
        assert (text in urgent) == (ev["signals"]["priority"] >= 50), text
    lawyer = events[MESSAGES["linkedin"][0][2]]
    assert "legal" in lawyer["signals"]["keywords"]
    assert lawyer["signals"]["priority"] >= 50          # base 10 + legal 30 + anger
    assert lawyer["text"] in urgent and lawyer["text"] in escalated
    # the urgent policy's 30 minutes, the public default's hour otherwise
    for ev in events.values():
        target = 30 if ev["signals"]["priority"] >= 50 else 60
        assert event_ms(ev["signals"]["sla_due"]) - event_ms(ev["created_at"]) == target * 60000
    kapot = events[MESSAGES["twitter"][2][2]]
    assert "broken" in kapot["signals"]["keywords"]
    assert events[MESSAGES["tiktok"][0][2]]["text"] not in escalated


def store_row(stack, conv):
    db = sqlite3.connect(f"file:{stack.dir}/store.db?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM conversations WHERE id = ?", (conv,)).fetchone()
        return dict(row) if row else None
    finally:
        db.close()


def care(stack, since):
    """The care figures of conversations that started at `since` or later
    (the demo scenario's own history is older)."""
    status, _, body = http("GET", stack.base + "/v1/care?since=" + since)
    assert status == 200, body
    return json.loads(body)


def act(stack, key, **fields):
    status, res = stack.action({"schema": "parley.action.v1", "idempotency_key": key, **fields})
    assert status < 300 and res.get("status") == "done", (status, res)
    return res


def twitter_first_responses(stack):
    text = http("GET", stack.base + "/metrics")[2].decode()
    return metric_value(text, "parley_first_response_seconds_count", 'platform="twitter"')


def test_assign_reply_with_agent_and_resolve_change_the_store_and_the_metrics(stack):
    text = MESSAGES["twitter"][0][2]
    ev = post_all(stack)[text]
    conv = ev["conversation_id"]
    wait_until(lambda: store_row(stack, conv), 20, what="the conversation in the store")
    assert store_row(stack, conv)["status"] == "open"
    # the live metrics count since start, the sim's own traffic included
    first_before = twitter_first_responses(stack)

    act(stack, "it-assign-1", type="assign", conversation_id=conv, assign_to="maria",
        agent="lead", platform="twitter", account="acme")
    assert store_row(stack, conv)["assigned_to"] == "maria"

    act(stack, "it-reply-1", type="reply_public", connector=FIVE_INSTANCES["twitter"],
        target=ev["id"], conversation_id=conv, agent="maria",
        text="Sorry to hear that! We have sent you a DM to sort it out.")
    # the brand's reply comes back from the platform as an outbound event
    out = wait_until(lambda: next((e for e in read_ndjson(os.path.join(stack.dir, "all.ndjson"))
                                   if e["kind"] == "outbound" and e.get("conversation_id") == conv),
                                  None), 30, what="the brand's reply as an outbound event")
    wait_until(lambda: store_row(stack, conv)["status"] == "answered", 20, what="answered")
    frt_s = (event_ms(out["created_at"]) - event_ms(ev["created_at"])) / 1000.0
    db = sqlite3.connect(f"file:{stack.dir}/store.db?mode=ro", uri=True)
    agent = db.execute("SELECT agent FROM messages WHERE id = ?", (out["id"],)).fetchone()
    db.close()
    assert agent == ("maria",)

    figures = care(stack, ev["created_at"])
    tw = figures["per_platform"]["twitter"]["first_response"]
    assert tw["count"] == 1
    assert tw["mean"] == pytest.approx(frt_s, abs=0.001)

    act(stack, "it-resolve-1", type="resolve", conversation_id=conv, agent="maria",
        platform="twitter", account="acme")
    row = store_row(stack, conv)
    assert row["status"] == "resolved" and row["resolved_by"] == "maria"
    figures = care(stack, ev["created_at"])
    assert figures["per_agent"]["maria"]["resolved"] == 1
    status, _, metrics = http("GET", stack.base + "/metrics")
    assert b'parley_resolved_total{agent="maria"} 1' in metrics
    assert twitter_first_responses(stack) == first_before + 1
