"""LLM providers, tools and the agent loop. Built in the agent issue."""
