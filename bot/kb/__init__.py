"""The FAQ knowledge base: markdown entries, their embedding index, and the answer/clarify/fallback decision."""
