"""libcst surgery on parameter and argument lists, for refactorings that reshape them (signature.py).

Separators keep their layout when items move (:func:`comma_slots`), a parameter list can be flattened to one
sequence and rebuilt (:func:`flat_params`, :func:`with_flat`), and :class:`CallRewriter` applies planned new
parameter lists, argument lists and names to a module in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import libcst as cst


def comma_slots(items: list[Any], old: list[Any]) -> list[Any]:
    """Give ``items`` the separators of the ``old`` list by position, so layout
    (one per line, trailing comma) survives reordering, additions and removals."""
    if not items:
        return items
    separators = [item.comma for item in old[:-1]]
    last = old[-1].comma if old else cst.MaybeSentinel.DEFAULT
    fallback = without_comment(separators[-1]) if separators else cst.MaybeSentinel.DEFAULT
    out = []
    for index, item in enumerate(items):
        if index == len(items) - 1:
            out.append(item.with_changes(comma=last))
        else:
            out.append(item.with_changes(comma=separators[index] if index < len(separators) else fallback))
    return out


def without_comment(comma: Any) -> Any:
    """A separator like ``comma`` for a new item: its layout, not its comment."""
    if not isinstance(comma, cst.Comma) or not isinstance(comma.whitespace_after, cst.ParenthesizedWhitespace):
        return comma
    after = comma.whitespace_after
    first = after.first_line.with_changes(whitespace=cst.SimpleWhitespace(""), comment=None)
    return comma.with_changes(whitespace_after=after.with_changes(first_line=first, empty_lines=[]))


NO_SPACE_EQUAL = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                  whitespace_after=cst.SimpleWhitespace(""))


def replace_param(params: cst.Parameters, old: cst.Param, new: cst.Param) -> cst.Parameters:
    def swap(items: Sequence[cst.Param]) -> list[cst.Param]:
        return [new if item is old else item for item in items]
    return params.with_changes(
        posonly_params=swap(params.posonly_params), params=swap(params.params),
        kwonly_params=swap(params.kwonly_params),
        star_arg=new if params.star_arg is old else params.star_arg,
        star_kwarg=new if params.star_kwarg is old else params.star_kwarg)


def flat_params(params: cst.Parameters) -> list[Any]:
    items: list[Any] = [*params.posonly_params]
    if isinstance(params.posonly_ind, cst.ParamSlash):
        items.append(params.posonly_ind)
    items.extend(params.params)
    if not isinstance(params.star_arg, cst.MaybeSentinel):
        items.append(params.star_arg)
    items.extend(params.kwonly_params)
    if params.star_kwarg is not None:
        items.append(params.star_kwarg)
    return items


def with_flat(params: cst.Parameters, items: list[Any]) -> cst.Parameters:
    it = iter(items)
    posonly = [next(it) for _ in params.posonly_params]
    slash = next(it) if isinstance(params.posonly_ind, cst.ParamSlash) else params.posonly_ind
    regular = [next(it) for _ in params.params]
    star = next(it) if not isinstance(params.star_arg, cst.MaybeSentinel) else params.star_arg
    kwonly = [next(it) for _ in params.kwonly_params]
    star_kwarg = next(it) if params.star_kwarg is not None else None
    return params.with_changes(posonly_params=posonly, posonly_ind=slash, params=regular, star_arg=star,
                               kwonly_params=kwonly, star_kwarg=star_kwarg)


class CallRewriter(cst.CSTTransformer):
    def __init__(self, definitions: Mapping[cst.FunctionDef, cst.FunctionDef],
                 calls: Mapping[cst.Call, list[cst.Arg] | None], names: Mapping[cst.Name, str]) -> None:
        super().__init__()
        self.definitions, self.calls, self.names = definitions, calls, names

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        new = self.names.get(original)
        return updated.with_changes(value=new) if new is not None else updated

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        new = self.definitions.get(original)
        return updated.with_changes(params=new.params) if new is not None else updated

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        new_args = self.calls.get(original)
        if new_args is None:
            return updated
        # Arguments may hold calls rewritten below; take the updated nodes by identity of place.
        by_original = {id(o): u for o, u in zip(original.args, updated.args)}
        return updated.with_changes(args=[same_place(a, original.args, by_original) for a in new_args])


def same_place(arg: cst.Arg, originals: Sequence[cst.Arg], updated: Mapping[int, cst.Arg]) -> cst.Arg:
    for old in originals:
        if old.value is arg.value:
            return arg.with_changes(value=updated[id(old)].value)
    return arg
