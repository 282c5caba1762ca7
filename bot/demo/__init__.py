"""Demo business data (Nordlicht Home & Style) and the reset that restores it."""
