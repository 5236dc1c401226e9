"""The publisher: pushes the squashed job branch and opens the PR through a forge adapter."""
