import os

import torch
import torch.nn.functional as F
from torchvision import datasets, transforms

from mnist.cli import build_parser
from mnist.model import Net


def main():
    args = build_parser().parse_args()
    torch.manual_seed(args.seed)
    ds = datasets.MNIST("mnist_data", train=True, download=True, transform=transforms.ToTensor())
    loader = torch.utils.data.DataLoader(ds, batch_size=args.batch_size, shuffle=True)
    model = Net()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    for epoch in range(args.epochs):
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: {loss.item():.4f}")
    os.makedirs(args.save_dir, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(args.save_dir, "mnist.pt"))


if __name__ == "__main__":
    main()
