"""Users, credentials, bearer tokens, roles and seller memberships."""
