"""A tiny HTTP toolkit used as a fixture by the server tests."""
