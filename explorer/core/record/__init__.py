"""What outlives a run: the JSON report, the memory CSV and the replayable recording."""
