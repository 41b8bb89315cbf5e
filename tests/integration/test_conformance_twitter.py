"""twitter.so passes every row of the conformance kit (sdk/conformance)
against the real parley-sim, every fault kind included.

The simulator's windows are shortened (--rate-window-s 3) because a 429
announces the end of the window (x-rate-limit-reset), which the connector
honours: the kit extends that fault's phase by the announced wait. The
timeout hold is shortened so the timeout fault is answered before the kit's
phase ends; --rate-limit-scale 100 lets the 20 lifecycle rounds poll freely."""
import re

from conformance_sim import assert_conformant, run_conformance


def test_twitter_so_passes_every_conformance_row_against_parley_sim(tmp_path):
    report = run_conformance(
        "twitter", config="twitter.yaml", scenario="twitter.scenario.json",
        probe_type="tweet", probe={"text": "@acme"},
        sim_args=["--rate-limit-scale", "100", "--rate-window-s", "3",
                  "--timeout-hold-ms", "2000"],
        tmp=str(tmp_path))
    assert_conformant(report)
    # the simulator reported the window (--rate-window-s 3) the 429 announces
    # (4 when a second boundary passes while it renders the answer)
    assert re.search(r"\+ the [34] s wait the platform announced",
                     report.detail("fault.status429"))
