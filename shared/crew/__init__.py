"""The crew's shared runtime: guarded tool calls, MCP sessions, agent runs, replay on resume."""
