"""facebook.so passes every row of the conformance kit (sdk/conformance)
against the real parley-sim, every fault kind included (how:
conformance_sim.assert_meta_conformant)."""
from conformance_sim import assert_meta_conformant


def test_facebook_so_passes_every_conformance_row_against_parley_sim(tmp_path):
    assert_meta_conformant("facebook", {"parent_ref": "p1", "author_id": "7100000000000001",
                                        "account_id": "104000000000001"}, str(tmp_path))
