"""What the README's "In production" tells the person who deploys Regulars."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def in_production() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("### In production", 1)[1].split("\n## ", 1)[0]


def test_the_encryption_key_comes_from_the_environment_not_beside_the_database():
    section = in_production()

    assert "REGULARS_ENCRYPTION_KEYS" in section
    assert "beside the database" in section and "secrets manager" in section


def test_rotating_the_encryption_key_is_spelled_out():
    section = in_production()

    assert "regulars keys rotate" in section and "new key first" in section
