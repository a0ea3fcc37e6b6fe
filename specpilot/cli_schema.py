"""``specpilot schema commands [--out FILE]``: the JSON Schema of the language server's command arguments.

The same document the server answers to ``specpilot/commandSchemas`` (server/command_args.py): for each
``workspace/executeCommand`` command, the schema of its ``arguments`` array. Editor extensions generate
their argument types and input forms from it. Printed to stdout, or written to FILE.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from specpilot.core.errors import SpecPilotError

EXIT_OK = 0


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("schema", help="print published JSON Schemas (the server's command arguments)")
    parser.add_argument("which", choices=["commands"], help="commands: every server command's arguments")
    parser.add_argument("--out", type=Path, metavar="FILE", help="write the schema to FILE instead of stdout")


def cmd_schema(args: argparse.Namespace) -> int:
    from specpilot.server.command_args import schema_text

    text = schema_text()
    if args.out is None:
        print(text, end="")
        return EXIT_OK
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SpecPilotError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    return EXIT_OK
