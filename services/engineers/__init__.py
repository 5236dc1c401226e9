"""The engineers: the conductor (sequences the plan) and one consumer per role."""
