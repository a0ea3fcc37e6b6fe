import argparse
from dataclasses import dataclass, field

import torch
import torchvision
import yaml
from accelerate import Accelerator
from torchvision import transforms


@dataclass
class TrainConfig:
    arch: str = "resnet50"
    data_dir: str = "/datasets/imagenet"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    batch_size: int = 256
    epochs: int = 90
    milestones: list = field(default_factory=lambda: [30, 60, 80])


def load_config(path):
    with open(path) as f:
        return TrainConfig(**(yaml.safe_load(f) or {}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/resnet50.yaml")
    args = parser.parse_args()
    cfg = load_config(args.config)

    accelerator = Accelerator()
    tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.ToTensor()])
    ds = torchvision.datasets.ImageFolder(f"{cfg.data_dir}/train", transform=tf)
    loader = torch.utils.data.DataLoader(ds, batch_size=cfg.batch_size, shuffle=True, num_workers=8)
    model = torchvision.models.get_model(cfg.arch)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                          weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=cfg.milestones, gamma=0.1)
    model, opt, loader = accelerator.prepare(model, opt, loader)
    for epoch in range(cfg.epochs):
        model.train()
        for images, labels in loader:
            loss = torch.nn.functional.cross_entropy(model(images), labels)
            opt.zero_grad()
            accelerator.backward(loss)
            opt.step()
        sched.step()
        accelerator.print(f"epoch {epoch}: loss {loss.item():.4f}")
    accelerator.save(accelerator.unwrap_model(model).state_dict(), "resnet50.pt")


if __name__ == "__main__":
    main()
