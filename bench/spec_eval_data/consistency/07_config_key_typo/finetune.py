import argparse

import torch
import yaml
from datasets import load_dataset
from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/sst2.yaml")
    args = parser.parse_args()
    with open(args.config) as f:
        cfg = yaml.safe_load(f)

    tok = AutoTokenizer.from_pretrained(cfg["model_name"])
    model = AutoModelForSequenceClassification.from_pretrained(cfg["model_name"], num_labels=2).cuda()
    ds = load_dataset("glue", "sst2", split="train")
    ds = ds.map(lambda b: tok(b["sentence"], truncation=True, max_length=cfg["max_length"],
                              padding="max_length"), batched=True)
    ds.set_format("torch", columns=["input_ids", "attention_mask", "label"])
    loader = torch.utils.data.DataLoader(ds, batch_size=cfg["batch_size"], shuffle=True)

    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"])
    total = len(loader) * cfg["num_epochs"]
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=cfg["warmup_steps"],
                                            num_training_steps=total)
    model.train()
    for epoch in range(cfg["num_epochs"]):
        for batch in loader:
            batch = {k: v.cuda() for k, v in batch.items()}
            out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                        labels=batch["label"])
            out.loss.backward()
            opt.step()
            sched.step()
            opt.zero_grad()
        print(f"epoch {epoch}: loss {out.loss.item():.4f}")
    model.save_pretrained("sst2-bert")


if __name__ == "__main__":
    main()
