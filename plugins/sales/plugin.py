"""The sales plugin's entry point: what it is, and the hooks it answers. Thin glue only; the
rules live in services.py."""

from __future__ import annotations

from pathlib import Path

from core.sdk import PluginInfo, hookimpl
from plugins.sales import models  # noqa: F401  (its tables join the metadata when the plugin loads)

PLUGIN = PluginInfo(
    name="sales",
    label="Sales",
    version="1.0.0",
    description="Purchase history: the sales and refunds the tills send, history imported "
                "from other systems, insights, Go Green email receipts, and rule types for "
                "frequency-based groups.",
    migrations=str(Path(__file__).resolve().parent / "migrations"),
)


@hookimpl
def addhooks(pm):
    from plugins.sales import hookspecs

    pm.add_hookspecs(hookspecs)
