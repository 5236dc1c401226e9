"""The GitHub App forge: installation tokens minted per use (never stored), the connect flow's
records, the adapter that pushes and opens pull requests, and the webhook's pure mapping."""
