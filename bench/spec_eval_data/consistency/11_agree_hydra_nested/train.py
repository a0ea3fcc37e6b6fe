import hydra
import torch
import torchvision
from omegaconf import DictConfig
from torch import nn
from torchvision import transforms


def build_model(model_cfg):
    net = getattr(torchvision.models, model_cfg.backbone)(num_classes=model_cfg.num_classes)
    net.fc = nn.Sequential(nn.Dropout(model_cfg.dropout), net.fc)
    return net


@hydra.main(version_base=None, config_path="conf", config_name="config")
def main(cfg: DictConfig):
    torch.manual_seed(cfg.seed)
    tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                             transforms.ToTensor()])
    ds = torchvision.datasets.CIFAR10("cifar10", train=True, download=True, transform=tf)
    loader = torch.utils.data.DataLoader(ds, batch_size=cfg.trainer.batch_size, shuffle=True,
                                         num_workers=cfg.trainer.num_workers)
    model = build_model(cfg.model).cuda()
    opt = torch.optim.SGD(model.parameters(), lr=cfg.optim.lr, momentum=cfg.optim.momentum,
                          weight_decay=cfg.optim.weight_decay)
    for epoch in range(cfg.trainer.max_epochs):
        model.train()
        for x, y in loader:
            loss = nn.functional.cross_entropy(model(x.cuda()), y.cuda())
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: {loss.item():.4f}")
    torch.save(model.state_dict(), "model.pt")


if __name__ == "__main__":
    main()
