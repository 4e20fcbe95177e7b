"""The index-backed v2 API: query language, field lists, batch metric reads."""
