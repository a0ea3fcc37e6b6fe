"""The real server over stdio under 3,000 generated messages (see fuzzer.py): it stays up,
answers every request in time, never with InternalError, raises no error popups, and
still answers the fixed queries right afterwards."""

from __future__ import annotations

import os
from pathlib import Path

import fuzzer
from conftest import NO_MODEL
from wire import Wire

MESSAGES = int(os.environ.get("SPECPILOT_FUZZ_MESSAGES", "3000"))
SEED = int(os.environ.get("SPECPILOT_FUZZ_SEED", "20261203"))


async def test_every_request_is_answered_under_generated_traffic(project: Path, tmp_path: Path) -> None:
    wire = await Wire.start(tmp_path / "server.log")
    try:
        init = await wire.initialize(project, NO_MODEL)
        await wire.wait_ready(project.as_uri())
        tally, generator = await fuzzer.run(wire, project, init["capabilities"], MESSAGES, SEED)
        assert wire.alive, "the server died"
        assert tally.messages == MESSAGES and tally.requests >= MESSAGES // 2
        assert not tally.timeouts, tally.timeouts[:5]
        assert tally.answered == tally.requests
        assert not tally.internal_errors, tally.internal_errors[:5]
        assert not tally.faulty_popups, tally.faulty_popups[:5]
        assert set(tally.by_method) == set(fuzzer.requests_of(init["capabilities"]))  # every method was sent
        assert set(init["capabilities"]["executeCommandProvider"]["commands"]) <= set(tally.commands)
        assert tally.errors[-32602] > 0 and tally.errors[-32803] > 0  # bad params did reach the server
        await fuzzer.close_all(wire, generator)
        await fuzzer.check_answers(wire, project)
    finally:
        code = await wire.close()
    assert code == 0
