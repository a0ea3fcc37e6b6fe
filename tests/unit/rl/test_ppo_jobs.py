"""``specpilot train policy`` end to end on a small benchmark (two packages train, one judges): tasks recorded from
a real index, PPO trained, the promotion rule applied, the policy saved with its card; bad arguments refused."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from specpilot.cli import main
from specpilot.rl import ppo
from specpilot.rl.ppo_jobs import held_out_packages
from tests.fixtures import copy_workspace

SAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sample_workspace"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A user cache of this module (the benchmark's index is built once), with the session's exported embedding
    models linked in."""
    user = tmp_path_factory.mktemp("policy") / "user-cache"
    models = user / "specpilot" / "models"
    models.mkdir(parents=True)
    session = Path(os.environ["XDG_CACHE_HOME"]) / "specpilot" / "models"
    for entry in session.iterdir() if session.is_dir() else ():
        (models / entry.name).symlink_to(entry.resolve(), target_is_directory=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(user))
        yield user


def _card() -> str:
    card = ppo.policy_dir() / "card.json"
    return card.read_text() if card.is_file() else ""


def test_the_last_quarter_of_the_packages_only_judges() -> None:
    assert held_out_packages(("a", "b", "c", "d", "e", "f", "g", "h")) == ("g", "h")
    assert held_out_packages(("a", "b")) == ("b",)


def test_train_policy_records_trains_judges_and_saves(cache: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    ws = copy_workspace(SAMPLE, tmp_path / "ws")
    git = ["git", "-C", str(ws), "-c", "user.name=t", "-c", "user.email=t@x"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "start the project"], check=True)
    (ws / "httpkit" / "cookies.py").write_text((ws / "httpkit" / "cookies.py").read_text() + "\n# folded\n")
    subprocess.run([*git, "commit", "-qam", "fold continuation lines of cookie headers"], check=True)
    assert main(["index", "-w", str(ws)]) == 0
    capsys.readouterr()
    assert main(["train", "policy", "-w", str(ws), "--packages", "json,urllib,concurrent", "--limit", "90",
                 "--steps", "3000", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    card = result["card"]
    assert card["held_out_packages"] == ["concurrent"]
    assert card["tasks"]["workspace"] == 1  # the commit that names one file; the first touched too many
    assert card["tasks"]["train"] >= 40 and card["tasks"]["held_out"] >= 10
    assert isinstance(result["promoted"], bool) and result["promoted"] == card["promoted"]
    assert ("promoted:" if result["promoted"] else "not promoted") in card["verdict"]
    assert set(card["held_out_success"]) == {"policy", "best_fixed", "bandit"}
    assert card["curve"]["steps"][0] == 0 and card["steps"] >= 3000
    loaded = ppo.load(Path(result["folder"]))
    assert Path(result["folder"]) == ppo.policy_dir() and loaded.card["verdict"] == card["verdict"]
    # the recorded episodes are cached: a second run does not index or record again
    assert main(["train", "policy", "-w", str(ws), "--packages", "json,urllib,concurrent", "--limit", "90",
                 "--steps", "1024"]) == 0
    captured = capsys.readouterr()
    assert "recording the benchmark" not in captured.err and "context policy trained" in captured.out


@pytest.mark.parametrize(("args", "message"), [
    (["--packages", "json"], "at least two of"),
    (["--packages", "json,nonsense"], "(not nonsense)"),
    (["--steps", "0"], "--steps and --limit must be at least 1"),
])
def test_bad_arguments_are_refused_and_nothing_is_trained(cache: Path, tmp_path: Path, args: list[str],
                                                          message: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = _card()
    assert main(["train", "policy", "-w", str(tmp_path), *args]) == 1
    assert message in capsys.readouterr().err
    assert _card() == before


def test_too_few_tasks_say_so(cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _card()
    assert main(["train", "policy", "-w", str(tmp_path), "--packages", "json,urllib,concurrent", "--limit", "25",
                 "--steps", "1024"]) == 1
    assert "too few tasks to learn a context policy" in capsys.readouterr().err
    assert _card() == before
