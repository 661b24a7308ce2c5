"""The tracer: code that runs inside the user's training job (stdlib and torch only)."""
