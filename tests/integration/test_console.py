"""The agent console (docs/console.md): its static files as parleyd serves
them, and the page itself in headless chromium against the real parleyd,
the real connectors and parley-sim."""
import os
import shutil

import pytest

from parley_it import CONSOLE_DIR, Parleyd, free_port, http, raw_http, router_yaml

TOKEN = "console-test-admin-token-0123456789"


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """parleyd with an admin token and nothing else, serving a copy of the
    console that has a file next to it (outside) that it must never serve."""
    tmp = str(tmp_path_factory.mktemp("console-static"))
    shutil.copytree(CONSOLE_DIR, os.path.join(tmp, "www", "console"))
    with open(os.path.join(tmp, "www", "secret.js"), "w") as f:
        f.write("router: the secret next to the console\n")
    port = free_port()
    d = Parleyd(router_yaml(tmp, port, extra=f"  admin_token: {TOKEN}\n",
                            console_dir=os.path.join(tmp, "www", "console")), tmpdir=tmp)
    d.start(wait_http=f"http://127.0.0.1:{port}")
    d.port = port
    yield d
    d.stop()


def test_index_is_served_at_root_without_a_token(bare):
    base = f"http://127.0.0.1:{bare.port}"
    for path in ("/", "/console/", "/console", "/console/index.html"):
        status, h, body = http("GET", base + path)
        assert status == 200, path
        assert h["content-type"] == "text/html; charset=utf-8"
        assert b'src="/console/app.js"' in body
        assert h["cache-control"] == "no-cache" and h["etag"].startswith('"')
        assert h["x-content-type-options"] == "nosniff"
        assert "default-src 'self'" in h["content-security-policy"]
    with open(os.path.join(CONSOLE_DIR, "index.html"), "rb") as f:
        assert http("GET", base + "/")[2] == f.read()
    assert http("GET", base + "/console/vendor/preact.mjs")[0] == 200


def test_content_types_of_the_assets(bare):
    base = f"http://127.0.0.1:{bare.port}"
    for path, ctype in (("/console/app.js", "text/javascript; charset=utf-8"),
                        ("/console/vendor/preact.mjs", "text/javascript; charset=utf-8"),
                        ("/console/vendor/hooks.mjs", "text/javascript; charset=utf-8"),
                        ("/console/vendor/htm.mjs", "text/javascript; charset=utf-8"),
                        ("/console/style.css", "text/css; charset=utf-8"),
                        ("/console/vendor/LICENSES.txt", "text/plain; charset=utf-8")):
        status, h, body = http("GET", base + path)
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
    assert http("GET", f"http://127.0.0.1:{bare.port}/v1/status")[0] == 401
    assert raw_http(bare.port, "GET", "/hooks/nosuch")[0] == 404
