"""The ndjson output keeps its file made of whole lines: a last line torn by
a crash is cut off when parleyd opens the file again, and the events after
it land on lines of their own."""
import json
import os

from parley_it import Parleyd, free_port, read_ndjson, wait_until, TEST_PLUGIN_DIR


def config(tmp, port, count):
    return f"""
router:
  listen: 127.0.0.1:{port}
  plugin_dir: {TEST_PLUGIN_DIR}
  journal: {tmp}/parley.journal
connectors:
  - name: tc1
    plugin: testconn
    options: {{account: acme, count: {count}, batch: 10, interval: 1ms}}
outputs:
  - name: all
    type: ndjson
    options: {{path: {tmp}/all.ndjson}}
routes:
  - outputs: all
"""


def test_a_torn_last_line_is_cut_off_and_new_events_start_on_their_own_line(tmp_path):
    tmp, port = str(tmp_path), free_port()
    out = os.path.join(tmp, "all.ndjson")
    with open(out, "wb") as f:
        f.write(b'{"kept":"a whole line from before"}\n{"schema":"parley.event.v1","id":"test:tc')
    d = Parleyd(config(tmp, port, 100), tmpdir=tmp).start(f"http://127.0.0.1:{port}")
    wait_until(lambda: len(read_ndjson(out)) >= 101, what="100 events after the kept line")
    assert d.stop() == 0
    with open(out, "rb") as f:
        lines = f.read().split(b"\n")
    assert lines[-1] == b"", "the file ends with a whole line"
    docs = [json.loads(line) for line in lines[:-1]]  # every line parses
    assert docs[0] == {"kept": "a whole line from before"}
    assert [e["id"] for e in docs[1:]] == [f"test:tc1-{i}" for i in range(100)]
    assert "cut a torn last line" in d.logs()


def test_a_file_of_whole_lines_is_left_as_it_is(tmp_path):
    tmp, port = str(tmp_path), free_port()
    out = os.path.join(tmp, "all.ndjson")
    with open(out, "wb") as f:
        f.write(b'{"n":1}\n{"n":2}\n')
    d = Parleyd(config(tmp, port, 3), tmpdir=tmp).start(f"http://127.0.0.1:{port}")
    wait_until(lambda: len(read_ndjson(out)) >= 5, what="3 events after the 2 lines")
    assert d.stop() == 0
    docs = read_ndjson(out)
    assert docs[:2] == [{"n": 1}, {"n": 2}] and len(docs) == 5
    assert "torn" not in d.logs()
