from torch import nn


class KeywordCNN(nn.Module):
    def __init__(self, n_mels, channels, num_classes):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(channels, num_classes),
        )
        self.n_mels = n_mels

    def forward(self, spec):
        return self.net(spec.unsqueeze(1))
