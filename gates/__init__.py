"""gates: quality gates for multi-agent repositories."""

from __future__ import annotations

__version__ = "0.1.0"
