import argparse

import torch

from data import imdb_loader
from model import build_model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", required=True)
    args = parser.parse_args()

    ckpt = torch.load(args.checkpoint, map_location="cpu")
    model = build_model(ckpt["config"]["model"])
    model.load_state_dict(ckpt["model"])
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for tokens, labels in imdb_loader("test", batch_size=256):
            correct += (model(tokens).argmax(-1) == labels).sum().item()
            total += labels.numel()
    print(f"accuracy: {correct / total:.4f}")


if __name__ == "__main__":
    main()
