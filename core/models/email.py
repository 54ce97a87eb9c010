"""Outbound email: the shop's SMTP settings, the wording of each email (templates the shop can
reword) and every message sent or waiting to be sent, with its attachments."""

from __future__ import annotations

from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer, LargeBinary,
                        String, Text)
from sqlalchemy.orm import relationship

from core.crypto import Encrypted
from core.db import Model, utcnow


class EmailSettings(Model):
    """How this shop sends email: one row (id 1), written on the Email settings screen. Until
    it is saved the ``MAIL_*`` settings of the configuration apply."""

    __tablename__ = "email_settings"

    id = Column(Integer, primary_key=True)
    host = Column(String(255), nullable=False, default="")
    port = Column(Integer, nullable=False, default=587)
    security = Column(String(10), nullable=False, default="starttls")  # none starttls tls
    username = Column(String(255), nullable=False, default="")
    password = Column(Encrypted, nullable=True)  # never shown back, never logged
    sender_name = Column(String(200), nullable=False, default="")
    sender_address = Column(String(254), nullable=False, default="")
    reply_to = Column(String(254), nullable=False, default="")
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    updated_by_fk = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)

    updated_by = relationship("User")


class EmailTemplate(Model):
    """The wording of one kind of email ("receipt", "invoice_overdue"...), registered by the core
    or a plugin (``email_templates`` hook) and reworded by the shop. ``default_*`` keep the
    owner's own wording, for "Reset to default"."""

    __tablename__ = "email_template"

    id = Column(Integer, primary_key=True)
    key = Column(String(100), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    category = Column(String(12), nullable=False, default="service")  # service marketing
    # A service email that still follows the customer's "contact by email" choice.
    respects_preferences = Column(Boolean, nullable=False, default=False)
    owner = Column(String(64), nullable=False, default="core")
    subject = Column(String(500), nullable=False, default="")
    html = Column(Text, nullable=False, default="")
    text = Column(Text, nullable=False, default="")
    default_subject = Column(String(500), nullable=False, default="")
    default_html = Column(Text, nullable=False, default="")
    default_text = Column(Text, nullable=False, default="")
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    updated_by_fk = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)

    updated_by = relationship("User")

    @property
    def is_customised(self) -> bool:
        """Whether the shop's wording differs from the owner's."""
        return (self.subject, self.html, self.text) != (
            self.default_subject, self.default_html, self.default_text)

    @property
    def follows_preferences(self) -> bool:
        """Whether a customer who does not want email is spared this one (marketing always)."""
        return self.category == "marketing" or bool(self.respects_preferences)


class EmailMessage(Model):
    """One email: what was (or will be) sent to whom, and how sending went.

    ``status`` goes queued -> sent, or queued -> failed (the server refused it for good, or
    every attempt failed); ``refused`` when it was never queued (the customer does not want
    marketing email, has no address, was erased). ``last_error`` says why in words."""

    __tablename__ = "email_message"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), nullable=True)
    activity_id = Column(Integer, ForeignKey("activity.id", ondelete="SET NULL"), nullable=True)
    to_address = Column(String(254), nullable=False, default="")
    subject = Column(String(500), nullable=False, default="")
    html = Column(Text, nullable=False, default="")
    text = Column(Text, nullable=False, default="")
    template_key = Column(String(100), nullable=True)
    source = Column(String(64), nullable=False, default="core")  # plugin that sent it
    status = Column(String(12), nullable=False, default="queued")  # queued sent failed refused
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    sent_at = Column(DateTime, nullable=True)
    created_by_fk = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"), nullable=True)

    attachments = relationship("EmailAttachment", order_by="EmailAttachment.id",
                               cascade="all, delete-orphan", passive_deletes=True)
    created_by = relationship("User")

    __table_args__ = (
        Index("ix_email_message_customer", "customer_id", "created_at"),
        Index("ix_email_message_status", "status", "created_at"),
    )


class EmailAttachment(Model):
    """A file sent with a message, kept with it (bytes in the database)."""

    __tablename__ = "email_attachment"

    id = Column(Integer, primary_key=True)
    message_id = Column(Integer, ForeignKey("email_message.id", ondelete="CASCADE"),
                        nullable=False, index=True)
    filename = Column(String(255), nullable=False)
    content_type = Column(String(100), nullable=False, default="application/octet-stream")
    size = Column(Integer, nullable=False, default=0)
    data = Column(LargeBinary, nullable=False)
