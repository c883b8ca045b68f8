"""The registry: SQLModel tables, the store API, locks, serial/lineage, migrations."""
