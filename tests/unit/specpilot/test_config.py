from pathlib import Path

from specpilot.config import Settings, load_settings, parse_override, snake


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
