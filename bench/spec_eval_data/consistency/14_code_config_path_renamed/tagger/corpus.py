import glob
import os
from collections import Counter
from dataclasses import dataclass

import conllu
import torch


@dataclass
class Corpus:
    sents: list
    words: dict
    chars: dict
    tags: dict

    def batches(self, batch_size):
        for i in range(0, len(self.sents), batch_size):
            chunk = self.sents[i:i + batch_size]
            t = max(len(s) for s in chunk)
            c = max(len(tok["form"]) for s in chunk for tok in s)
            words = torch.zeros(len(chunk), t, dtype=torch.long)
            chars = torch.zeros(len(chunk), t, c, dtype=torch.long)
            tags = torch.full((len(chunk), t), -1)
            for b, s in enumerate(chunk):
                for j, tok in enumerate(s):
                    words[b, j] = self.words.get(tok["form"].lower(), 1)
                    chars[b, j, :len(tok["form"])] = torch.tensor([self.chars.get(ch, 1) for ch in tok["form"]])
                    tags[b, j] = self.tags[tok["upos"]]
            yield words, chars, tags


def load_treebank(ud_root, treebank, max_len, min_word_freq):
    path = glob.glob(os.path.join(ud_root, "*", f"{treebank}-ud-train.conllu"))[0]
    with open(path) as f:
        sents = [s[:max_len] for s in conllu.parse(f.read())]
    counts = Counter(tok["form"].lower() for s in sents for tok in s)
    words = {w: i + 2 for i, w in enumerate(w for w, n in counts.items() if n >= min_word_freq)}
    chars = {ch: i + 2 for i, ch in enumerate(sorted({ch for s in sents for tok in s for ch in tok["form"]}))}
    tags = {t: i for i, t in enumerate(sorted({tok["upos"] for s in sents for tok in s}))}
    return Corpus(sents, words, chars, tags)
