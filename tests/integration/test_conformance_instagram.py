"""instagram.so passes every row of the conformance kit (sdk/conformance)
against the real parley-sim, every fault kind included (how:
conformance_sim.assert_meta_conformant)."""
from conformance_sim import assert_meta_conformant


def test_instagram_so_passes_every_conformance_row_against_parley_sim(tmp_path):
    assert_meta_conformant("instagram", {"parent_ref": "m1", "author_id": "6789012345678901",
                                         "account_id": "17841400000000001"}, str(tmp_path))
