import tomllib

import click
import torch
import torchaudio

from kws.features import mel_transform
from kws.model import KeywordCNN


@click.command()
@click.option("--config", "config_path", default="config.toml", type=click.Path(exists=True))
@click.option("--max-epochs", type=int, default=None, help="Override train.max_epochs.")
@click.option("--device", default="cuda")
def main(config_path, max_epochs, device):
    with open(config_path, "rb") as f:
        cfg = tomllib.load(f)
    model_cfg, audio_cfg, train_cfg = cfg["model"], cfg["audio"], cfg["train"]
    torch.manual_seed(train_cfg["seed"])

    mel = mel_transform(audio_cfg["sample_rate"], model_cfg["n_mels"],
                        audio_cfg["win_length"], audio_cfg["hop_length"]).to(device)
    model = KeywordCNN(model_cfg["n_mels"], model_cfg["channels"], model_cfg["num_classes"]).to(device)
    ds = torchaudio.datasets.SPEECHCOMMANDS("speech_commands", download=True)
    labels = sorted({item[2] for item in ds})
    loader = torch.utils.data.DataLoader(
        ds, batch_size=train_cfg["batch_size"], shuffle=True,
        collate_fn=lambda rows: (torch.nn.utils.rnn.pad_sequence([r[0][0] for r in rows], batch_first=True),
                                 torch.tensor([labels.index(r[2]) for r in rows])),
    )
    opt = torch.optim.Adam(model.parameters(), lr=train_cfg["learning_rate"])
    for epoch in range(max_epochs or train_cfg["max_epochs"]):
        for wav, target in loader:
            logits = model(mel(wav.to(device)).log1p())
            loss = torch.nn.functional.cross_entropy(logits, target.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        click.echo(f"epoch {epoch}: {loss.item():.3f}")


if __name__ == "__main__":
    main()
