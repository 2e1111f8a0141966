"""The version of qsim (one place: ``pyproject.toml`` reads it, the result store and the report record it)."""

__version__ = "0.1.0"
