"""Business database: ORM models, engine wiring, migrations and queries."""
