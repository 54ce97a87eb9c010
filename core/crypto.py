"""Encryption at rest for sensitive numbers (ID/SSN, driver's licence, bank accounts).

Keys come from config: ``ENCRYPTION_KEYS`` is a list of Fernet keys, newest first; values
are encrypted with the first and decrypted with any (MultiFernet), so a key can be rotated
by putting the new one first and running ``regulars keys rotate``. Without configured keys,
a key is generated once into instance/encryption_key (never committed)."""

from __future__ import annotations

import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import types


def _keys(app) -> list[str]:
    keys = app.config.get("ENCRYPTION_KEYS") or []
    if isinstance(keys, str):
        keys = [k.strip() for k in keys.split(",") if k.strip()]
    if keys:
        return keys
    path = os.path.join(app.instance_path, "encryption_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(Fernet.generate_key().decode())
    with open(path) as f:
        return [f.read().strip()]


def cipher() -> MultiFernet:
    app = current_app._get_current_object()
    cached = app.extensions.get("regulars.cipher")
    if cached is None:
        cached = MultiFernet([Fernet(k) for k in _keys(app)])
        app.extensions["regulars.cipher"] = cached
    return cached


def mask(value: str | None, visible: int = 4) -> str:
    if not value:
        return ""
    return "•" * max(len(value) - visible, 4) + value[-visible:]


class Encrypted(types.TypeDecorator):
    """A text value stored as a Fernet token; Python sees the plain text."""

    impl = types.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value in (None, ""):
            return None
        return cipher().encrypt(str(value).encode()).decode()

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        try:
            return cipher().decrypt(value.encode()).decode()
        except InvalidToken:
            return None
