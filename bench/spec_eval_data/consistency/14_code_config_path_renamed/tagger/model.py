import torch
from torch import nn


class Tagger(nn.Module):
    def __init__(self, n_words, n_chars, n_tags, word_dim, char_dim, hidden_dim, dropout):
        super().__init__()
        self.words = nn.Embedding(n_words, word_dim, padding_idx=0)
        self.chars = nn.Embedding(n_chars, char_dim, padding_idx=0)
        self.char_rnn = nn.GRU(char_dim, char_dim, batch_first=True, bidirectional=True)
        self.rnn = nn.GRU(word_dim + 2 * char_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(2 * hidden_dim, n_tags)

    def forward(self, words, chars):
        b, t, c = chars.shape
        _, h = self.char_rnn(self.chars(chars.view(b * t, c)))
        char_repr = h.transpose(0, 1).reshape(b, t, -1)
        x = self.drop(torch.cat([self.words(words), char_repr], dim=-1))
        return self.out(self.drop(self.rnn(x)[0]))
