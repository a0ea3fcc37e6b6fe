import argparse
import os

import torch
import yaml

from unet import UNet
from unet.data import make_loader


def load_config(path):
    with open(path) as f:
        return yaml.safe_load(f)


def main():
    parser = argparse.ArgumentParser(description="Train a U-Net on ISIC 2018")
    parser.add_argument("--config", default="configs/train.yaml")
    parser.add_argument("--epochs", type=int, default=None, help="override training.epochs")
    parser.add_argument("--grad-accum-steps", type=int, default=1)
    parser.add_argument("--output-dir", default="runs/unet")
    args = parser.parse_args()

    cfg = load_config(args.config)
    model_cfg, train_cfg, data_cfg = cfg["model"], cfg["training"], cfg["data"]
    torch.manual_seed(train_cfg["seed"])

    assert model_cfg["arch"] == "unet"
    model = UNet(base_channels=model_cfg["base_channels"], depth=model_cfg["depth"])
    loader = make_loader(data_cfg["root"], data_cfg["image_size"], train_cfg["batch_size"])
    opt = torch.optim.AdamW(model.parameters(), lr=train_cfg["lr"])
    loss_fn = torch.nn.BCEWithLogitsLoss()
    epochs = args.epochs or train_cfg["epochs"]

    for epoch in range(epochs):
        for step, (images, masks) in enumerate(loader):
            loss = loss_fn(model(images), masks) / args.grad_accum_steps
            loss.backward()
            if (step + 1) % args.grad_accum_steps == 0:
                opt.step()
                opt.zero_grad()
        print(f"epoch {epoch}: loss {loss.item():.4f}")

    os.makedirs(args.output_dir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.output_dir, "model.pt"))


if __name__ == "__main__":
    main()
