import torch
from torch import nn


class SpeechEncoder(nn.Module):
    def __init__(self, d_model, n_layers, n_heads, vocab_size, n_mels=80):
        super().__init__()
        self.subsample = nn.Sequential(
            nn.Conv1d(n_mels, d_model, 3, stride=2, padding=1), nn.GELU(),
            nn.Conv1d(d_model, d_model, 3, stride=2, padding=1), nn.GELU(),
        )
        layer = nn.TransformerEncoderLayer(d_model, n_heads, 4 * d_model, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, n_layers)
        self.ctc_head = nn.Linear(d_model, vocab_size)

    def forward(self, feats):
        x = self.subsample(feats.transpose(1, 2)).transpose(1, 2)
        return self.ctc_head(self.encoder(x)).log_softmax(-1)
