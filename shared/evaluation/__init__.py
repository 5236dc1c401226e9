"""Evaluation on SWE-bench-format tasks: loading tasks, the oracle model, judging a PR with a
task's hidden tests, and the report. ``shared.cli.eval_cmds`` runs them through the platform."""
