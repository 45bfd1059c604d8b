"""The dashboard's stylesheet (inlined into every page)."""
