import torch
from torchvision.ops import box_iou

from model import DETRLite
from voc import voc_loader

CHECKPOINT = "outputs/detr_voc.pt"


@torch.no_grad()
def main():
    model = DETRLite().cuda().eval()
    model.load_state_dict(torch.load(CHECKPOINT))
    hits = total = 0
    for images, targets in voc_loader("val", batch_size=16):
        logits, boxes = model(images.cuda())
        for i, t in enumerate(targets):
            keep = logits[i].softmax(-1)[:, :-1].max(-1).values > 0.5
            if keep.any() and len(t["boxes"]):
                iou = box_iou(boxes[i][keep].cpu(), t["boxes"])
                hits += int((iou.max(0).values >= 0.5).sum())
            total += len(t["boxes"])
    print(f"recall@0.5: {hits / max(total, 1):.3f}")


if __name__ == "__main__":
    main()
