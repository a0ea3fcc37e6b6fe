import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specpilot.core.config import (
    Settings,
    camel,
    changed_settings,
    contributes_configuration,
    get_setting,
    load_settings,
    parse_override,
    settings_schema,
    snake,
)
from specpilot.core.paths import DEFAULT_CACHE_DIR


def write_pyproject(root: Path, body: str) -> None:
    (root / "pyproject.toml").write_text(body, encoding="utf-8")


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    settings, problems = load_settings(tmp_path)
    assert problems == []
    assert settings == Settings()


def test_pyproject_values_are_read_with_camel_or_snake_keys(tmp_path: Path) -> None:
    write_pyproject(tmp_path, """
[tool.specpilot]
cachePath = "/tmp/elsewhere"
[tool.specpilot.index]
maxFileBytes = 5000
exclude = ["*.min.js"]
[tool.specpilot.search]
vector_weight = 0.25
""")
    settings, problems = load_settings(tmp_path)
    assert problems == []
    assert settings.cache_path == "/tmp/elsewhere"
    assert settings.index.max_file_bytes == 5000
    assert settings.index.exclude == ["*.min.js"]
    assert settings.search.vector_weight == 0.25


def test_unknown_and_invalid_keys_are_named_and_defaults_kept(tmp_path: Path) -> None:
    write_pyproject(tmp_path, """
[tool.specpilot.index]
maxFileBytez = 10
maxFileBytes = "lots"
[tool.specpilot.search]
mode = "fuzzy"
vectorWeight = 3
""")
    settings, problems = load_settings(tmp_path)
    messages = [str(p) for p in problems]
    assert any("tool.specpilot.index.maxFileBytez" in m and "unknown" in m for m in messages)
    assert any("tool.specpilot.index.maxFileBytes" in m and "integer" in m for m in messages)
    assert any("tool.specpilot.search.mode" in m and "bm25" in m for m in messages)
    assert any("tool.specpilot.search.vectorWeight" in m for m in messages)
    assert settings.index.max_file_bytes == Settings().index.max_file_bytes
    assert settings.search.mode == "hybrid"
    assert settings.search.vector_weight == Settings().search.vector_weight


