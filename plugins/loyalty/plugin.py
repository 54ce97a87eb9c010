"""The loyalty plugin's entry point: what it is, and the hooks it answers. Thin glue only; the
rules live in services.py."""

from __future__ import annotations

from pathlib import Path

from core.sdk import PluginInfo, hookimpl  # noqa: F401

PLUGIN = PluginInfo(
    name="loyalty",
    label="Loyalty",
    version="1.0.0",
    description="Loyalty points earned on every sale, tiers tied to group levels, expiry, "
                "redemption at the till, and the Loyalty History tab.",
    requires=["sales"],
    migrations=str(Path(__file__).resolve().parent / "migrations"),
)
