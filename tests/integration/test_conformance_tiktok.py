"""tiktok.so passes every row of the conformance kit (sdk/conformance)
against the real parley-sim, every fault kind included.

Config and scenario live with the plugin (plugins/tiktok/conformance.yaml,
conformance.scenario.json). The probes are comments on the scenario's video
v1 (a TikTok comment needs a video). The config has no refresh credentials:
fault.expire_token wants the instance unhealthy, not refreshed (that path
is tested in test_tiktok.py). TikTok's 40100 names no wait, so the
connector's own backoff (rate_limit_backoff: 2s in the config) decides how
soon it tries again; --rate-window-s 3 keeps the simulator's per-minute
windows short and --timeout-hold-ms 2000 answers the timeout fault within
the kit's phase."""
import os

from conformance_sim import assert_conformant, run_conformance
from parley_it import SOURCE_DIR

PLUGIN = os.path.join(os.path.abspath(SOURCE_DIR), "plugins", "tiktok")


def test_tiktok_so_passes_every_conformance_row_against_parley_sim(tmp_path):
    report = run_conformance(
        "tiktok", config=os.path.join(PLUGIN, "conformance.yaml"),
        scenario=os.path.join(PLUGIN, "conformance.scenario.json"),
        probe_type="comment", probe={"parent_ref": "v1", "author": "techdad42"},
        sim_args=["--rate-window-s", "3", "--timeout-hold-ms", "2000"],
        tmp=str(tmp_path))
    assert_conformant(report)
    # the kit saw the comments and replies of both videos (first pass: one
    # page each), and 429 did not stop the poller
    assert report.detail("events.emitted").startswith("8 events")
