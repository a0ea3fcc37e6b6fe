import argparse
import os

import torch
import yaml

from model import DETRLite
from voc import voc_loader, detr_loss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/voc.yaml")
    parser.add_argument("--mixed-precision", choices=["no", "fp16", "bf16"], default="no")
    parser.add_argument("--output-dir", default="outputs")
    args = parser.parse_args()
    with open(args.config) as f:
        cfg = yaml.safe_load(f)

    model = DETRLite(num_queries=cfg["num_queries"], hidden_dim=cfg["hidden_dim"]).cuda()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(args.mixed_precision)
    scaler = torch.cuda.amp.GradScaler(enabled=args.mixed_precision == "fp16")
    for epoch in range(cfg["epochs"]):
        for images, targets in voc_loader("trainval", cfg["batch_size"]):
            with torch.autocast("cuda", dtype=dtype, enabled=dtype is not None):
                loss = detr_loss(model(images.cuda()), targets)
            opt.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        print(f"epoch {epoch}: {loss.item():.3f}")
    os.makedirs(args.output_dir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.output_dir, "detr_voc.pt"))


if __name__ == "__main__":
    main()
