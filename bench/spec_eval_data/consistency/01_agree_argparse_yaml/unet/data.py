from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms


class LesionDataset(Dataset):
    def __init__(self, root, image_size):
        self.images = sorted(Path(root, "images").glob("*.jpg"))
        self.tf = transforms.Compose([transforms.Resize((image_size, image_size)), transforms.ToTensor()])

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = Image.open(self.images[i]).convert("RGB")
        mask = Image.open(str(self.images[i]).replace("images", "masks").replace(".jpg", ".png"))
        return self.tf(img), (self.tf(mask) > 0.5).float()


def make_loader(root, image_size, batch_size):
    return DataLoader(LesionDataset(root, image_size), batch_size=batch_size, shuffle=True, num_workers=4)
