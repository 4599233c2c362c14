"""Notifications fixtures: accounts signed in over HTTP."""
from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class SignedIn:
    user_id: int
    headers: dict[str, str]


@pytest.fixture
def sign_up(client):
    """Register an account and log it in over HTTP."""

    def sign_up_as(email: str) -> SignedIn:
        credentials = {"email": email, "password": "correct horse battery"}
        user_id = client.post("/api/v1/auth/register", json={**credentials, "full_name": "Ada"}).get_json()["id"]
        token = client.post("/api/v1/auth/token", json=credentials).get_json()["access_token"]
        return SignedIn(user_id=user_id, headers={"Authorization": f"Bearer {token}"})

    return sign_up_as
