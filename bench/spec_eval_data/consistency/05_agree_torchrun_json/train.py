import json
import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from nanolm.args import build_parser
from nanolm.model import GPT, GPTConfig


def get_batch(data, block_size, batch_size, device):
    ix = torch.randint(len(data) - block_size - 1, (batch_size,))
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + block_size + 1] for i in ix])
    return x.to(device), y.to(device)


def main():
    args = build_parser().parse_args()
    with open(args.config) as f:
        cfg = json.load(f)
    train_cfg = cfg["train"]

    dist.init_process_group("nccl")
    rank = int(os.environ["LOCAL_RANK"])
    device = f"cuda:{rank}"
    torch.cuda.set_device(device)

    gpt_config = GPTConfig(**cfg["model"])
    model = GPT(gpt_config).to(device)
    if args.compile:
        model = torch.compile(model)
    model = DDP(model, device_ids=[rank])
    opt = torch.optim.AdamW(model.parameters(), lr=train_cfg["lr"], weight_decay=train_cfg["weight_decay"])
    data = torch.tensor(list(open("input.txt", "rb").read()), dtype=torch.long)

    max_steps = args.max_steps or train_cfg["max_steps"]
    for step in range(max_steps):
        x, y = get_batch(data, gpt_config.block_size, train_cfg["batch_size"], device)
        loss = torch.nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if rank == 0 and step % 100 == 0:
            print(f"step {step}: loss {loss.item():.4f}")
    if rank == 0:
        os.makedirs(args.out_dir, exist_ok=True)
        torch.save({"model": model.module.state_dict(), "model_args": cfg["model"]},
                   os.path.join(args.out_dir, "ckpt.pt"))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
