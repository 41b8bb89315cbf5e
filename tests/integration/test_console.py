"""The agent console (docs/console.md): its static files as parleyd serves
them, and the page itself in headless chromium against the real parleyd,
the real connectors and parley-sim."""
import json
import os
import shutil
import sqlite3
import time

import pytest

from parley_it import (ADMIN_TOKEN, BUILD_DIR, CONSOLE_DIR, FIVE_INSTANCES, FiveStack, Parleyd,
                       StoreStack, browser, free_port, http, raw_http, router_yaml, set_viewport,
                       wait_until)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """parleyd (with its admin token) and nothing else, serving a copy of the
    console that has a file next to it (outside) that it must never serve."""
    tmp = str(tmp_path_factory.mktemp("console-static"))
    shutil.copytree(CONSOLE_DIR, os.path.join(tmp, "www", "console"))
    with open(os.path.join(tmp, "www", "secret.js"), "w") as f:
        f.write("router: the secret next to the console\n")
    port = free_port()
    d = Parleyd(router_yaml(tmp, port, console_dir=os.path.join(tmp, "www", "console")),
                tmpdir=tmp)
    d.start(wait_http=f"http://127.0.0.1:{port}")
    d.port = port
    yield d
    d.stop()


def test_index_is_served_at_root_without_a_token(bare):
    base = f"http://127.0.0.1:{bare.port}"
    for path in ("/", "/console/", "/console", "/console/index.html"):
        status, h, body = http("GET", base + path, admin=False)
        assert status == 200, path
        assert h["content-type"] == "text/html; charset=utf-8"
        assert b'src="/console/app.js"' in body
        assert h["cache-control"] == "no-cache" and h["etag"].startswith('"')
        assert h["x-content-type-options"] == "nosniff"
        assert "default-src 'self'" in h["content-security-policy"]
    with open(os.path.join(CONSOLE_DIR, "index.html"), "rb") as f:
        assert http("GET", base + "/", admin=False)[2] == f.read()
    assert http("GET", base + "/console/vendor/preact.mjs")[0] == 200


def test_content_types_of_the_assets(bare):
    base = f"http://127.0.0.1:{bare.port}"
    for path, ctype in (("/console/app.js", "text/javascript; charset=utf-8"),
                        ("/console/vendor/preact.mjs", "text/javascript; charset=utf-8"),
                        ("/console/vendor/hooks.mjs", "text/javascript; charset=utf-8"),
                        ("/console/vendor/htm.mjs", "text/javascript; charset=utf-8"),
                        ("/console/style.css", "text/css; charset=utf-8"),
                        ("/console/vendor/LICENSES.txt", "text/plain; charset=utf-8")):
        status, h, body = http("GET", base + path, admin=False)
        assert (status, h["content-type"]) == (200, ctype), path
        assert body
    # the hooks import preact by a relative URL the server answers
    hooks = http("GET", base + "/console/vendor/hooks.mjs")[2]
    assert b'from"./preact.mjs"' in hooks and b'from"preact"' not in hooks


def test_revalidation_answers_304(bare):
    base = f"http://127.0.0.1:{bare.port}"
    etag = http("GET", base + "/console/app.js")[1]["etag"]
    status, _, body = http("GET", base + "/console/app.js", headers={"If-None-Match": etag})
    assert (status, body) == (304, b"")
    assert http("GET", base + "/console/app.js", headers={"If-None-Match": '"x"'})[0] == 200


@pytest.mark.parametrize("path", [
    "/console/../secret.js", "/console/%2e%2e/secret.js", "/console/.%2e/secret.js",
    "/console/vendor/../../secret.js", "/console/%2E%2E%2Fsecret.js", "/console/..\\secret.js",
    "/console/../parley.yaml", "/console/../../../../etc/passwd", "/console/%2e%2e/parley.yaml",
    "/console/..%2fparley.yaml", "/console/vendor/../../parley.yaml", "/console/.hidden.js",
    "/console//app.js", "/console/app.js/", "/console/vendor", "/console/nosuch.js",
    "/console/package.json", "/console\\..\\x.js", "/parley.yaml", "/index.html",
    "/console/app.yaml", "/console/app.js%00.html",
])
def test_nothing_outside_the_console_dir(bare, path):
    status, _, body = raw_http(bare.port, "GET", path)
    assert status in (400, 404), (path, status)
    assert b"router:" not in body and b"root:" not in body


