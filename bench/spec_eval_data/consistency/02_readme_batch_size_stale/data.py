import torch
from datasets import load_dataset
from torch.utils.data import DataLoader

MAX_TOKENS = 400


def encode(text, vocab):
    ids = [vocab.get(w, 1) for w in text.lower().split()[:MAX_TOKENS]]
    return ids + [0] * (MAX_TOKENS - len(ids))


def imdb_loader(split, batch_size):
    ds = load_dataset("imdb", split=split)
    vocab = torch.load("vocab.pt")
    def collate(rows):
        tokens = torch.tensor([encode(r["text"], vocab) for r in rows])
        labels = torch.tensor([r["label"] for r in rows])
        return tokens, labels
    return DataLoader(ds, batch_size=batch_size, shuffle=(split == "train"), collate_fn=collate)
