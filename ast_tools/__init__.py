"""libcst refactorings that produce WorkspaceEdit-shaped results. Built in the AST issue."""
