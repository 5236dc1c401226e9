"""ledger: a small double-entry bookkeeping library."""

from ledger.book import Journal, Posting, Transaction, parse_journal
from ledger.money import Money

__version__ = "0.2.0"

__all__ = ["Journal", "Money", "Posting", "Transaction", "parse_journal"]
