"""Human-routing adapter: handoffs with an escalation summary (protocol, embedded, HTTP)."""

from tools.routing.embedded import EmbeddedRouting
from tools.routing.http import HttpRouting
from tools.routing.protocol import RoutingTools

__all__ = ["EmbeddedRouting", "HttpRouting", "RoutingTools"]
