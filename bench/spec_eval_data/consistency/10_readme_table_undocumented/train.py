import argparse
import json

import pandas as pd
import torch
from torch import nn


def make_mlp(n_in, hidden_sizes, dropout):
    layers = []
    for h in hidden_sizes:
        layers += [nn.Linear(n_in, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(dropout)]
        n_in = h
    layers.append(nn.Linear(n_in, 1))
    return nn.Sequential(*layers)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("config", help="path to a JSON config")
    args = parser.parse_args()
    with open(args.config) as f:
        cfg = json.load(f)

    df = pd.read_csv(cfg["csv_path"])
    y = torch.tensor(df.pop(cfg["target"]).values, dtype=torch.float32)
    x = torch.tensor(((df - df.mean()) / df.std()).values, dtype=torch.float32)
    ds = torch.utils.data.TensorDataset(x, y)
    loader = torch.utils.data.DataLoader(ds, batch_size=cfg["batch_size"], shuffle=True)

    model = make_mlp(x.shape[1], cfg["hidden_sizes"], cfg["dropout"])
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    loss_fn = nn.BCEWithLogitsLoss()
    for epoch in range(cfg["epochs"]):
        for xb, yb in loader:
            loss = loss_fn(model(xb).squeeze(1), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: {loss.item():.4f}")
    torch.save(model.state_dict(), "mlp.pt")


if __name__ == "__main__":
    main()
