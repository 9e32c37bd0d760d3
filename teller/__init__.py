"""Teller: a terminal workstation for bank branches over a double-entry ledger."""

__version__ = "0.1.0"
