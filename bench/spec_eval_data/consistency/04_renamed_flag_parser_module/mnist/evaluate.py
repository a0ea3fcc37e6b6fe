import torch
from torchvision import datasets, transforms

from mnist.cli import build_eval_parser
from mnist.model import Net


def main():
    args = build_eval_parser().parse_args()
    model = Net()
    model.load_state_dict(torch.load(args.checkpoint, map_location="cpu"))
    model.eval()
    ds = datasets.MNIST("mnist_data", train=False, download=True, transform=transforms.ToTensor())
    loader = torch.utils.data.DataLoader(ds, batch_size=args.batch_size)
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
    print(f"test accuracy: {correct / len(ds):.4f}")


if __name__ == "__main__":
    main()
