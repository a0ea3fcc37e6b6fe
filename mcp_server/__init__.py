"""SpecPilot's third face: a Model Context Protocol server (``specpilot mcp``) that gives other coding agents the
engine the CLI and the language server use: search, the symbol graph, refactorings as previews, the spec
workflow's status, gates and traceability, the spec documents as resources and the stages' prompts."""
