"""DataLoader Explorer: see, live, how a PyTorch DataLoader uses memory and time."""

__version__ = "0.1.0"
