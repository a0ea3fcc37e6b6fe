from dataclasses import dataclass


@dataclass
class TuneConfig:
    data_path: str = "corpus.txt"
    model_name: str = "gpt2"
    lr: float = 2e-5
    epochs: int = 3
    batch_size: int = 8
    max_length: int = 512
    seed: int = 42
    output_dir: str = "gpt2-tuned"
