"""The window's panels: controls, status, dataset health, batch preview, the runs table."""
