"""Quality-gate assets the QA service ships: the semgrep ruleset and the reader of its reports."""
