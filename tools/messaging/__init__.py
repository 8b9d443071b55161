"""Messaging adapter: one outbox for email, SMS, WhatsApp and in-app (protocol, embedded, HTTP)."""

from tools.messaging.embedded import EmbeddedMessaging
from tools.messaging.http import HttpMessaging
from tools.messaging.protocol import MessagingTools

__all__ = ["EmbeddedMessaging", "HttpMessaging", "MessagingTools"]
