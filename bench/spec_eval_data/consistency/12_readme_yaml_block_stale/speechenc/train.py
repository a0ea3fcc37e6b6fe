import argparse
import tomllib

import torch

from speechenc.data import librispeech_loader
from speechenc.model import SpeechEncoder


def main():
    parser = argparse.ArgumentParser(prog="speechenc.train")
    parser.add_argument("--config", default="configs/base.toml")
    parser.add_argument("--resume", default=None, help="checkpoint to resume from")
    args = parser.parse_args()
    with open(args.config, "rb") as f:
        cfg = tomllib.load(f)
    model_cfg, train_cfg = cfg["model"], cfg["train"]

    model = SpeechEncoder(**model_cfg).cuda()
    opt = torch.optim.AdamW(model.parameters(), lr=train_cfg["lr"])
    if args.resume:
        state = torch.load(args.resume)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
    ctc = torch.nn.CTCLoss(zero_infinity=True)
    loader = librispeech_loader(train_cfg["batch_size"])
    step = 0
    while step < train_cfg["max_steps"]:
        for i, (feats, feat_lens, targets, target_lens) in enumerate(loader):
            log_probs = model(feats.cuda())
            loss = ctc(log_probs.transpose(0, 1), targets, feat_lens // 4, target_lens)
            (loss / train_cfg["grad_accum"]).backward()
            if (i + 1) % train_cfg["grad_accum"] == 0:
                opt.step()
                opt.zero_grad()
                step += 1
        torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, "runs/last.pt")


if __name__ == "__main__":
    main()
