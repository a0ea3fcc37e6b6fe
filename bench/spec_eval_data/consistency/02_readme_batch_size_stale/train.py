import argparse
import os

import torch
import yaml

from data import imdb_loader
from model import build_model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/default.yaml")
    parser.add_argument("--out", default="runs/lstm")
    args = parser.parse_args()

    with open(args.config) as f:
        cfg = yaml.safe_load(f)
    optim_cfg = cfg["optim"]

    model = build_model(cfg["model"])
    loader = imdb_loader("train", batch_size=optim_cfg["batch_size"])
    opt = torch.optim.Adam(model.parameters(), lr=optim_cfg["lr"])
    for epoch in range(optim_cfg["epochs"]):
        for tokens, labels in loader:
            loss = torch.nn.functional.cross_entropy(model(tokens), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch} loss {loss.item():.3f}")
    os.makedirs(args.out, exist_ok=True)
    torch.save({"model": model.state_dict(), "config": cfg}, os.path.join(args.out, "model.pt"))


if __name__ == "__main__":
    main()
