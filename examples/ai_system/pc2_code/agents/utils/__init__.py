"""Helpers for PC2 agents, imported as ``utils.*`` once pc2_code/agents is on sys.path."""
