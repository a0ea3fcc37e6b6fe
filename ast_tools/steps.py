"""Refactorings run one after another on the evolving text, answered as one edit.

Each step reads the workspace as the earlier steps left it; the combined result
turns the original texts (with their document versions) into the final ones.
A step that refuses aborts the whole sequence: nothing of it is returned.
"""

from __future__ import annotations

from specpilot.ast_tools.edits import EditResult, text_change
from specpilot.ast_tools.workspace import Workspace


class Steps:
    def __init__(self, ws: Workspace) -> None:
        self.original = ws
        self.ws = ws
        self.warnings: list[str] = []
        self._texts: dict[str, str] = {}
        self._results: list[EditResult] = []

    def add(self, result: EditResult) -> None:
        """Fold in the result of a step computed on ``self.ws``."""
        texts = {f.path: f.new_text for f in result.files}
        self._texts.update(texts)
        self.warnings.extend(w for w in result.warnings if w not in self.warnings)
        self.ws = self.ws.overlay(texts)
        self._results.append(result)

    def result(self) -> EditResult:
        if len(self._results) == 1:  # one step: keep its own (finer) edits
            return EditResult(list(self._results[0].files), list(self.warnings))
        combined = EditResult(warnings=list(self.warnings))
        for path in sorted(self._texts):
            source = self.original.read(path)
            if source.text != self._texts[path]:
                combined.files.append(text_change(path, source.version, source.text, self._texts[path]))
        return combined
