"""A conversation reaches the store in its own order: the real parleyd and
twitter.so poll the real parley-sim (newest first, as X lists), and the
sqlite store must show a customer's message followed by the brand's reply as
answered ("pending" in /v1/inbox), with the thread oldest first.

- DMs (GET /2/dm_events): one source; the SDK's order (sdk/include/parley/
  sdk/order.h) emits each poll's events oldest first across its pages, so
  the store receives the DM before the reply.
- A mention and the brand's reply come from two sources (mentions, and a
  "from:acme" search) that poll independently: the store's state machine
  weighs created_at, so whichever source is read first, the older customer
  tweet does not reopen the conversation the reply answered."""
from parley_it import TwitterStoreStack

CUSTOMER = "lotte_b"  # a demo user with no DM or tweet of its own in the demo


def dm(author, recipient, text, at):
    return dict(platform="twitter", type="dm", author=author, recipient=recipient, text=text,
                at=at)


def thread(stack, conv):
    doc = stack.conversation(conv)
    return doc, [m["id"] for m in doc["messages"]], [e["type"] for e in doc["events"]]


def test_a_dm_and_the_brands_later_reply_in_one_poll_are_answered(tmp_path):
    stack = TwitterStoreStack(tmp_path, sources=("dms",))
    try:
        ask = stack.post_item(dm(CUSTOMER, "acme", "Waar blijft mijn bestelling 7781?", -600))
        reply = stack.post_item(dm("acme", CUSTOMER, "Hoi Lotte, hij is onderweg!", -300))
        stack.start()
        ids = [stack.event_id(ask), stack.event_id(reply)]
        got = stack.wait_stored(*ids)
        conv = got[ids[0]][0]
        assert got[ids[1]][0] == conv
        # the store received the customer's DM first (rowid: arrival order)
        assert got[ids[0]][1] < got[ids[1]][1], got
        doc, msgs, events = thread(stack, conv)
        assert doc["conversation"]["status"] == "pending", doc["conversation"]
        assert msgs == ids
        assert [m["direction"] for m in doc["messages"]] == ["in", "out"]
        assert events == ["opened", "answered"], doc["events"]
        pending = stack.inbox("status=pending&platform=twitter&limit=200")
        assert conv in [c["id"] for c in pending["conversations"]]
        opened = stack.inbox("status=open&platform=twitter&limit=200")
        assert conv not in [c["id"] for c in opened["conversations"]]
    finally:
        stack.stop()


def test_a_walk_over_several_pages_emits_the_conversation_oldest_first(tmp_path):
    # one DM per page: the walk after the restart reads four pages, newest first
    stack = TwitterStoreStack(tmp_path, sources=("dms",), max_results=1)
    try:
        stack.start()
        seen = stack.post_item(dm(CUSTOMER, "acme", "Eerste vraag", -900))
        stack.wait_stored(stack.event_id(seen))  # the checkpoint is past it
        stack.parleyd.stop()
        items = [stack.post_item(dm(CUSTOMER, "acme", "Nog een vraag: order 7782", -500)),
                 stack.post_item(dm("acme", CUSTOMER, "Die is gisteren verstuurd.", -400)),
                 stack.post_item(dm(CUSTOMER, "acme", "En order 7783?", -200)),
                 stack.post_item(dm("acme", CUSTOMER, "Ook verstuurd, morgen bij je.", -100))]
        stack.start()
        ids = [stack.event_id(i) for i in items]
        got = stack.wait_stored(*ids)
        arrival = sorted(ids, key=lambda i: got[i][1])
        assert arrival == ids, arrival
        conv = got[ids[0]][0]
        doc, msgs, events = thread(stack, conv)
        assert doc["conversation"]["status"] == "pending", doc["conversation"]
        assert msgs == [stack.event_id(seen)] + ids
        assert events == ["opened", "answered", "reopened", "answered"], doc["events"]
    finally:
        stack.stop()


def test_a_mention_and_the_brands_reply_from_two_sources_are_answered(tmp_path):
    stack = TwitterStoreStack(tmp_path, sources=("mentions", "search"),
                              twitter_queries=("from:acme",))
    try:
        ask = stack.post_item(dict(platform="twitter", type="tweet", ref="order-ask",
                                   author=CUSTOMER, text="@acme mijn pakket is zoek", at=-600))
        reply = stack.post_item(dict(platform="twitter", type="tweet", ref="order-reply",
                                     author="acme", parent_ref="order-ask",
                                     text="@lotte_b Sorry! Stuur ons je ordernummer.", at=-300))
        stack.start()
        ids = [stack.event_id(ask), stack.event_id(reply)]
        got = stack.wait_stored(*ids)
        conv = got[ids[0]][0]
        assert got[ids[1]][0] == conv, got
        doc, msgs, events = thread(stack, conv)
        assert doc["conversation"]["status"] == "pending", (doc["conversation"], events)
        assert msgs == ids
        assert "reopened" not in events and events[-1] == "answered", events
    finally:
        stack.stop()
