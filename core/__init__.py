"""The bottom layer every engine and face imports: errors, paths, settings and their schema, the deny
rule, the compare-and-swap writer, memory limits, the lifeline, the query socket protocol, the ignore
rules and the one workspace walker. It imports nothing from SpecPilot above it."""
