import torch
import torchvision
from torch import nn


class DETRLite(nn.Module):
    def __init__(self, num_classes=20, num_queries=50, hidden_dim=256):
        super().__init__()
        backbone = torchvision.models.resnet50(weights="DEFAULT")
        self.backbone = nn.Sequential(*list(backbone.children())[:-2])
        self.proj = nn.Conv2d(2048, hidden_dim, 1)
        self.transformer = nn.Transformer(hidden_dim, 8, 3, 3, batch_first=True)
        self.queries = nn.Parameter(torch.randn(num_queries, hidden_dim))
        self.cls_head = nn.Linear(hidden_dim, num_classes + 1)
        self.box_head = nn.Linear(hidden_dim, 4)

    def forward(self, images):
        src = self.proj(self.backbone(images)).flatten(2).transpose(1, 2)
        tgt = self.queries.unsqueeze(0).expand(images.shape[0], -1, -1)
        h = self.transformer(src, tgt)
        return self.cls_head(h), self.box_head(h).sigmoid()
