"""`python -m bench` (`make bench`): every benchmark, one after the other."""
from bench import fleet_migration, provisioning


def main() -> None:
    provisioning.main()
    fleet_migration.main()


if __name__ == "__main__":
    main()
