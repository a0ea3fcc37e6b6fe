import torch
import torchaudio

CHARS = " 'abcdefghijklmnopqrstuvwxyz"


def collate(rows, mel=torchaudio.transforms.MelSpectrogram(16000, n_mels=80)):
    feats = [mel(r[0][0]).T.log1p() for r in rows]
    targets = [torch.tensor([CHARS.index(c) + 1 for c in r[2].lower() if c in CHARS]) for r in rows]
    return (torch.nn.utils.rnn.pad_sequence(feats, batch_first=True),
            torch.tensor([len(f) for f in feats]),
            torch.cat(targets), torch.tensor([len(t) for t in targets]))


def librispeech_loader(batch_size):
    ds = torchaudio.datasets.LIBRISPEECH("librispeech", url="train-clean-100", download=True)
    return torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=True, collate_fn=collate)
