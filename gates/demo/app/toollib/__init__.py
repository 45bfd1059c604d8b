"""Tool library: a community library that lends tools to its members."""

__version__ = "1.4.0"
