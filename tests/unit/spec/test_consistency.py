"""The ml profile's review check: README, config files and code agree, or each disagreement is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specpilot.cli import main
from specpilot.spec.consistency import check_consistency
from specpilot.spec.documents import parse_review
from specpilot.spec.facts import gather, normal_key, normal_value
from specpilot.spec.store import SpecStore

README = """\
# Tiny classifier

Train with a batch size of 64 and a learning rate of 3e-4 for 10 epochs.

```bash
pip install -r requirements.txt
python train.py --config configs/train.yaml --epochs 1 --dry-run
python -m tiny.evaluate --checkpoint out/model.pt
```

| setting | value |
|---|---|
| `dropout` | 0.2 |

Use `--batch-size` to change the batch size; `--dry` is short for `--dry-run`.
"""

CONFIG = """\
model:
  hidden_size: 128
  dropout: 0.2
train:
  batch_size: 64
  learning_rate: 0.0003
  epochs: 10
"""

TRAIN = """\
import argparse

import yaml


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/train.yaml")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    cfg = yaml.safe_load(open(args.config))
    model = build(cfg["model"]["hidden_size"], cfg["model"]["dropout"])
    return train(model, lr=cfg["train"]["learning_rate"], epochs=args.epochs)
"""

EVALUATE = """\
from tiny.cli import parse_args


def main():
    return parse_args()
