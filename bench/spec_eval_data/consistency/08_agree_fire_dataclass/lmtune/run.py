import fire
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from lmtune.config import TuneConfig


def chunks(ids, size):
    for i in range(0, len(ids) - size, size):
        yield ids[i:i + size]


def main(**overrides):
    cfg = TuneConfig(**overrides)
    torch.manual_seed(cfg.seed)
    tok = AutoTokenizer.from_pretrained(cfg.model_name)
    model = AutoModelForCausalLM.from_pretrained(cfg.model_name).cuda()
    with open(cfg.data_path) as f:
        ids = tok(f.read())["input_ids"]
    blocks = torch.tensor(list(chunks(ids, cfg.max_length)))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    model.train()
    for epoch in range(cfg.epochs):
        perm = torch.randperm(len(blocks))
        for i in range(0, len(blocks), cfg.batch_size):
            batch = blocks[perm[i:i + cfg.batch_size]].cuda()
            loss = model(input_ids=batch, labels=batch).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")
    model.save_pretrained(cfg.output_dir)
    tok.save_pretrained(cfg.output_dir)


if __name__ == "__main__":
    fire.Fire(main)
