from torchvision import datasets, transforms

TRAIN_TF = transforms.Compose([
    transforms.RandomResizedCrop(224),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
    transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
])


def flowers(data_dir, split):
    # torchvision downloads and splits Flowers-102 itself.
    return datasets.Flowers102(data_dir, split=split, transform=TRAIN_TF, download=True)
