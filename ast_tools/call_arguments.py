"""A call's arguments rewritten for a changed signature (change signature, signature.py).

``ArgumentPlan`` holds the parameters before and after the change; ``rearranged`` gives a call the
arguments that pass every parameter the same value as before: positional arguments follow their
parameters to their new places (as keywords once a parameter before them is no longer passed),
renamed keywords get their new names, and a call that passes a removed parameter, or whose ``*args``
or extra positional arguments the change would move, is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass

import libcst as cst

from specpilot.ast_tools.cst_lists import NO_SPACE_EQUAL, comma_slots
from specpilot.ast_tools.edits import Refusal
from specpilot.ast_tools.parsed import ParsedFile, code


@dataclass(frozen=True, slots=True)
class ArgumentPlan:
    """The positional parameters before (under their new names) and after the change."""

    old_positional: Sequence[str]
    new_positional: Sequence[str]
    positional_only: Set[str]  # after the change
    renamed: Mapping[str, str]  # old name -> new name
    removed: Sequence[str]

    def positions_move(self) -> bool:
        """Whether a positional argument can land on another parameter than before;
        appending parameters cannot do that (a valid call passed no more than before)."""
        return list(self.new_positional[:len(self.old_positional)]) != list(self.old_positional)


def rearranged(plan: ArgumentPlan, parsed: ParsedFile, call: cst.Call, offset: int,
               warnings: list[str]) -> list[cst.Arg] | None:
    """The call's new arguments, or None when they stay as they are. ``offset``: how many
    positional parameters the call fills implicitly (the receiver); ``warnings`` gets what
    a ``**`` argument might pass."""
    where = f"{parsed.path}:{parsed.line_of(call)}"
    args = list(call.args)
    positional = [a for a in args if a.keyword is None and a.star == ""]
    starred = [a for a in args if a.star == "*"]
    passed = plan.old_positional[offset:offset + len(positional)]
    by_keyword = {plan.renamed.get(a.keyword.value, a.keyword.value) for a in args if a.keyword is not None}
    for name in plan.removed:
        if name in passed or name in by_keyword:
            raise Refusal(f"{where} passes {name!r}, which the change removes")
        if any(a.star == "**" for a in args):
            warnings.append(f"{where}: **{code(next(a.value for a in args if a.star == '**'))} "
                            f"might pass {name!r}, which the change removes")
    values = dict(zip(passed, positional))
    extras = positional[len(passed):]  # they go to the function's *args
    moved = plan.positions_move()
    if starred and moved:
        raise Refusal(f"{where} unpacks *{code(starred[0].value)}: cannot tell which parameters it fills")
    if extras and moved:
        raise Refusal(f"{where} passes extra positional arguments to *args; the change would move them")
    new_args: list[cst.Arg] = []
    keywords: list[cst.Arg] = []
    open_run = True
    for name in plan.new_positional[offset:]:
        if name not in values:
            open_run = False
            continue
        if open_run:
            new_args.append(values.pop(name))
        else:
            if name in plan.positional_only:
                raise Refusal(f"{where}: {name!r} is positional-only and would have to be passed by keyword")
            keywords.append(values.pop(name).with_changes(keyword=cst.Name(name), equal=NO_SPACE_EQUAL))
    new_args.extend(extras)
    rest = [a for a in args if not (a.keyword is None and a.star == "")]
    rest = [a.with_changes(keyword=cst.Name(plan.renamed[a.keyword.value]))
            if a.keyword is not None and a.keyword.value in plan.renamed else a for a in rest]
    rebuilt = comma_slots([*new_args, *keywords, *rest], args)
    if [code(a) for a in rebuilt] == [code(a) for a in args]:
        return None
    return rebuilt