"""

CLI = """\
import argparse


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    return parser.parse_args()
"""


def workspace(root: Path, **changes: str | None) -> Path:
    """A small ML project whose README, config and code agree; ``changes`` (path -> text, None deletes) break it."""
    files: dict[str, str | None] = {"README.md": README, "configs/train.yaml": CONFIG, "train.py": TRAIN,
                                    "tiny/__init__.py": "", "tiny/evaluate.py": EVALUATE, "tiny/cli.py": CLI,
                                    "data/train.json": json.dumps({"rows": [1, 2], "label_names": ["a", "b"]})}
    files.update(changes)
    for path, text in files.items():
        if text is not None:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
    return root


def findings(root: Path) -> list[tuple[str, str]]:
    return [(f.kind, f.message) for f in check_consistency(root).findings]


def test_a_project_whose_readme_config_and_code_agree_has_no_findings(tmp_path: Path) -> None:
    result = check_consistency(workspace(tmp_path))
    assert result.agrees, result.report()
    assert "They agree." in result.report() and "configs/train.yaml" in result.report()
    assert "data/train.json" not in {c.path for c in result.facts.configs}  # data, not config


def test_readme_values_that_no_config_or_code_has_are_named_with_every_place(tmp_path: Path) -> None:
    readme = README.replace("batch size of 64", "batch size of 32").replace("| 0.2 |", "| 0.1 |")
    found = findings(workspace(tmp_path, **{"README.md": readme}))
    assert ("value", "README.md:3 says batch_size is 32, but configs/train.yaml:5 sets 64; train.py:10 defaults "
            "to 64") in found
    assert ("value", "README.md:13 says dropout is 0.1, but configs/train.yaml:3 sets 0.2") in found
    assert len(found) == 2  # the command's own --epochs 1 is the user's choice, not a claim


def test_a_readme_value_matching_the_config_or_a_code_default_agrees(tmp_path: Path) -> None:
    train = TRAIN.replace("default=64", "default=16")  # the config (64) still says what the README says
    assert findings(workspace(tmp_path, **{"train.py": train})) == []


def test_options_the_scripts_do_not_define_are_named(tmp_path: Path) -> None:
    readme = README.replace("--epochs 1", "--epochs 1 --warmup 5").replace("`--batch-size`", "`--momentum`")
    found = findings(workspace(tmp_path, **{"README.md": readme}))
    assert found == [
        ("unknown option", "README.md:7 passes `--warmup` to train.py, which does not define it (it defines "
         "--batch-size, --config, --dry-run, --epochs)"),
        ("unknown option", "README.md:15 names `--momentum`, which no script defines"),
    ]


def test_options_defined_in_an_imported_module_and_argparse_abbreviations_count(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    assert findings(root) == []  # tiny.evaluate's --checkpoint comes from tiny/cli.py; `--dry` abbreviates
    (root / "tiny/evaluate.py").write_text("def main():\n    return 1\n", encoding="utf-8")
    assert findings(root) == [("unknown option", "README.md:8 passes `--checkpoint` to tiny/evaluate.py, which "
                               "defines no command-line options")]


def test_scripts_whose_options_come_from_fire_or_argv_are_not_checked(tmp_path: Path) -> None:
    evaluate = "import fire\n\ndef main(checkpoint):\n    return checkpoint\n\nfire.Fire(main)\n"
    assert findings(workspace(tmp_path, **{"tiny/evaluate.py": evaluate})) == []
    evaluate = "import sys\n\ncheckpoint = sys.argv[2]\n"
    assert findings(workspace(tmp_path, **{"tiny/evaluate.py": evaluate})) == []


def test_missing_scripts_and_config_files_are_named_but_installed_modules_are_not(tmp_path: Path) -> None:
    readme = README + "\n```sh\npython scripts/export.py\npython -m pytest -q\n```\nSee `configs/full.yaml`.\n"
    train = TRAIN.replace('"configs/train.yaml"', '"configs/base.yaml"')
    found = findings(workspace(tmp_path, **{"README.md": readme, "train.py": train}))
    assert ("missing script", "README.md:18 runs `scripts/export.py`, which does not exist") in found
    assert ("missing file", "README.md:21 names configs/full.yaml, which does not exist") in found
    assert ("missing file", "train.py:8 names configs/base.yaml, which does not exist") in found
    assert ("missing file", "README.md:7 names configs/train.yaml, which does not exist") not in found
    assert not [f for f in found if "pytest" in f[1]]


def test_a_config_key_typo_is_named_from_both_sides(tmp_path: Path) -> None:
    config = CONFIG + "  warmup_setps: 100\n"
    train = TRAIN.replace('epochs=args.epochs)', 'epochs=args.epochs, warmup=cfg["train"]["warmup_steps"])')
    result = check_consistency(workspace(tmp_path, **{"configs/train.yaml": config, "train.py": train}))
    assert [(f.kind, f.severity, f.message) for f in result.findings] == [
        ("unread key", "error", "configs/train.yaml:8 sets `warmup_setps`, which no code reads; the code reads "
         "`warmup_steps`"),
        ("unset key", "error", "train.py:15 reads `warmup_steps` from the config, which no config file sets; a "
         "config sets `warmup_setps`"),
    ]


def test_a_config_key_nothing_reads_is_a_warning_a_library_may_account_for(tmp_path: Path) -> None:
    config = CONFIG + "trainer:\n  benchmark: true\n"
    result = check_consistency(workspace(tmp_path, **{"configs/train.yaml": config}))
    assert [(f.kind, f.severity, f.message) for f in result.findings] == [
        ("unread key", "warning", "configs/train.yaml:9 sets `benchmark`, which no code in the workspace reads")]
    assert result.errors == [] and "(warning)" in result.report()


def test_framework_configs_and_guarded_reads_are_not_findings(tmp_path: Path) -> None:
    detectron = "_BASE_: base.yaml\nMODEL:\n  DEPTH: 50\nSOLVER:\n  IMS_PER_BATCH: 64\n"
    train = TRAIN.replace("    model = build(", '    if "scheduler" in cfg:\n        print(cfg["scheduler"])\n'
                          "    model = build(")
    root = workspace(tmp_path, **{"configs/d2/detr.yaml": detectron, "configs/d2/base.yaml": "MODEL: {}\n",
                                  "train.py": train})
    assert findings(root) == []


def test_a_key_the_code_puts_in_the_dict_itself_is_not_an_unset_read(tmp_path: Path) -> None:
    train = TRAIN.replace("    model = build(", '    cfg["seed"] = 0\n    print(cfg["seed"])\n    model = build(')
    assert findings(workspace(tmp_path, **{"train.py": train})) == []


def test_a_config_that_does_not_parse_is_named_and_the_rest_still_checked(tmp_path: Path) -> None:
    root = workspace(tmp_path, **{"configs/sweep.yaml": "lr: [0.1, 0.01\n"})
    found = findings(root)
    assert [kind for kind, _ in found] == ["bad config"]
    assert found[0][1].startswith("configs/sweep.yaml does not parse: ")


def test_a_readme_setting_nothing_mentions_is_named(tmp_path: Path) -> None:
    readme = README + "\nWeight decay is 0.01.\n"
    assert findings(workspace(tmp_path, **{"README.md": readme})) == [
        ("undocumented", "README.md:17 states weight_decay 0.01, which neither the config files nor the code "
         "mention")]


def test_yaml_blocks_in_the_readme_are_claims_about_the_config(tmp_path: Path) -> None:
    readme = README + "\n```yaml\ntrain:\n  batch_size: 128\n```\n"
    assert [kind for kind, _ in findings(workspace(tmp_path, **{"README.md": readme}))] == ["value"]


def test_keys_and_values_are_normalised() -> None:
    assert normal_key("--Learning-Rate") == "lr" == normal_key("learning rate")
    assert normal_key("num_epochs") == "epochs" and normal_key("batch size") == "batch_size"
    assert normal_value("3e-4") == normal_value(0.0003) and normal_value("32") == normal_value(32) == 32.0
    assert normal_value("true") is True and normal_value("null") is None and normal_value("'adam'") == "adam"


def test_without_a_readme_only_config_and_code_are_compared(tmp_path: Path) -> None:
    root = workspace(tmp_path, **{"README.md": None, "configs/train.yaml": CONFIG + "  unused: 1\n"})
    assert gather(root).readme is None
    assert findings(root) == [("unread key", "configs/train.yaml:8 sets `unused`, which no code in the workspace "
                               "reads")]


def test_readme_prose_and_commands_read_as_a_person_means_them(tmp_path: Path) -> None:
    readme = README + (
        "\nThe learning rate decays every 30 epochs. Prepend `NCCL_IB_DISABLE=1` on clusters.\n"
        "Go to `scripts/` and run `export.py` there. Set `maxSteps: 500` to stop early.\n"
        "Fine-tune for 25 epochs:\n\n```bash\n"
        "python -m torch.distributed.launch --nproc_per_node=8 train.py --epochs 25 --dry-run\n"
        "python export.py --format onnx\n```\n")
    export = "import argparse\n\nparser = argparse.ArgumentParser()\nparser.add_argument('--format')\n"
    train = TRAIN.replace("    args = parser.parse_args()", "    args = parser.parse_args()\n    max_steps = 500")
    root = workspace(tmp_path, **{"README.md": readme, "scripts/export.py": export, "train.py": train})
    assert findings(root) == []  # each of these lines would be a finding if read literally
    facts = gather(root)
    assert [c.script for c in facts.commands][-2:] == ["train.py", "export.py"]


def test_a_script_that_execs_its_option_parser_is_not_checked(tmp_path: Path) -> None:
    readme = README + "\n```sh\npython sample.py --out_dir=out --start=hello\n```\n"
    sample = "out_dir = 'out'\nstart = ''\nexec(open('configurator.py').read())\nprint(out_dir, start)\n"
    configurator = "import sys\nfor arg in sys.argv[1:]:\n    print(arg)\n"
    assert findings(workspace(tmp_path, **{"README.md": readme, "sample.py": sample,
                                           "configurator.py": configurator})) == []


# --- through the workflow --------------------------------------------------------------------------------------


def review_ml(root: Path, capsys: pytest.CaptureFixture[str]) -> dict:  # type: ignore[type-arg]
    for args in (["new", "Train a tiny classifier on the sample CSV and report accuracy.", "--profile", "ml"],
                 ["design", "--force"], ["tasks", "--force"], ["review"]):
        code = main(["spec", *args, "-w", str(root), "--json"])
        out = capsys.readouterr()
        assert code == (0 if json.loads(out.out)["gate"]["passed"] else 1), out.err  # a failing gate exits 1
    return json.loads(out.out)  # type: ignore[no-any-return]


def test_an_ml_review_fails_its_gate_on_each_disagreement_and_writes_them_to_review_md(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = README.replace("batch size of 64", "batch size of 32").replace("| 0.2 |", "| 0.1 |")
    result = review_ml(workspace(tmp_path, **{"README.md": readme}), capsys)
    problems = [p for p in result["gate"]["problems"] if p.startswith("README/config/code")]
    assert problems == ["README/config/code: README.md:13 says dropout is 0.1, but configs/train.yaml:3 sets 0.2"]
    store = SpecStore(tmp_path)
    review, _ = parse_review(store.read(store.resolve(None), "review"))
    assert review.readme is not None and "2 disagreement(s)" in review.readme
    # prose may describe something else, so it is listed as a warning and does not fail the gate
    assert "README.md:3 says batch_size is 32, but configs/train.yaml:5 sets 64; train.py:10 defaults to 64 " \
           "(warning)" in review.readme
    assert review.verdict and review.verdict.startswith("Changes needed")


def test_an_ml_review_of_an_agreeing_project_reports_no_disagreement(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = review_ml(workspace(tmp_path), capsys)
    assert not [p for p in result["gate"]["problems"] if p.startswith("README/config/code")]
    store = SpecStore(tmp_path)
    review, _ = parse_review(store.read(store.resolve(None), "review"))
    assert review.readme is not None and review.readme.endswith("They agree.")


def test_an_ml_review_lists_warnings_without_failing_on_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = review_ml(workspace(tmp_path, **{"configs/train.yaml": CONFIG + "trainer:\n  benchmark: true\n"}),
                       capsys)
    assert not [p for p in result["gate"]["problems"] if p.startswith("README/config/code")]
    store = SpecStore(tmp_path)
    review, _ = parse_review(store.read(store.resolve(None), "review"))
    assert review.readme is not None and "`benchmark`, which no code in the workspace reads (warning)" in review.readme


def test_a_default_profile_review_does_not_run_the_ml_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = workspace(tmp_path, **{"README.md": README.replace("batch size of 64", "batch size of 32")})
    for args in (["new", "Users can export a report as CSV."], ["design", "--force"], ["tasks", "--force"]):
        code = main(["spec", *args, "-w", str(root), "--json"])
        assert code == (0 if json.loads(capsys.readouterr().out)["gate"]["passed"] else 1)  # a failing gate exits 1
    assert main(["spec", "review", "-w", str(root), "--json"]) == 1  # its gate fails: problems are listed
    result = json.loads(capsys.readouterr().out)
    assert result["gate"]["problems"] and not [p for p in result["gate"]["problems"] if "README/config/code" in p]


def test_options_added_in_a_loop_are_not_checked(tmp_path: Path) -> None:
    cli = ("import argparse\n\n\ndef parse_args():\n    parser = argparse.ArgumentParser()\n"
           "    for key, value in dict(checkpoint='', steps=10).items():\n"
           "        parser.add_argument(f'--{key}', default=value)\n    return parser.parse_args()\n")
    assert findings(workspace(tmp_path, **{"tiny/cli.py": cli})) == []
