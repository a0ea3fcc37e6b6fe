"""The build backend: setuptools' own, with one notice of an editable install left out.

The package folder specpilot/ sits at the repository root (with links to the layers'
folders, see ARCHITECTURE.md), so setuptools' editable install always prints "Editable
installation: be careful with folders in your working directory with the same name as
your package". That notice cannot apply here (the only such folder, specpilot/, *is* the
package) and it is the one thing ``pip install -e .`` printed as a warning; every other
warning still shows.
"""

from __future__ import annotations

import warnings
from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403  (every hook as setuptools defines it)


def build_editable(wheel_directory: str, config_settings: dict[str, Any] | None = None,
                   metadata_directory: str | None = None) -> str:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Editable installation\.")
        return str(_setuptools.build_editable(wheel_directory, config_settings, metadata_directory))
