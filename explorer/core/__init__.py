"""The Qt-free core: datasets, the run engine around the real DataLoader, the memory sampler
and reports. Nothing in this package imports Qt (a test checks it)."""
