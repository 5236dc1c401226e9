"""The safety guard: decides every ticket, plan and tool call; signs approvals; audits."""
