"""How gateway processes agree: one conversation at a time, in order, and live events."""
