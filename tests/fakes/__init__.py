"""Local fake servers that speak the wire formats of the real components."""
