from .model import UNet

__all__ = ["UNet"]
