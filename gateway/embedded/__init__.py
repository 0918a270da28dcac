"""The embedded database: FerretDB v1.24.2 on SQLite, built once and cached (``loopgate db``)."""
