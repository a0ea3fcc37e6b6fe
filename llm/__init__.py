"""Chat models with tool calling: one interface, three providers (see base.py)."""
