"""Tracing the user's own training job: launching it, hearing its agent, naming its processes."""
