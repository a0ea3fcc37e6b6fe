"""Set the docstring of a function, class or module, and draft a stub for one.

The docstring is the first statement when it is a plain string expression (any
quote style or prefix but bytes and f-strings). ``set_docstring`` replaces its
string, keeping the line's comment, or inserts a new first statement: for a
module after the leading comment block (shebang, encoding, licence) and before
everything else, with one blank line after it.

The text is cleaned as ``inspect.cleandoc`` cleans it, which is what
``ast.get_docstring`` returns: leading and trailing blank lines and the common
indentation of the lines after the first are dropped (tabs expanded); trailing
whitespace on each line is dropped too. So ``ast.get_docstring`` of the result
equals ``inspect.cleandoc(text)`` with each line's trailing whitespace removed.
It is written in triple double quotes; backslashes and the double quotes that
would end the string early are escaped. One line stays on the quotes' line
(``\"\"\"Summary.\"\"\"``); more lines are indented to the body and the closing
quotes go on their own line, as PEP 257 asks. Line breaks are the file's own.

A definition whose body is on the ``def``/``class`` line (``def f(): return 1``)
is turned into an indented block (one level of the file's indentation deeper than
the definition) so the docstring can be its first line; the statement keeps its
trailing comment. An empty or whitespace-only text is refused.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence

import libcst as cst

from specpilot.ast_tools.edits import EditResult, Refusal, split_lines, text_change
from specpilot.ast_tools.parsed import ParsedFile, parse_file
from specpilot.ast_tools.targets import Definition, Target, find_definition
from specpilot.ast_tools.workspace import Workspace


def set_docstring(ws: Workspace, path: str, target: Target | None, text: str) -> EditResult:
    """Replace or insert the docstring of ``target`` (None: the module's)."""
    cleaned = _clean(text)
    parsed = parse_file(ws, path)
    module = parsed.module
    if target is None:
        changed_module = _module_with_docstring(parsed, cleaned)
    else:
        _, node = find_definition(parsed, target)
        indent, body = _body_indent(parsed, node)
        literal = docstring_literal(cleaned, indent, module.default_newline)
        changed = node.with_changes(body=body.with_changes(body=_with_docstring(list(body.body), literal)))
        result = module.deep_replace(node, changed)
        assert isinstance(result, cst.Module)
        changed_module = result
    source = parsed.source
    return EditResult(files=[text_change(source.path, source.version, source.text, changed_module.code)])


def docstring_expression(statement: cst.BaseStatement | cst.BaseSmallStatement) -> cst.Expr | None:
    """The docstring expression if ``statement`` (a body's first) is a docstring."""
    if isinstance(statement, cst.SimpleStatementLine) and statement.body:
        statement = statement.body[0]
    if isinstance(statement, cst.Expr) and _is_text_string(statement.value):
        return statement
    return None


def docstring_literal(text: str, indent: str, newline: str) -> str:
    """The triple-double-quoted literal of a cleaned ``text`` in a body indented by ``indent``."""
    escaped = text.replace("\\", "\\\\")
    escaped = re.sub(r'"(?=")|"$', '\\"', escaped)  # no run of quotes can close the string early
    lines = escaped.split("\n")
    if len(lines) == 1:
        return f'"""{lines[0]}"""'
    rest = [f"{indent}{line}" if line else "" for line in lines[1:]]
    return newline.join([f'"""{lines[0]}', *rest, f'{indent}"""'])


def docstring_stub(function: cst.FunctionDef | cst.ClassDef) -> str:
    """A Google-style stub for the editor's "add docstring stub" action: a summary to fill
    in, ``Args:`` for the parameters (a class lists its ``__init__``'s; ``self`` and
    ``cls`` are left out), and ``Returns:`` when the function returns a value (an
    annotation other than ``None``, or unannotated with a ``return <value>``)."""
    if isinstance(function, cst.ClassDef):
        init = _init_of(function)
        params = _param_names(init) if init is not None else []
        returns = False
    else:
        params = _param_names(function)
        returns = _returns_value(function)
    lines = [f"TODO: summarize {function.name.value}."]
    if params:
        lines += ["", "Args:", *(f"    {name}: TODO." for name in params)]
    if returns:
        lines += ["", "Returns:", "    TODO."]
    return "\n".join(lines)


def _clean(text: str) -> str:
    cleaned = inspect.cleandoc(text.replace("\r\n", "\n").replace("\r", "\n"))
    cleaned = "\n".join(line.rstrip() for line in cleaned.split("\n"))
    if not cleaned.strip():
        raise Refusal("the docstring text is empty")
    return cleaned


def _is_text_string(value: cst.BaseExpression) -> bool:
    if isinstance(value, cst.SimpleString):
        return not {"b", "f"} & set(value.prefix.lower())
    if isinstance(value, cst.ConcatenatedString):
        return _is_text_string(value.left) and _is_text_string(value.right)
    return False


def _with_docstring(statements: Sequence[cst.BaseStatement], literal: str) -> list[cst.BaseStatement]:
    """``statements`` with the docstring's string replaced by ``literal``, or a new first line."""
    string = cst.SimpleString(literal)
    if statements:
        first = statements[0]
        docstring = docstring_expression(first)
        if docstring is not None and isinstance(first, cst.SimpleStatementLine):
            small = list(first.body)
            small[0] = docstring.with_changes(value=string)
            return [first.with_changes(body=small), *statements[1:]]
    return [cst.SimpleStatementLine(body=[cst.Expr(string)]), *statements]


def _module_with_docstring(parsed: ParsedFile, text: str) -> cst.Module:
    module = parsed.module
    literal = docstring_literal(text, "", module.default_newline)
    body = list(module.body)
    if body and docstring_expression(body[0]) is not None:
        return module.with_changes(body=_with_docstring(body, literal))
    header = list(module.header)
    # Blank lines after the leading comments go after the docstring instead.
    comments_end = max((i + 1 for i, line in enumerate(header) if line.comment is not None), default=0)
    header, trailing_blanks = header[:comments_end], header[comments_end:]
    footer = list(module.footer)
    if body:
        first = body[0]
        blanks = trailing_blanks or [cst.EmptyLine()]
        body[0] = first.with_changes(leading_lines=[*blanks, *first.leading_lines])
    else:
        footer = [*trailing_blanks, *footer]
    docstring = cst.SimpleStatementLine(body=[cst.Expr(cst.SimpleString(literal))])
    return module.with_changes(header=header, body=[docstring, *body], footer=footer, has_trailing_newline=True)


def _body_indent(parsed: ParsedFile, node: Definition) -> tuple[str, cst.IndentedBlock]:
    """The absolute indentation of ``node``'s body, and the body as an indented block."""
    lines = split_lines(parsed.source.text)
    body = node.body
    if isinstance(body, cst.IndentedBlock):
        first_line = lines[parsed.positions[body.body[0]].start.line - 1] if body.body else ""
        return first_line[:len(first_line) - len(first_line.lstrip(" \t"))], body
    assert isinstance(body, cst.SimpleStatementSuite)
    header = lines[parsed.line_of(node.name) - 1]
    indent = header[:len(header) - len(header.lstrip(" \t"))] + parsed.module.default_indent
    statement = cst.SimpleStatementLine(body=body.body, trailing_whitespace=body.trailing_whitespace)
    return indent, cst.IndentedBlock(body=[statement])


def _init_of(cls: cst.ClassDef) -> cst.FunctionDef | None:
    statements = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for statement in statements:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__":
            return statement
    return None


def _param_names(function: cst.FunctionDef) -> list[str]:
    params = function.params
    names = [p.name.value for p in [*params.posonly_params, *params.params]]
    if names and names[0] in ("self", "cls"):
        names = names[1:]
    if isinstance(params.star_arg, cst.Param):
        names.append(f"*{params.star_arg.name.value}")
    names += [p.name.value for p in params.kwonly_params]
    if params.star_kwarg is not None:
        names.append(f"**{params.star_kwarg.name.value}")
    return names


def _returns_value(function: cst.FunctionDef) -> bool:
    if function.returns is not None:
        annotation = function.returns.annotation
        return not (isinstance(annotation, cst.Name) and annotation.value in ("None", "NoReturn", "Never"))
    if function.name.value == "__init__":
        return False
    return any(isinstance(node, cst.Return) and node.value is not None for node in _own_nodes(function.body))


def _own_nodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The nodes of a function body, without those of nested functions and classes."""
    found = []
    for child in node.children:
        if isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        found.append(child)
        found.extend(_own_nodes(child))
    return found

