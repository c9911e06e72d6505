"""Storage: SQLAlchemy models, sessions, migrations, the data/ loader and export/import."""
