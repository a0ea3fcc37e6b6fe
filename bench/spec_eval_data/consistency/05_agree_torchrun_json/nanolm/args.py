import argparse


def build_parser():
    p = argparse.ArgumentParser(description="Train nanolm with DDP")
    p.add_argument("--config", required=True, help="JSON config under configs/")
    p.add_argument("--max-steps", type=int, default=None, help="override train.max_steps")
    p.add_argument("--out-dir", default="out")
    p.add_argument("--compile", action="store_true")
    return p


def build_sample_parser():
    p = argparse.ArgumentParser(description="Sample from a nanolm checkpoint")
    p.add_argument("--ckpt", default="out/ckpt.pt")
    p.add_argument("--num-tokens", type=int, default=200)
    p.add_argument("--temperature", type=float, default=0.8)
    return p
