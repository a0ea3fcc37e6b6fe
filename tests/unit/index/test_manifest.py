from pathlib import Path

from specpilot.index.manifest import FileRecord, Manifest


def test_changes_survive_reopening(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "m.db")
    manifest.files["a.py"] = FileRecord("h1", 10, 1, 2)
    manifest.files["b.py"] = FileRecord("h2", 20, 2, 3)
    manifest.in_flight = ["c.py"]
    manifest.last_update = 123.5
    manifest.save()
    manifest.files.pop("a.py")
    manifest.files["b.py"] = FileRecord("h3", 21, 3, 4)
    manifest.save()
    manifest.close()
    again = Manifest(tmp_path / "m.db")
    assert dict(again.files) == {"b.py": FileRecord("h3", 21, 3, 4)}
    assert again.in_flight == ["c.py"] and again.last_update == 123.5


def test_unsaved_changes_are_not_written(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path / "m.db")
    manifest.files["a.py"] = FileRecord("h1", 10, 1)
    manifest.close()
    assert dict(Manifest(tmp_path / "m.db").files) == {}


def test_corrupt_manifest_starts_empty(tmp_path: Path) -> None:
    (tmp_path / "m.db").write_bytes(b"this is not sqlite" * 100)
    manifest = Manifest(tmp_path / "m.db")
    assert dict(manifest.files) == {}
    manifest.files["a.py"] = FileRecord("h", 1, 1)
    manifest.save()