def test_only_get_and_head(bare):
    assert raw_http(bare.port, "HEAD", "/")[0] == 200
    status, h, _ = raw_http(bare.port, "POST", "/", b"x")
    assert status == 405 and h["allow"] == "GET, HEAD"
    # the admin API still wants its token; webhooks are untouched
    assert http("GET", f"http://127.0.0.1:{bare.port}/v1/status", admin=False)[0] == 401
    assert raw_http(bare.port, "GET", "/hooks/nosuch")[0] == 404


# ---- the page in a browser, against parleyd, the five connectors and parley-sim ----

SECTIONS = """outputs:
  - {{name: store, type: sqlite, options: {{path: {dir}/store.db}}}}
routes:
  - {{outputs: [store]}}
enrich:
  keywords:
    delivery: [parcel, paket, pakket, delivery]
  sla:
    policies:
      - {{name: dm, match: {{visibility: private}}, target: 2h}}
      - {{name: public, target: 1h}}
"""
MARKER = "zebracrossing"
AUTHORS = {"twitter": "pieterdevries", "facebook": "jana.krueger", "instagram": "lotte.bakes",
           "linkedin": "emily-chen", "tiktok": "techdad42"}
PARENT = {"facebook": "fb-post-1", "instagram": "ig-media-1", "linkedin": "li-post-1",
          "tiktok": "tt-video-1"}
SHOTS = os.environ.get("PARLEY_SCREENSHOT_DIR", BUILD_DIR)


def customer_item(platform, text):
    """A customer writes: a mention on X, a message (DM) to the Facebook page
    and to the Instagram account, a comment on the brand's post on LinkedIn
    and TikTok. (Not a Facebook comment: the simulator's first Facebook post
    and first Instagram media have the same native id, and the store keys
    conversations by the platform's native id, so the two would share one.)"""
    if platform == "twitter":
        return {"platform": "twitter", "type": "tweet", "author": AUTHORS[platform],
                "text": "@acme " + text}
    if platform in ("facebook", "instagram"):
        return {"platform": platform, "type": "message", "author": AUTHORS[platform],
                "recipient": "acme" if platform == "facebook" else "acme.store", "text": text}
    return {"platform": platform, "type": "comment", "author": AUTHORS[platform],
            "parent_ref": PARENT[platform], "text": text}


@pytest.fixture
def stack(tmp_path):
    s = FiveStack(tmp_path, SECTIONS).start()
    yield s
    s.stop()


@pytest.fixture
def page():
    d = browser(1280, 800)
    set_viewport(d, 1280, 800)
    yield d
    errors = [l for l in d.get_log("browser")
              if l["level"] == "SEVERE" and "Failed to load resource" not in l["message"]]
    d.quit()
    assert not errors, f"errors in the page: {errors}"


def css(d, sel):
    return d.find_elements(By.CSS_SELECTOR, sel)


def wait_css(d, sel, timeout=15, what=None):
    return wait_until(lambda: css(d, sel), timeout, what=what or sel)[0]


def login(d, base, token):
    d.get(base + "/")
    box = wait_css(d, "#token", what="the login form")
    box.clear()
    box.send_keys(token)
    css(d, "form button[type=submit]")[0].click()


def retype(el, text):
    """Replace a field's text as a person does (clear() fires no input event)."""
    el.send_keys(Keys.CONTROL, "a")
    el.send_keys(Keys.DELETE)
    if text:
        el.send_keys(text)


def rows(d):
    """The inbox rows as the page shows them: (id, text)."""
    return d.execute_script("""return Array.from(document.querySelectorAll('.conv'),
        li => [li.dataset.id, li.querySelector('.text').textContent]);""")


def press(d, key):
    d.find_element(By.TAG_NAME, "body").send_keys(key)


