"""Write the extension manifest's ``contributes.configuration`` from the server's settings schema.

One schema (core/config.py) declares every setting, the editor-only ones included (the
interpreter that runs the server, the protocol trace); ``contributes_configuration()`` turns it
into VS Code's form. Run with ``--check`` to fail (exit 1) when package.json disagrees, which
tests/extension/test_manifest.py does.

Usage: python extension/scripts/sync_settings.py [--check]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from specpilot.core.config import contributes_configuration

MANIFEST = Path(__file__).resolve().parents[2] / "package.json"


def main(argv: list[str]) -> int:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    wanted = contributes_configuration()
    if manifest.get("contributes", {}).get("configuration") == wanted:
        print("package.json: contributes.configuration matches the settings schema")
        return 0
    if "--check" in argv:
        print("package.json: contributes.configuration differs from the settings schema; "
              "run `python extension/scripts/sync_settings.py`", file=sys.stderr)
        return 1
    manifest.setdefault("contributes", {})["configuration"] = wanted
    MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"package.json: contributes.configuration written ({len(wanted['properties'])} settings)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
