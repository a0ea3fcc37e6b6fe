"""The one base of every failure SpecPilot reports to a user.

A :class:`SpecPilotError`'s text is the message the user reads (one sentence that says what to do), and it
carries the CLI's exit status. The CLI maps it in one place (``specpilot.cli.main``: the message on stderr, the
exit status returned) and the server in one place (``server/guard.py``: a RequestFailed answer with the message,
no traceback). Every engine's error class derives from it, keeping its older built-in base (``ValueError``,
``RuntimeError``) so existing ``except`` clauses still hold.
"""

from __future__ import annotations

EXIT_FAILURE = 1
EXIT_USAGE = 2


class SpecPilotError(Exception):
    """A failure whose message is for the user. ``exit_code``: what the CLI exits with (1 unless a subclass
    or the raiser says otherwise)."""

    exit_code: int = EXIT_FAILURE

    def __init__(self, message: str = "", *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self)


class UsageError(SpecPilotError):
    """A usage mistake argparse could not catch: a malformed argument, a missing one (exit 2)."""

    exit_code = EXIT_USAGE
