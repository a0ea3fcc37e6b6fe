import argparse


def build_parser():
    parser = argparse.ArgumentParser(description="MNIST baseline")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save-dir", default="checkpoints")
    return parser


def build_eval_parser():
    parser = argparse.ArgumentParser(description="Evaluate an MNIST checkpoint")
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--batch-size", type=int, default=1000)
    return parser
