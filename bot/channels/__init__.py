"""Channel adapters: each parses and verifies its inbound side and renders its outbound side."""
