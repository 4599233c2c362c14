"""Tenancy core: the registry, provisioning, per-transaction binding, fleet migrations, the shard map.

Nothing here knows about catalog, orders or money; those areas build on it.
"""
