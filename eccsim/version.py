"""The eccsim version, in one place (recorded with every result)."""

__version__ = "0.1.0"
