"""Workspace index: scanner, tree-sitter chunker, symbol graph, embedder, LanceDB store, search."""
