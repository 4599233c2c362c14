"""`flask operators create`: new operators and promoted accounts."""
from __future__ import annotations

import pytest


@pytest.fixture
def cli(app):
    return app.test_cli_runner()


def test_creating_an_operator_lets_them_list_users(cli, client, log_in):
    result = cli.invoke(args=["operators", "create", "--email", "Ops@Example.com", "--password", "a long password",
                              "--full-name", "Olga"])
    token = log_in("Ops@example.com", "a long password").get_json()["access_token"]

    assert result.exit_code == 0, result.output
    assert "Created the operator Ops@example.com" in result.output
    assert client.get("/api/v1/operator/users", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_the_password_is_asked_for_when_not_given(cli, log_in):
    result = cli.invoke(args=["operators", "create", "--email", "ops@example.com"],
                        input="a long password\na long password\n")

    assert result.exit_code == 0, result.output
    assert log_in("ops@example.com", "a long password").status_code == 201


def test_an_existing_account_is_promoted_and_keeps_its_password(cli, client, buyer, log_in):
    result = cli.invoke(args=["operators", "create", "--email", buyer.email, "--password", "another password"])

    assert result.exit_code == 0, result.output
    assert "is now an operator" in result.output
    assert "password is left unchanged" in result.output
    assert client.get("/api/v1/me", headers=buyer.headers).get_json()["is_operator"] is True
    assert log_in(buyer.email, buyer.password).status_code == 201


@pytest.mark.parametrize("arguments, problem", [
    (["--email", "not-an-email", "--password", "a long password"], "email"),
    (["--email", "ops@example.com", "--password", "short"], "password"),
])
def test_bad_details_are_refused_and_create_nothing(cli, row_counts, arguments, problem):
    before = row_counts()

    result = cli.invoke(args=["operators", "create", *arguments])

    assert result.exit_code == 2
    assert problem in result.output
    assert row_counts() == before
