"""ledger: an evidence ledger for human-rights research, kept as YAML records in git."""

__version__ = "0.1.0"