def test_broken_pyproject_is_reported_not_fatal(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.specpilot\nbroken = ")
    settings, problems = load_settings(tmp_path)
    assert settings == Settings()
    assert problems and "pyproject.toml" in str(problems[0])


def test_overrides_win_over_pyproject(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.specpilot.index]\nmaxFileBytes = 5000\n")
    override, error = parse_override("index.maxFileBytes=7000")
    assert error is None
    settings, problems = load_settings(tmp_path, [override])
    assert problems == []
    assert settings.index.max_file_bytes == 7000


def test_override_without_equals_is_an_error() -> None:
    _, error = parse_override("index.maxFileBytes")
    assert error and "KEY=VALUE" in error


def test_snake_case_conversion() -> None:
    assert snake("maxFileBytes") == "max_file_bytes"
    assert snake("max_file_bytes") == "max_file_bytes"


# -- the schema: ranges, choices, keeping the value in use ---------------------------------------------

RANGED = [info for info in settings_schema() if info.rule.minimum is not None or info.rule.maximum is not None]


def test_every_numeric_setting_has_a_range() -> None:
    numeric = [info.path for info in settings_schema() if info.annotation in (int, float)]
    assert numeric and sorted(numeric) == sorted(info.path for info in RANGED)
    assert all(info.rule.minimum is not None and info.rule.maximum is not None for info in RANGED)
    assert all(info.rule.minimum <= info.default <= info.rule.maximum for info in RANGED)  # type: ignore[operator]


def nested(path: str, value: object) -> dict[str, object]:
    *groups, name = path.split(".")
    data: dict[str, object] = {camel(name): value}
    for group in reversed(groups):
        data = {group: data}
    return data


@pytest.mark.parametrize("info", RANGED, ids=lambda info: info.wire)
def test_values_outside_the_range_are_refused_by_name_and_the_bounds_accepted(tmp_path: Path, info) -> None:  # type: ignore[no-untyped-def]
    low, high = info.rule.minimum, info.rule.maximum
    step = 1 if info.annotation is int else 0.5
    for bad in (low - step, high + step, -1e18 if low >= 0 else None, 1e18):
        if bad is None:
            continue
        settings, problems = load_settings(tmp_path, [nested(info.path, bad)])
        assert [p.key for p in problems] == [info.wire], (bad, [str(p) for p in problems])
        assert "must be between" in problems[0].message
        assert get_setting(settings, info.path) == info.default
    for good in (low, high):
        settings, problems = load_settings(tmp_path, [nested(info.path, good)])
        if info.path == "index.window_overlap" and good >= Settings().index.window_lines:
            assert [p.key for p in problems] == ["index.windowOverlap"]  # refused by its tie to windowLines
            continue
        assert problems == [], [str(p) for p in problems]
        assert get_setting(settings, info.path) == good


def test_the_issue_values_are_refused(tmp_path: Path) -> None:
    settings, problems = load_settings(tmp_path, [
        {"search": {"k": 1e18}, "embedder": {"maxSeqLength": 100000}, "server": {"workspaceSymbolLimit": -5},
         "agent": {"maxIterations": -1}, "model": {"temperature": -0.5, "timeoutS": 0}}])
    shown = {p.key: str(p) for p in problems}
    assert set(shown) == {"search.k", "embedder.maxSeqLength", "server.workspaceSymbolLimit",
                          "agent.maxIterations", "model.temperature", "model.timeoutS"}
    assert "between 1 and 200" in shown["search.k"] and "keeping 10" in shown["search.k"]
    assert "between 16 and 512" in shown["embedder.maxSeqLength"]
    assert settings == Settings()


def test_infinite_and_fractional_numbers_are_refused(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.specpilot.search]\nk = inf\nvectorWeight = nan\ncandidates = 2.5\n")
    settings, problems = load_settings(tmp_path)
    assert sorted(p.key for p in problems) == ["tool.specpilot.search.candidates", "tool.specpilot.search.k",
                                               "tool.specpilot.search.vectorWeight"]
    assert settings == Settings()


def test_choices_are_checked_without_regard_to_case(tmp_path: Path) -> None:
    settings, problems = load_settings(tmp_path, [{"embedder": {"device": "CUDA"}, "model": {"provider": "Claude"},
                                                   "logLevel": "verbose"}])
    assert settings.embedder.device == "cuda"
    assert sorted(p.key for p in problems) == ["logLevel", "model.provider"]
    assert "anthropic" in next(str(p) for p in problems if p.key == "model.provider")


def test_a_base_url_must_be_a_web_address(tmp_path: Path) -> None:
    settings, problems = load_settings(tmp_path, [{"model": {"baseUrl": "localhost:8000"}}])
    assert [p.key for p in problems] == ["model.baseUrl"] and settings.model.base_url == ""
    settings, problems = load_settings(tmp_path, [{"model": {"baseUrl": "http://localhost:8000/v1"}}])
    assert problems == [] and settings.model.base_url == "http://localhost:8000/v1"


def test_window_overlap_must_stay_below_window_lines(tmp_path: Path) -> None:
    settings, problems = load_settings(tmp_path, [{"index": {"windowLines": 20, "windowOverlap": 20}}])
    assert [p.key for p in problems] == ["index.windowOverlap"]
    assert settings.index.window_lines == 20 and settings.index.window_overlap < 20


def test_a_refused_value_keeps_the_value_in_use_not_the_default(tmp_path: Path) -> None:
    running, _ = load_settings(tmp_path, [{"search": {"k": 5}, "embedder": {"maxSeqLength": 256}}])
    settings, problems = load_settings(
        tmp_path, [{"search": {"k": 1e18}, "embedder": {"maxSeqLength": 100000}}], previous=running)
    assert settings.search.k == 5 and settings.embedder.max_seq_length == 256
    assert "keeping 5" in next(str(p) for p in problems if p.key == "search.k")


def test_a_refused_value_keeps_the_earlier_source(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.specpilot.search]\nk = 7\n")
    settings, problems = load_settings(tmp_path, [{"search": {"k": 0}}])
    assert settings.search.k == 7 and "keeping 7" in str(problems[0])


def test_a_later_good_value_wins_over_an_earlier_bad_one(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.specpilot.search]\nk = -4\n")
    running = Settings()
    running.search.k = 3
    settings, problems = load_settings(tmp_path, [{"search": {"k": 12}}], previous=running)
    assert settings.search.k == 12
    assert [p.key for p in problems] == ["tool.specpilot.search.k"]


def test_a_bad_cache_path_is_refused_by_the_loader(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("dist/\n")
    running = Settings(cache_path="/tmp/specpilot-running-cache")
    for bad in ("", ".", "..", "/etc", str(tmp_path)):
        settings, problems = load_settings(tmp_path, [{"cachePath": bad}], previous=running)
        assert [p.key for p in problems] == ["cachePath"], bad
        assert settings.cache_path == running.cache_path
    assert (tmp_path / ".gitignore").read_text() == "dist/\n"
    write_pyproject(tmp_path, '[tool.specpilot]\ncachePath = ""\n')
    settings, problems = load_settings(tmp_path)
    assert settings.cache_path == DEFAULT_CACHE_DIR and problems[0].key == "tool.specpilot.cachePath"


# -- contributes.configuration -------------------------------------------------------------------------

def leaf_fields(cls: type = Settings, prefix: str = "") -> dict[str, object]:
    """Every leaf field of the settings dataclasses with its default, walked independently of the schema."""
    found: dict[str, object] = {}
    instance = cls()
    for item in dataclasses.fields(instance):  # type: ignore[arg-type]
        value = getattr(instance, item.name)
        if dataclasses.is_dataclass(value):
            found.update(leaf_fields(type(value), f"{prefix}{camel(item.name)}."))
        else:
            found[f"specpilot.{prefix}{camel(item.name)}"] = value
    return found


def test_the_vscode_configuration_holds_every_setting_with_default_and_bounds() -> None:
    configuration = contributes_configuration()
    properties = configuration["properties"]
    assert configuration["title"] == "SpecPilot"
    fields = leaf_fields()
    assert set(properties) == set(fields)
    assert "specpilot.server.maxMessageBytes" in properties
    for key, default in fields.items():
        prop = properties[key]
        assert prop["default"] == default, key
        assert prop["scope"] in ("application", "machine", "machine-overridable", "window", "resource")
        assert prop["markdownDescription"].strip(), key
        expected_type = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}
        assert prop["type"] == expected_type[type(default)], key
        if prop["type"] in ("integer", "number"):
            assert prop["minimum"] <= default <= prop["maximum"], key
    k = properties["specpilot.search.k"]
    assert (k["minimum"], k["maximum"]) == (1, 200)
    seq = properties["specpilot.embedder.maxSeqLength"]
    assert (seq["minimum"], seq["maximum"]) == (16, 512)
    mode = properties["specpilot.search.mode"]
    assert mode["enum"] == ["bm25", "vector", "hybrid", "rerank"] and len(mode["enumDescriptions"]) == 4
    assert properties["specpilot.index.exclude"]["items"] == {"type": "string"}


def test_the_cli_prints_the_same_configuration() -> None:
    done = subprocess.run([sys.executable, "-m", "specpilot", "settings", "schema"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == contributes_configuration()


def test_the_cli_check_names_a_bad_setting(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.specpilot.embedder]\nmaxSeqLength = 100000\n")
    done = subprocess.run([sys.executable, "-m", "specpilot", "settings", "check", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "tool.specpilot.embedder.maxSeqLength" in done.stderr and "between 16 and 512" in done.stderr
    assert json.loads(done.stdout)["embedder"]["max_seq_length"] == 128


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(list(settings_schema())), JSON_VALUES)
def test_any_value_for_any_setting_leaves_a_setting_within_its_rules(tmp_path: Path, info, value) -> None:  # type: ignore[no-untyped-def]
    running = Settings(cache_path="/tmp/specpilot-property-cache")
    result, problems = load_settings(tmp_path, [nested(info.path, value)], previous=running)
    kept = get_setting(result, info.path)
    if problems:
        assert [p.key for p in problems] == [info.wire] and kept == get_setting(running, info.path)
    rule = info.rule
    if rule.minimum is not None:
        assert rule.minimum <= kept <= rule.maximum
    if rule.choices:
        assert kept in rule.values
    assert result.index.window_overlap < result.index.window_lines


def test_every_choice_has_a_description() -> None:
    for key, prop in contributes_configuration()["properties"].items():
        if "enum" in prop:
            assert len(prop["enumDescriptions"]) == len(prop["enum"]) and all(prop["enumDescriptions"]), key


def test_changed_settings_names_each_setting_that_differs_by_its_wire_name() -> None:
    old, new = Settings(), Settings()
    assert changed_settings(old, new) == []
    new.agent.review = "diff"
    new.index.max_file_bytes = old.index.max_file_bytes + 1
    assert changed_settings(old, new) == ["index.maxFileBytes", "agent.review"]
