"""``specpilot settings``: the settings schema, and the settings a workspace ends up with."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from specpilot.core.config import contributes_configuration, load_settings


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("settings", help="the settings schema; check a workspace's settings")
    actions = parser.add_subparsers(dest="settings_command", required=True, metavar="ACTION")
    actions.add_parser("schema", help="print VS Code's contributes.configuration (JSON) for every setting")
    check = actions.add_parser("check", help="check a workspace's pyproject settings; print what applies")
    check.add_argument("path", nargs="?", type=Path, help="workspace folder (default: the current folder)")


def cmd_settings(args: argparse.Namespace) -> int:
    if args.settings_command == "schema":
        print(json.dumps(contributes_configuration(), indent=2))
        return 0
    workspace = (args.path or Path.cwd()).expanduser().resolve()
    settings, problems = load_settings(workspace)
    print(json.dumps(asdict(settings), indent=2))
    for problem in problems:
        print(f"specpilot: warning: {problem}", file=sys.stderr)
    return 1 if problems else 0
