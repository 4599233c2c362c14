"""`flask search …`: rebuild the index from the catalog, move a large seller to an index of its own."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.core.errors import SELLER_NOT_FOUND_MESSAGE
from marketplace.search import services
from marketplace.search.port import ReindexProgress
from tenants.registry import TenantNotFound

search_cli = AppGroup("search", help="The search index.")


def _echo_progress(progress: ReindexProgress) -> None:
    click.echo(f"  seller {progress.tenant_id}: {progress.documents_done} documents")


@search_cli.command("reindex")
@click.option("--tenant", "tenant_slug", metavar="SLUG", help="only this seller (default: every seller)")
def reindex_command(tenant_slug: str | None) -> None:
    """Rebuild search documents from the catalog while the site keeps serving searches."""
    try:
        written = services.reindex(tenant_slug, progress=_echo_progress)
    except TenantNotFound as error:
        # The API's message names no slug (it could be anything a client sent); the operator typed this one.
        raise click.UsageError(f"{SELLER_NOT_FOUND_MESSAGE} ({tenant_slug})") from error
    click.echo(f"reindexed {written} documents")


@search_cli.command("move-tenant")
@click.argument("tenant_slug", metavar="SLUG")
@click.option("--dedicated/--pooled", required=True,
              help="--dedicated: an OpenSearch index of its own; --pooled: back into the shared index")
def move_tenant_command(tenant_slug: str, dedicated: bool) -> None:
    """Move one seller's documents between the pooled index and a dedicated one, atomically."""
    from marketplace.search.opensearch_backend import AlreadyInPlace

    try:
        index = services.move_tenant(tenant_slug, dedicated, progress=_echo_progress)
    except TenantNotFound as error:
        raise click.UsageError(f"{SELLER_NOT_FOUND_MESSAGE} ({tenant_slug})") from error
    except (services.NeedsOpenSearch, AlreadyInPlace) as error:
        raise click.UsageError(f"{getattr(error, 'message', error)} ({tenant_slug})") from error
    click.echo(f"seller {tenant_slug} now searches {index}")
