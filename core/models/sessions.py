"""Who is signed in where. A browser's sign-in is a row here (the cookie carries only a random
key to it), so signing out, a password change or an administrator's "Sign out everywhere" ends
it on the server; an API token carries its user's token generation, and a password change or
"Sign out everywhere" moves the generation on, so every token issued before stops working."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String

from core.db import Model, utcnow


class SignInSession(Model):
    """One browser's sign-in. ``id`` is the SHA-256 of the key in the browser's session cookie,
    so the table alone cannot be used to sign in. An ended sign-in keeps its row (with
    ``ended_at``) until ``services.sign_in.purge`` forgets it."""

    __tablename__ = "sign_in_session"

    id = Column(String(64), primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_seen_at = Column(DateTime, nullable=False, default=utcnow)
    user_agent = Column(String(255), nullable=False, default="")
    ip_address = Column(String(64), nullable=False, default="")
    ended_at = Column(DateTime, nullable=True)

    __table_args__ = (Index("ix_sign_in_session_user", "user_id", "ended_at"),)


class TokenGeneration(Model):
    """A user's API-token generation: a token is valid only while it carries the current one.
    No row: generation 0."""

    __tablename__ = "sign_in_token_generation"

    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    generation = Column(Integer, nullable=False, default=0)
