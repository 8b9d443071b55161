"""Build the four tool adapters from settings: HTTP where a company URL is set, else embedded."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType

from cerebro.clock import Clock
from cerebro.settings import Settings
from memory.db import Database
from tools.crm import CrmTools, EmbeddedCrm, HttpCrm
from tools.http_client import HttpToolClient
from tools.logistics import EmbeddedLogistics, HttpLogistics, LogisticsTools
from tools.messaging import EmbeddedMessaging, HttpMessaging, MessagingTools
from tools.routing import EmbeddedRouting, HttpRouting, RoutingTools


@dataclass(frozen=True)
class Toolbox:
    """The adapters the assistant and the journeys call; `close()` releases HTTP connections."""

    crm: CrmTools
    logistics: LogisticsTools
    messaging: MessagingTools
    routing: RoutingTools
    clients: tuple[HttpToolClient, ...] = field(default=())

    def close(self) -> None:
        for client in self.clients:
            client.close()

    def __enter__(self) -> Toolbox:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.close()


def build_toolbox(settings: Settings, db: Database, clock: Clock) -> Toolbox:
    """Each adapter over HTTP when its `CEREBRO_*_URL` is set, on `db` otherwise."""
    clients: list[HttpToolClient] = []

    def client(url: str, service: str) -> HttpToolClient:
        token = settings.tools_token.get_secret_value() if settings.tools_token else None
        made = HttpToolClient(
            url,
            service=service,
            token=token,
            timeout=settings.tools_timeout,
            retries=settings.tools_retries,
        )
        clients.append(made)
        return made

    crm: CrmTools = (
        HttpCrm(client(settings.crm_url, "the CRM")) if settings.crm_url else EmbeddedCrm(db, clock)
    )
    logistics: LogisticsTools = (
        HttpLogistics(client(settings.logistics_url, "the logistics service"))
        if settings.logistics_url
        else EmbeddedLogistics(db, clock)
    )
    messaging: MessagingTools = (
        HttpMessaging(client(settings.messaging_url, "the messaging service"))
        if settings.messaging_url
        else EmbeddedMessaging(db, clock)
    )
    routing: RoutingTools = (
        HttpRouting(client(settings.routing_url, "the routing service"))
        if settings.routing_url
        else EmbeddedRouting(db, clock)
    )
    return Toolbox(crm, logistics, messaging, routing, tuple(clients))
