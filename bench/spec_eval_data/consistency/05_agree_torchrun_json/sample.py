import torch

from nanolm.args import build_sample_parser
from nanolm.model import GPT, GPTConfig


@torch.no_grad()
def main():
    args = build_sample_parser().parse_args()
    ckpt = torch.load(args.ckpt, map_location="cpu")
    model = GPT(GPTConfig(**ckpt["model_args"]))
    model.load_state_dict(ckpt["model"])
    model.eval()
    idx = torch.zeros((1, 1), dtype=torch.long)
    for _ in range(args.num_tokens):
        logits = model(idx[:, -model.config.block_size:])[:, -1] / args.temperature
        idx = torch.cat([idx, torch.multinomial(logits.softmax(-1), 1)], dim=1)
    print(bytes(idx[0].tolist()).decode("utf-8", errors="replace"))


if __name__ == "__main__":
    main()
