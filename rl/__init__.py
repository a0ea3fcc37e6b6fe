"""Feedback store, bandits, PPO and prompt evolution. Built in the learning issue."""
