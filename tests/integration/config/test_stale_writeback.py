"""The probe's hard case: a Claude Desktop simulator rewriting its config in a tight loop while 200 toggles run.

See tests/fixtures/claude_simulator.py for how the simulator writes (truncate-then-write, from a copy it re-reads
when it "restarts"). Before issue 16's fixes, runs lost connectors for good (and, reading the file in its empty
instant, every other connector and top-level key with them); the goal is 0.
"""

from fixtures.claude_simulator import run


def test_no_connector_is_lost_while_claude_rewrites_its_stale_copy_during_200_toggles(tmp_path):
    result = run(tmp_path, toggles=200, seed=16)
    print(
        f"\n{result.toggles} toggles ({result.refused} refused) against {result.claude_writes} write-backs and "
        f"{result.claude_restarts} restarts in {result.seconds:.1f} s: connectors lost {len(result.connectors_lost)}"
    )
    assert result.connectors_lost == []
    assert result.keys_lost == []
    assert result.claude_writes > result.toggles  # the simulator really raced the toggles
