"""QA: runs the quality gates on the job branch and decides from the tools' outputs."""
