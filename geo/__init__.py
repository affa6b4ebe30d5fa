"""Database, schema, coordinate systems and geometry helpers shared by every gridgov package."""
