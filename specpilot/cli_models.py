"""``specpilot train reranker``: train the local code reranker (the machine's base model when there is none, then
the workspace's adaptation; index/rerank_jobs.py). ``specpilot train policy``: learn to gather the agent's context
with PPO and judge it (rl/ppo_jobs.py). ``specpilot models list|remove``: the models SpecPilot trained, in the user
cache (index/rerank_models.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from specpilot.core.errors import SpecPilotError

EXIT_OK = 0


def add_parser(sub: Any) -> None:
    p_train = sub.add_parser("train", help="train the local code reranker or the context-gathering policy")
    what = p_train.add_subparsers(dest="what", required=True, metavar="MODEL")
    p_reranker = what.add_parser("reranker", help="mine pairs and train: the base model once per machine (<= 20 "
                                                  "min on CPU), then the workspace's adaptation")
    p_reranker.add_argument("-w", "--workspace", type=Path, default=None,
                            help="workspace to adapt to (default: the current folder)")
    p_reranker.add_argument("--base-only", action="store_true", help="train the base model only")
    p_reranker.add_argument("--retrain-base", action="store_true",
                            help="train the base model again even when one exists")
    p_reranker.add_argument("--fresh", action="store_true", help="mine the base pairs again")
    p_reranker.add_argument("--max-minutes", type=float, default=None,
                            help="training time limit per model (default: 20 for the base, 10 for a workspace)")
    p_reranker.add_argument("--limit", type=int, default=None, help="at most this many mined pairs")
    p_reranker.add_argument("--json", action="store_true")
    p_policy = what.add_parser("policy", help="learn with PPO which searches and lookups gather the agent's context "
                                              "(benchmark tasks plus the workspace's commits); used once promoted")
    p_policy.add_argument("-w", "--workspace", type=Path, default=None,
                          help="workspace whose commits and accepted agent runs also train (default: the current "
                               "folder, when indexed)")
    p_policy.add_argument("--steps", type=int, default=200_000, help="PPO environment steps (default 200000)")
    p_policy.add_argument("--max-minutes", type=float, default=10.0, help="training time limit (default 10)")
    p_policy.add_argument("--limit", type=int, default=600, help="benchmark tasks to record (default 600)")
    p_policy.add_argument("--packages", default=None,
                          help="benchmark packages, comma-separated (default: the retrieval benchmark's; the last "
                               "quarter only judge)")
    p_policy.add_argument("--json", action="store_true")
    p_models = sub.add_parser("models", help="the models SpecPilot trained (in the user cache): list, remove")
    actions = p_models.add_subparsers(dest="action", required=True, metavar="ACTION")
    p_list = actions.add_parser("list", help="each model with its size and card summary")
    p_list.add_argument("--json", action="store_true")
    p_remove = actions.add_parser("remove", help="delete a model (searches then keep the hybrid order, or use "
                                                 "the base model)")
    p_remove.add_argument("name", help="the model's name, as `specpilot models list` shows it")


class _Progress:
    """Stage lines on stderr, one per stage and tenth done."""

    def __init__(self) -> None:
        self.last: tuple[str, int] | None = None

    def __call__(self, stage: str, fraction: float) -> None:
        step = (stage.split(":")[0], int(max(0.0, min(1.0, fraction)) * 10))
        if step != self.last:
            self.last = step
            print(f"specpilot: {stage} {100 * fraction:.0f}%", file=sys.stderr, flush=True)


def cmd_train(args: argparse.Namespace) -> int:
    if args.what == "policy":
        return _train_policy(args)
    from specpilot.index.rerank_jobs import NothingToLearn, adapt_workspace, train_base
    from specpilot.index.reranker import base_model_dir, is_complete

    if args.limit is not None and args.limit < 1:
        raise SpecPilotError("--limit must be at least 1")
    if args.max_minutes is not None and args.max_minutes <= 0:
        raise SpecPilotError("--max-minutes must be positive")
    progress = _Progress()
    results = []
    if args.retrain_base or args.fresh or not is_complete(base_model_dir()):
        results.append(train_base(max_minutes=args.max_minutes or 20.0, limit=args.limit, fresh=args.fresh,
                                  progress=progress))
    if not args.base_only:
        root = (args.workspace or Path.cwd()).resolve()
        if not root.is_dir():
            raise SpecPilotError(f"workspace {root} is not a folder")
        try:
            results.append(adapt_workspace(root, max_minutes=args.max_minutes or 10.0, limit=args.limit,
                                           progress=progress))
        except NothingToLearn as exc:
            if args.json:
                print(json.dumps({"results": [r.__dict__ | {"folder": str(r.folder)} for r in results],
                                  "workspace": str(exc)}, indent=2, default=str))
                return EXIT_OK
            for result in results:
                print(result.message)
            print(str(exc))
            return EXIT_OK
    if args.json:
        print(json.dumps({"results": [r.__dict__ | {"folder": str(r.folder)} for r in results]}, indent=2,
                         default=str))
    else:
        for result in results:
            print(f"{result.message}\n  {result.folder}")
        if not results:
            print("nothing to train")
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    from specpilot.index.rerank_models import list_models, remove_model

    if args.action == "remove":
        print(f"removed {remove_model(args.name)}")
        return EXIT_OK
    models = list_models()
    if args.json:
        print(json.dumps([m.as_json() for m in models], indent=2))
    elif not models:
        print("no models yet: `specpilot train reranker` trains one")
    for model in models if not args.json else ():
        state = "" if model.complete else "  (unfinished)"
        print(f"{model.name:<24} {model.size / 1e6:7.1f} MB  {model.summary}{state}")
    return EXIT_OK


def _train_policy(args: argparse.Namespace) -> int:
    from specpilot.core.config import load_settings
    from specpilot.rl.docstring_set import PACKAGES
    from specpilot.rl.ppo_jobs import train_policy

    if args.steps < 1 or args.limit < 1 or args.max_minutes <= 0:
        raise SpecPilotError("--steps and --limit must be at least 1, --max-minutes positive")
    packages = tuple(p.strip() for p in args.packages.split(",") if p.strip()) if args.packages else PACKAGES
    unknown = [p for p in packages if p not in PACKAGES]
    if unknown or len(packages) < 2:
        raise SpecPilotError(f"--packages takes at least two of {', '.join(PACKAGES)}"
                             + (f" (not {', '.join(unknown)})" if unknown else ""))
    root = (args.workspace or Path.cwd()).resolve()
    if not root.is_dir():
        raise SpecPilotError(f"workspace {root} is not a folder")
    settings, problems = load_settings(root)
    for problem in problems:
        print(f"specpilot: {problem}", file=sys.stderr)
    result = train_policy(root, settings, steps=args.steps, max_minutes=args.max_minutes, limit=args.limit,
                          packages=packages, progress=_Progress())
    if args.json:
        print(json.dumps({"folder": str(result.folder), "promoted": result.promoted, "message": result.message,
                          "card": result.card}, indent=2, default=str))
    else:
        print(f"{result.message}\n  {result.folder}")
        for note in result.card.get("notes", []):
            print(f"  note: {note}")
    return EXIT_OK
