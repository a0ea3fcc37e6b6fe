"""Redaction: the one pass over the exact text that leaves (to a model, a log, a trajectory, a spec),
with the detector, the vendor rules and the memory of secrets already seen."""
