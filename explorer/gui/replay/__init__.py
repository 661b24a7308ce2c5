"""Recordings in the window: open, save, and replay them with a player and its bar."""
