"""Money, commission and (to come) payments and settlement: the marketplace's billing, beside `tenants`.

Imports point one way: `marketplace` → `billing` → `tenants`; nothing here imports `marketplace`.
"""
