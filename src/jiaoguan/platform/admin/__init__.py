"""Administration registries: org units, users, roles, and the API token page."""
