from train import load_config


def test_default_config_loads():
    cfg = load_config("configs/train.yaml")
    assert cfg["training"]["batch_size"] > 0


def test_override_file(tmp_path):
    p = tmp_path / "override.yaml"
    p.write_text("training:\n  batch_size: 2\n")
    cfg = load_config(str(p))
    assert cfg["training"]["batch_size"] == 2
