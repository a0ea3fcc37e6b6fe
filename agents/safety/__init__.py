"""What the agent may touch and what may leave the machine (paths, commands, redaction)."""
