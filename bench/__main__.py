"""`python -m bench` (`make bench`): every benchmark, one after the other."""
from bench import (catalog_http, checkout, csv_import, fleet_migration, listing_cache, order_desk, pages, provisioning,
                   search, settlement, tenant_move)


def main() -> None:
    provisioning.main()
    fleet_migration.main()
    csv_import.main()
    catalog_http.main()
    listing_cache.main()
    search.main()
    tenant_move.main()
    checkout.main()
    order_desk.main()
    settlement.main([])
    pages.main()


if __name__ == "__main__":
    main()
