"""Live charts (memory per process, throughput, worker timeline), their buffers, exports."""
