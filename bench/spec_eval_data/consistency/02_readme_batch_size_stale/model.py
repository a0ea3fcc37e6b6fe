import torch
from torch import nn


class BiLSTMClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim, num_layers, dropout, num_classes=2):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=num_layers, dropout=dropout,
                            bidirectional=True, batch_first=True)
        self.out = nn.Linear(2 * hidden_dim, num_classes)

    def forward(self, tokens):
        h, _ = self.lstm(self.embed(tokens))
        return self.out(h.mean(dim=1))


def build_model(model_cfg):
    return BiLSTMClassifier(
        vocab_size=model_cfg["vocab_size"],
        embed_dim=model_cfg["embed_dim"],
        hidden_dim=model_cfg["hidden_dim"],
        num_layers=model_cfg["num_layers"],
        dropout=model_cfg["dropout"],
    )
