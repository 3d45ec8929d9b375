"""Tools for testers: conversation files played end to end against the running assistant."""
