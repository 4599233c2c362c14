"""billing sits between marketplace and tenants: it may import tenants, never marketplace (or workers)."""
from __future__ import annotations

import ast
from pathlib import Path

BILLING = Path(__file__).resolve().parents[2] / "billing"


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return {name.split(".")[0] for name in names}


def test_billing_never_imports_marketplace_or_workers():
    importers = {str(path.relative_to(BILLING)): sorted(_imported_packages(path) & {"marketplace", "workers"})
                 for path in BILLING.rglob("*.py")}

    assert {path: packages for path, packages in importers.items() if packages} == {}
