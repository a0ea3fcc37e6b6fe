"""Name resolution from the standard library's ast: which binding each name refers to."""

from specpilot.ast_tools.bindings import FileNames, Occurrence
from specpilot.ast_tools.workspace import Source


def names_of(text: str) -> FileNames:
    return FileNames(Source("m.py", text, None))


def binding_line(names: FileNames, occurrence: Occurrence) -> int | None:
    """The first line where the binding the occurrence refers to is bound (None: a builtin)."""
    scope = names.resolve(occurrence)
    if scope is None:
        return None
    return min(names.line_of(o.start) for o in names.bindings(occurrence.name, scope))


def uses(names: FileNames, name: str) -> list[tuple[int, int | None]]:
    """(line of each use, line of its binding)."""
    return [(names.line_of(o.start), binding_line(names, o)) for o in names.by_name[name] if o.kind == "use"]


def test_a_name_assigned_anywhere_in_a_function_is_local_to_all_of_it() -> None:
    names = names_of("x = 1\n"                # 1
                     "def f():\n"             # 2
                     "    print(x)\n"         # 3: the local x (unbound at run time, but local)
                     "    x = 2\n"            # 4
                     "def g():\n"             # 5
                     "    return x\n")        # 6: the global
    assert uses(names, "x") == [(3, 4), (6, 1)]


def test_class_bodies_are_not_seen_from_their_methods_or_comprehensions() -> None:
    names = names_of("size = 0\n"                              # 1
                     "class C:\n"                              # 2
                     "    size = 1\n"                          # 3
                     "    doubled = size * 2\n"                # 4: the class's
                     "    pairs = [size for _ in range(size)]\n"  # 5: first iterable: class; element: global
                     "    def m(self):\n"                      # 6
                     "        return size\n")                  # 7: the global
    assert uses(names, "size") == [(4, 3), (5, 3), (5, 1), (7, 1)]


def test_global_and_nonlocal_declarations_redirect_bindings() -> None:
    names = names_of("count = 0\n"                 # 1
                     "def bump():\n"               # 2
                     "    global count\n"          # 3
                     "    count = count + 1\n"     # 4
                     "def outer():\n"              # 5
                     "    total = 0\n"             # 6
                     "    def add():\n"            # 7
                     "        nonlocal total\n"    # 8
                     "        total += 1\n"        # 9
                     "    return total\n")         # 10
    assert uses(names, "count") == [(4, 1)]
    stores = [o for o in names.by_name["count"] if o.kind == "store"]
    assert [names.resolve(o) is names.module for o in stores] == [True, True]
    totals = {names.line_of(o.start): binding_line(names, o) for o in names.by_name["total"]}
    assert totals == {6: 6, 8: 6, 9: 6, 10: 6}


def test_walrus_in_a_comprehension_binds_in_the_function_around_it() -> None:
    names = names_of("def f(items):\n"
                     "    if any((last := i) > 2 for i in items):\n"
                     "        return last\n")
    assert uses(names, "last") == [(3, 2)]
    assert uses(names, "i") == [(2, 2)]  # the comprehension's own variable


def test_defaults_decorators_and_annotations_are_read_where_the_def_is() -> None:
    names = names_of("limit = 5\n"
                     "def f(limit: int = limit) -> int:\n"
                     "    return limit\n")
    assert uses(names, "limit") == [(2, 1), (3, 2)]
    assert uses(names, "int") == [(2, None), (2, None)]


def test_captures_imports_and_handlers_are_bindings_with_exact_spans() -> None:
    text = ("import os.path as osp, sys\n"
            "from json import loads as parse\n"
            "try:\n    pass\nexcept ValueError as error:\n    print(error)\n"
            "match sys.argv:\n    case [first, *rest] | {'k': first, **rest}:\n        print(first, rest)\n"
            "é = 'ü'; x = é\n")
    names = names_of(text)
    for occurrence in names.occurrences:
        assert text[occurrence.start:occurrence.end] == occurrence.name
    bound = {o.name for o in names.occurrences if o.binds}
    assert {"osp", "sys", "parse", "error", "first", "rest", "é", "x"} <= bound
    assert uses(names, "é") == [(10, 10)]
    assert [i.name for i in names.imported] == ["loads"]


def test_the_cursor_finds_attributes_keywords_and_a_name_it_touches() -> None:
    text = "obj.attr(key=1)\nvalue = 2\n"
    names = names_of(text)
    assert names.at(0, 5).node.attr == "attr"  # type: ignore[union-attr]
    assert names.at(0, 9).arg == "key"  # type: ignore[union-attr]
    assert names.at(1, 5).name == "value"  # type: ignore[union-attr]  # just after the name
    assert names.at(1, 7) is None
