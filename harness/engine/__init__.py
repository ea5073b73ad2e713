"""The embedding engine: turning a manifest into embeddings with a method adapter."""
