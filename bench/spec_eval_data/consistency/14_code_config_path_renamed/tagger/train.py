import argparse
import json

import torch

from tagger.corpus import load_treebank
from tagger.model import Tagger

MODEL_CONFIG = "configs/model.json"
DATA_CONFIG = "configs/data.json"


def load_json(path):
    with open(path) as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--treebank", default=None, help="override the treebank in the data config")
    args = parser.parse_args()
    model_cfg, data_cfg = load_json(MODEL_CONFIG), load_json(DATA_CONFIG)
    if args.treebank:
        data_cfg["treebank"] = args.treebank

    corpus = load_treebank(data_cfg["ud_root"], data_cfg["treebank"],
                           max_len=data_cfg["max_len"], min_word_freq=data_cfg["min_word_freq"])
    model = Tagger(len(corpus.words), len(corpus.chars), len(corpus.tags),
                   model_cfg["word_dim"], model_cfg["char_dim"], model_cfg["hidden_dim"], model_cfg["dropout"])
    opt = torch.optim.Adam(model.parameters(), lr=model_cfg["lr"])
    for epoch in range(model_cfg["epochs"]):
        for words, chars, tags in corpus.batches(model_cfg["batch_size"]):
            logits = model(words, chars)
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), tags.flatten(), ignore_index=-1)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: {loss.item():.4f}")
    torch.save(model.state_dict(), f"tagger_{data_cfg['treebank']}.pt")


if __name__ == "__main__":
    main()
