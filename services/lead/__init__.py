"""The engineering lead: ticket + code context -> a validated TaskPlan."""
