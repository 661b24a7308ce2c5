"""Datasets: image folders (eager, lazy, memmap, HDF5), random tensors, yours; the factory."""
