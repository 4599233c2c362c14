"""`flask tenants migrate | provision | list`, as an operator runs them."""
from __future__ import annotations

import pytest

from migrations import head_revision
from tenants.models import TenantRef
from tenants.provisioning import provision_tenant
from tests.shard_support import tenant_sql


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _forget_recorded_version(tenant: TenantRef) -> None:
    """Lose a tenant's version record: the migrator then replays from base onto existing tables and fails."""
    tenant_sql(tenant, "DELETE FROM alembic_version")


def test_migrate_reports_every_tenant_and_exits_zero_when_all_are_at_head(runner):
    provision_tenant("alpha", "Alpha")
    provision_tenant("beta", "Beta")

    result = runner.invoke(args=["tenants", "migrate", "--jobs", "2"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[:2] for line in lines[:2]] == [["skipped", "alpha"], ["skipped", "beta"]]
    assert lines[-1].startswith("2 tenants: 0 migrated, 2 skipped, 0 failed")


def test_migrate_on_a_first_run_says_there_is_nothing_to_migrate(runner):
    result = runner.invoke(args=["tenants", "migrate"])

    assert result.exit_code == 0, result.output
    assert result.output == "no seller schemas yet: nothing to migrate\n"


def test_migrate_prints_failures_first_and_exits_non_zero(runner):
    provision_tenant("alpha", "Alpha")
    broken = provision_tenant("beta", "Beta")
    _forget_recorded_version(broken)

    result = runner.invoke(args=["tenants", "migrate", "--jobs", "2"])

    assert result.exit_code == 1
    first_line = result.output.splitlines()[0]
    assert first_line.split()[:5] == ["failed", "beta", broken.schema_name, "base", "->"]
    assert "DuplicateTable" in first_line
    assert "2 tenants: 0 migrated, 1 skipped, 1 failed" in result.output
    assert "1 tenant(s) failed to migrate" in result.output


def test_migrate_with_an_unknown_tenant_names_it_and_migrates_nothing(runner):
    provision_tenant("alpha", "Alpha")

    result = runner.invoke(args=["tenants", "migrate", "--tenant", "alpha", "--tenant", "nobody"])

    assert result.exit_code == 2
    assert "'nobody'" in result.output
    assert "skipped" not in result.output


def test_migrate_only_the_named_tenant(runner):
    provision_tenant("alpha", "Alpha")
    provision_tenant("beta", "Beta")

    result = runner.invoke(args=["tenants", "migrate", "--tenant", "beta"])

    assert result.exit_code == 0, result.output
    assert "beta" in result.output
    assert "alpha" not in result.output


def test_provision_then_list_shows_the_tenant_at_head(runner):
    provisioned = runner.invoke(args=["tenants", "provision", "acme-tools", "Acme Tools"])

    listed = runner.invoke(args=["tenants", "list"])

    assert provisioned.exit_code == 0, provisioned.output
    assert "provisioned acme-tools" in provisioned.output
    row = listed.output.splitlines()[1].split()
    assert row[:2] == ["acme-tools", "active"]
    assert row[2].startswith("tenant_")
    assert row[4:] == [head_revision("tenant"), "Acme", "Tools"]


@pytest.mark.parametrize("arguments, message", [
    (["Bad Slug", "Bad"], "lowercase"),
    (["admin", "Admin"], "reserved"),
    (["good-slug", "   "], "1 to 120 characters"),
    (["good-slug", "x" * 121], "1 to 120 characters"),
])
def test_provision_refuses_bad_input_and_creates_nothing(runner, arguments, message):
    result = runner.invoke(args=["tenants", "provision", *arguments])

    assert result.exit_code == 2
    assert message in result.output
    assert runner.invoke(args=["tenants", "list"]).output == "no tenants\n"


def test_provision_refuses_a_taken_slug(runner):
    runner.invoke(args=["tenants", "provision", "acme", "Acme"])

    result = runner.invoke(args=["tenants", "provision", "acme", "Other Acme"])

    assert result.exit_code == 1
    assert "already taken" in result.output
    assert len(runner.invoke(args=["tenants", "list"]).output.splitlines()) == 2
