"""Organisation, users, roles, permissions, sessions, tokens and data scope."""
