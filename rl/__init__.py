"""Learning from what users accept and reject: bandits, PPO and prompt evolution (the learning issue).
Its policies implement core/policy.py's Policy protocol, which the agent asks for its choices; the
faces decide which policy a session gets."""
