"""linkedin.so passes every row of the conformance kit (sdk/conformance)
against the real parley-sim, every fault kind included.

The config and scenario live next to the connector (plugins/linkedin/).
Probes are comments on the organization's post, which the comments source
reads. The timeout hold is shortened so the timeout fault is answered within
the kit's phase; an injected 429 is LinkedIn's short infrastructure throttle
(no DAY limit named), which the connector backs off from 10 s."""
import os

from conformance_sim import assert_conformant, run_conformance
from parley_it import SOURCE_DIR

HERE = os.path.join(SOURCE_DIR, "plugins", "linkedin")


def test_linkedin_so_passes_every_conformance_row_against_parley_sim(tmp_path):
    report = run_conformance(
        "linkedin", config=os.path.join(HERE, "conformance.yaml"),
        scenario=os.path.join(HERE, "conformance.scenario.json"),
        probe_type="comment", probe={"parent_ref": "li-post-1", "author": "emily-chen"},
        sim_args=["--timeout-hold-ms", "2000"],
        tmp=str(tmp_path))
    assert_conformant(report)
