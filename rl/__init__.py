"""Learning from what users accept and reject. Today: the policy seam (policy.py) that the agent asks for
its choices; the bandits, PPO and prompt evolution of the learning issue plug in behind it."""
