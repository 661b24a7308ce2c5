"""One run of the real DataLoader: config, the engine, its events, its workers' fate."""
