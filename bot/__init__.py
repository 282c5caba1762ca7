"""Nordlicht customer-service gateway, domain services and database layer."""
