"""kill -9 a writer at random instants: the file always parses and is exactly the old or the new content."""

import json
import random
import signal
import subprocess
import sys
import textwrap

import pytest

from plugboard.core.config.jsondoc import ConfigDocument

RUNS = 50
# Up to this long after the writer says it is writing; one add+remove cycle of this 2 MB file takes ~60 ms here,
# so kills land before, during and after renames of both contents.
MAX_KILL_DELAY_S = 0.15

WRITER = textwrap.dedent(
    """
    import sys
    from plugboard.core.config.connectors import Connectors
    connectors = Connectors.open(sys.argv[1])
    print("ready", flush=True)
    while True:
        if "crash" in connectors.snapshot().doc.names:
            connectors.remove("crash")
        else:
            connectors.add("crash", {"command": "x", "args": ["y"]})
    """
)


def test_a_writer_killed_at_random_points_never_leaves_a_partial_file(claude_config, tmp_path):
    padding = "p" * 2_000_000
    old = json.dumps({"preferences": {"pad": padding}, "mcpServers": {"keep": {"command": "k"}}}, indent=2)
    claude_config.write_text(old)
    new = ConfigDocument(old).with_added("crash", {"command": "x", "args": ["y"]})
    rng = random.Random(20261121)
    seen = {"old": 0, "new": 0}
    for _ in range(RUNS):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(claude_config)], stdout=subprocess.PIPE, text=True)
        with proc.stdout:
            assert proc.stdout.readline().strip() == "ready"
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=rng.uniform(0, MAX_KILL_DELAY_S))  # let it write for a random while
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        content = claude_config.read_text()
        json.loads(content)
        assert content in (old, new)
        seen["old" if content == old else "new"] += 1
    # The kills landed on both sides of the rename, so the test exercised both outcomes.
    assert seen["old"] > 0 and seen["new"] > 0, seen
    # Temporary files of killed writers are swept by the next write.
    from plugboard.core.config.connectors import Connectors

    connectors = Connectors.open(str(claude_config))
    connectors.add("after", {"command": "z"})
    assert sorted(p.name for p in claude_config.parent.iterdir()) == [claude_config.name]
