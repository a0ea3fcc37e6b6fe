"""Spec documents and the spec workflow: requirements -> design -> tasks -> implementation -> review."""
