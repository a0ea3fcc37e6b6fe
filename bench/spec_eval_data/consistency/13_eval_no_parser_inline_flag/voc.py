import torch
import torchvision
from scipy.optimize import linear_sum_assignment
from torchvision import transforms

CLASSES = ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
           "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
           "train", "tvmonitor"]


def _target(ann):
    objs = ann["annotation"]["object"]
    size = ann["annotation"]["size"]
    w, h = float(size["width"]), float(size["height"])
    boxes = [[float(o["bndbox"][k]) / s for k, s in (("xmin", w), ("ymin", h), ("xmax", w), ("ymax", h))]
             for o in objs]
    return {"labels": torch.tensor([CLASSES.index(o["name"]) for o in objs]), "boxes": torch.tensor(boxes)}


def voc_loader(image_set, batch_size):
    tf = transforms.Compose([transforms.Resize((512, 512)), transforms.ToTensor()])
    ds = torchvision.datasets.VOCDetection("voc", image_set=image_set, download=True, transform=tf)
    return torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=image_set == "trainval",
                                       collate_fn=lambda rows: (torch.stack([r[0] for r in rows]),
                                                                [_target(r[1]) for r in rows]))


def detr_loss(outputs, targets):
    logits, boxes = outputs
    total = 0.0
    for i, t in enumerate(targets):
        cost = -logits[i].softmax(-1)[:, t["labels"]] + torch.cdist(boxes[i], t["boxes"].to(boxes.device), p=1)
        rows, cols = linear_sum_assignment(cost.detach().cpu())
        cls_target = torch.full((logits.shape[1],), logits.shape[-1] - 1, device=logits.device)
        cls_target[rows] = t["labels"][cols].to(logits.device)
        total = total + torch.nn.functional.cross_entropy(logits[i], cls_target)
        total = total + torch.nn.functional.l1_loss(boxes[i, rows], t["boxes"][cols].to(boxes.device))
    return total / len(targets)
