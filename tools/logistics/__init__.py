"""Logistics adapter: orders, shipments, returns and refunds (protocol, embedded, HTTP)."""

from tools.logistics.embedded import EmbeddedLogistics
from tools.logistics.http import HttpLogistics
from tools.logistics.protocol import LogisticsTools

__all__ = ["EmbeddedLogistics", "HttpLogistics", "LogisticsTools"]
