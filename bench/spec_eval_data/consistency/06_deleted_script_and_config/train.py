import argparse

import timm
import torch
import yaml

from vitcls.data import flowers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/base.yaml")
    parser.add_argument("--output", default="vit_flowers.pt")
    args = parser.parse_args()
    with open(args.config) as f:
        cfg = yaml.safe_load(f)

    model = timm.create_model(cfg["model_name"], pretrained=True, num_classes=cfg["num_classes"])
    loader = torch.utils.data.DataLoader(flowers(cfg["data_dir"], "train"),
                                         batch_size=cfg["batch_size"], shuffle=True, num_workers=8)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    criterion = torch.nn.CrossEntropyLoss(label_smoothing=cfg["label_smoothing"])
    model.cuda().train()
    for epoch in range(cfg["epochs"]):
        for images, labels in loader:
            loss = criterion(model(images.cuda()), labels.cuda())
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: {loss.item():.4f}")
    torch.save(model.state_dict(), args.output)


if __name__ == "__main__":
    main()