def store_rows(stack, sql, *args):
    con = sqlite3.connect(f"file:{stack.dir}/store.db?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def sent(stack, text):
    """What the simulator recorded the brand sending with this text."""
    doc = json.loads(http("GET", stack.sim.url + "/_sim/sent")[2])
    return [s for s in doc["sent"] if s.get("text") == text]


def answer(d, label, text=None):
    """Type text (if any) into the answer box, press the button, return the
    result line the page shows."""
    before = len(css(d, ".results li"))
    if text is not None:
        retype(d.find_element(By.ID, "answer-text"), text)
    d.find_element(By.XPATH, f"//form[@aria-label='Answer']//button[normalize-space()='{label}']").click()
    wait_until(lambda: len(css(d, ".results li")) > before, 30, what=f"the result of {label}")
    return css(d, ".results li")[0]


def open_conversation(d, cid):
    d.find_element(By.CSS_SELECTOR, f'.conv[data-id="{cid}"] a').click()
    wait_css(d, f'.thread[data-id="{cid}"] #answer-text', what=f"the thread of {cid}")


def test_login_refuses_a_wrong_token(stack, page):
    login(page, stack.base, "not-the-token")
    alert = wait_css(page, ".login [role=alert]", what="the refusal")
    assert "refused" in alert.text
    assert not css(page, ".top"), "a wrong token got into the console"
    # nothing was let in: the API still refuses this browser
    status = page.execute_script("""return fetch('/v1/inbox').then(r => r.status);""")
    assert status == 401

    # More wrong tokens from this address lock it out (router.auth_limit, 5 by
    # default): the page says so, even for the right token, and for how long.
    page.get(stack.base + "/")
    wait_css(page, "#token", what="the login form").send_keys(ADMIN_TOKEN)
    wrong = lambda: http("POST", stack.base + "/v1/login", json.dumps({"token": "nope"}),
                         admin=False)
    assert [wrong()[0] for _ in range(4)] == [401] * 4  # the fifth: locked out for 1 s
    time.sleep(1.1)
    assert wrong()[0] == 401  # after the lockout, one more: 2 s
    css(page, "form button[type=submit]")[0].click()
    alert = wait_css(page, ".login [role=alert]", what="the lockout")
    assert "too many wrong tokens from this address: try again in" in alert.text, alert.text
    assert not css(page, ".top")
    time.sleep(2.1)
    login(page, stack.base, ADMIN_TOKEN)
    wait_css(page, ".top .agent", what="the console after the right token")


def test_live_inbox_answers_resolve_and_csrf(stack, page):
    d = page
    login(d, stack.base, ADMIN_TOKEN)
    q = wait_css(d, "input[name=q]", what="the inbox")
    q.send_keys(MARKER)
    wait_until(lambda: "Nothing waiting" in d.page_source, 10, what="the filtered, empty inbox")
    # first sight of each row, by the page's own clock, and a flag a reload would lose
    d.execute_script("""
        window.stayed = true; window.seen = {};
        new MutationObserver(() => {
          for (const li of document.querySelectorAll('.conv'))
            if (!(li.dataset.id in window.seen)) window.seen[li.dataset.id] = Date.now();
        }).observe(document.body, {childList: true, subtree: true});""")
    texts = {p: f"{MARKER} my parcel from {p} never arrived, order {i}"
             for i, p in enumerate(("twitter", "facebook", "instagram", "linkedin", "tiktok"))}
    for p, t in texts.items():
        stack.post_item(customer_item(p, t))
    wait_until(lambda: len(rows(d)) == 5, 60, 0.1, what="the five messages in the inbox")
    assert d.execute_script("return window.stayed === true"), "the page was reloaded"
    seen = d.execute_script("return window.seen")
    stored = dict(store_rows(stack, """SELECT conversation_id,
        CAST(ROUND((julianday(MIN(stored_at)) - 2440587.5) * 86400000) AS INTEGER)
        FROM messages WHERE text LIKE ? GROUP BY conversation_id""", f"%{MARKER}%"))
    assert set(stored) == set(seen), (stored, seen)
    lag = {cid: seen[cid] - stored[cid] for cid in seen}
    assert all(v < 1000 for v in lag.values()), f"ms from the store to the page: {lag}"
    inbox = json.loads(http("GET", stack.base + "/v1/inbox?q=" + MARKER)[2])["conversations"]
    platforms = {c["id"]: c["platform"] for c in inbox}
    assert [c["id"] for c in inbox] == [r[0] for r in rows(d)], "the page keeps the API's order"
    assert {c["platform"] for c in inbox} == set(texts)
    if SHOTS:
        retype(q, "")
        wait_until(lambda: len(rows(d)) > 5, 10, what="the whole inbox")
        d.save_screenshot(os.path.join(SHOTS, "console-inbox.png"))
        retype(q, MARKER)
        wait_until(lambda: len(rows(d)) == 5, 10, what="the filtered inbox again")

    # j opens the most urgent (the first row); r goes to the answer box
    press(d, "j")
    first = inbox[0]["id"]
    wait_css(d, f'.thread[data-id="{first}"] #answer-text', what="the most urgent thread")
    press(d, "r")
    assert d.switch_to.active_element.get_attribute("id") == "answer-text"
    public = f"{MARKER} sorry, we are on it ({platforms[first]})"
    res = answer(d, "Reply publicly", public)
    assert "done" in res.get_attribute("class"), res.text
    wait_until(lambda: sent(stack, public), 15, what="the public reply at the simulator")
    if SHOTS:
        wait_until(lambda: public in d.find_element(By.CSS_SELECTOR, ".messages").text, 10,
                   what="the reply in the thread")
        d.save_screenshot(os.path.join(SHOTS, "console-thread.png"))

    # a DM in a private conversation on another platform (the Meta ones here)
    other = next(c for c in inbox if c["visibility"] == "private" and
                 c["platform"] != inbox[0]["platform"])
    open_conversation(d, other["id"])
    private = f"{MARKER} we sent you the details privately ({other['platform']})"
    res = answer(d, "Send DM", private)
    assert "done" in res.get_attribute("class"), res.text
    wait_until(lambda: sent(stack, private), 15, what="the private answer at the simulator")

    # LinkedIn and TikTok have no private answer: the button says so and cannot
    # be used. (Answered conversations have left the open inbox: pick a waiting one.)
    waiting = {r[0] for r in rows(d)}
    li = next(c for c in inbox if c["platform"] in ("linkedin", "tiktok") and c["id"] in waiting)
    open_conversation(d, li["id"])
    dm = d.find_element(By.XPATH, "//form[@aria-label='Answer']//button[normalize-space()='Send DM']")
    assert not dm.is_enabled() and "no private answer" in dm.get_attribute("title")

    # e resolves the open conversation
    press(d, "e")
    wait_until(lambda: any("Resolve: done" in r.text for r in css(d, ".results li")), 15,
               what="the resolve result")
    wait_until(lambda: store_rows(stack, "SELECT status FROM conversations WHERE id = ?",
                                  li["id"]) == [("resolved",)], 10, what="resolved in the store")
    wait_until(lambda: li["id"] not in [r[0] for r in rows(d)], 5, what="the inbox without it")

    # each answer reached the platform exactly once
    time.sleep(1.5)
    assert len(sent(stack, public)) == 1 and len(sent(stack, private)) == 1

    # a state-changing request with the session cookie but without the CSRF header
    probe = """const done = arguments[arguments.length - 1];
        fetch('/v1/actions', {method: 'POST', headers: arguments[0],
              body: JSON.stringify({schema: 'parley.action.v1', idempotency_key: 'csrf-probe',
                                    type: 'resolve', conversation_id: arguments[1]})})
          .then(r => done(r.status));"""
    assert d.execute_async_script(probe, {"Content-Type": "application/json"}, first) == 403
    assert store_rows(stack, "SELECT status FROM conversations WHERE id = ?", first) != [("resolved",)]
    csrf = d.execute_async_script("""const done = arguments[0];
        fetch('/v1/session').then(r => r.json()).then(s => done(s.csrf));""")
    assert d.execute_async_script(probe, {"Content-Type": "application/json",
                                          "X-Parley-CSRF": csrf}, first) == 200

    # the status page, and the help
    press(d, "?")
    wait_css(d, "[role=dialog] kbd", what="the shortcut help")
    press(d, Keys.ESCAPE)
    wait_until(lambda: not css(d, "[role=dialog]"), 5, what="the help to close")
    d.find_element(By.LINK_TEXT, "Status").click()
    table = wait_css(d, ".statuspage table", what="the status page")
    for name in ("acme-twitter", "acme-facebook", "acme-instagram", "acme-linkedin", "acme-tiktok"):
        assert name in table.text
    if SHOTS:
        d.save_screenshot(os.path.join(SHOTS, "console-status.png"))


def test_fits_a_phone_and_a_laptop(stack, page):
    d = page
    login(d, stack.base, ADMIN_TOKEN)
    wait_until(lambda: rows(d), 60, what="conversations of the demo scenario")
    for w, h, mobile in ((1280, 800, False), (390, 844, True)):
        set_viewport(d, w, h, mobile)
        d.execute_script("location.hash = '#/'")
        wait_css(d, ".conv")
        assert d.execute_script("return document.documentElement.scrollWidth") <= w
        press(d, "j")
        box = wait_css(d, "#answer-text", what="the thread")
        assert box.is_displayed()
        # narrow: the thread replaces the inbox; wide: side by side
        assert css(d, ".inbox")[0].is_displayed() == (w >= 800)
        assert d.execute_script("return document.documentElement.scrollWidth") <= w
        for el in css(d, "input, textarea, select"):
            eid = el.get_attribute("id")
            labelled = d.execute_script(
                "return !!(arguments[0].labels && arguments[0].labels.length)", el)
            assert labelled, f"a field without a label: {eid or el.get_attribute('name')}"


# ---- 10 000 open conversations ----

def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def seed_store(db, n):
    """n open conversations, one customer message and one author each, written
    into the store the way the sqlite output writes them."""
    plats = ("twitter", "facebook", "instagram", "linkedin", "tiktok")
    now = time.time()
    authors, messages, convs = [], [], []
    for i in range(n):
        p = plats[i % 5]
        cid, mid, aid = f"{p}:seed-c{i}", f"{p}:seed-m{i}", f"seed-u{i}"
        at = iso(now - 7200 + i * 0.5)
        due = iso(now - 1800 + i * 0.5)
        authors.append((p, aid, f"seeded{i}", f"Seeded {i}", i * 7, i % 9 == 0, at, at))
        messages.append((mid, cid, "in", p, FIVE_INSTANCES[p], "acme", "comment", "public", aid,
                         f"seeded message {i}: where is my order?", "en", at, at,
                         -0.5, 40, due, "[]", "{}"))
        convs.append((cid, p, FIVE_INSTANCES[p], "acme", "public", "open", 40, -0.5, due, at, at,
                      at, 1, mid, at))
    con = sqlite3.connect(db, timeout=30)
    with con:
        con.executemany("""INSERT INTO authors (platform, id, handle, name, followers, verified,
            first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""", authors)
        con.executemany("""INSERT INTO messages (id, conversation_id, direction, platform,
            connector, account, kind, visibility, author_id, text, lang, created_at, received_at,
            sentiment, priority, sla_due, keywords, event)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", messages)
        con.executemany("""INSERT INTO conversations (id, platform, connector, account,
            visibility, status, priority, sentiment, sla_due, first_at, last_at, last_inbound_at,
            messages_in, last_message_id, first_inbound_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", convs)
    con.close()


@pytest.fixture
def big(tmp_path):
    s = StoreStack(tmp_path)
    db = os.path.join(str(tmp_path), "store.db")
    wait_until(lambda: s.get("/v1/inbox?limit=1")[0] == 200, 20, what="the inbox API on the store")
    seed_store(db, 10000)
    yield s
    s.stop()


def test_inbox_first_paint_with_10000_open_conversations(big, page):
    d = page
    total = big.get("/v1/inbox?limit=1")[1]["total"]
    assert total >= 10000
    login(d, big.base, ADMIN_TOKEN)
    wait_css(d, ".conv", what="the inbox")
    # a fresh load with the session: the paint that an agent waits for
    d.get(big.base + "/")
    wait_until(lambda: d.execute_script("return document.body.dataset.inboxPainted"), 20,
               what="the inbox's first paint")
    paint_ms = d.execute_script("return window.parleyInboxPaint")
    n = len(css(d, ".conv"))
    timing = d.execute_script("""return performance.getEntriesByType('resource').map(
        e => e.name.replace(location.origin, '') + ' ' + Math.round(e.startTime) + '+' +
             Math.round(e.duration)).join(', ');""")
    print(f"inbox first paint with {total} open conversations: {paint_ms:.0f} ms, {n} rows; "
          f"requests (start+duration ms): {timing}")
    assert paint_ms < 1000, f"first paint after {paint_ms:.0f} ms; requests: {timing}"
    assert n == 50, f"{n} rows in the DOM"
    assert str(total) in d.find_element(By.CSS_SELECTOR, ".pager").text
    page1 = [r[0] for r in rows(d)]
    d.find_element(By.XPATH, "//nav[@aria-label='Pages']//button[contains(., 'Next')]").click()
    wait_until(lambda: rows(d) and rows(d)[0][0] not in page1, 10, what="page 2")
    assert len(css(d, ".conv")) == 50 and "51–100" in d.find_element(By.CSS_SELECTOR, ".pager").text
    assert not set(page1) & {r[0] for r in rows(d)}
