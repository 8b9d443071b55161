"""The toolbox factory: HTTP where a company URL is set, embedded elsewhere."""

from __future__ import annotations

from cerebro.settings import Settings
from tests.conformance import world as w
from tests.conformance.conftest import Store, embedded_settings
from tests.conformance.expect import expect_error
from tests.conformance.loopback import Answer, serve_script
from tools.crm import EmbeddedCrm, HttpCrm
from tools.factory import build_toolbox
from tools.logistics import EmbeddedLogistics, HttpLogistics
from tools.messaging import EmbeddedMessaging, HttpMessaging
from tools.routing import EmbeddedRouting, HttpRouting


def test_everything_is_embedded_without_urls(sqlite_store: Store) -> None:
    with build_toolbox(embedded_settings(), sqlite_store.db, sqlite_store.clock) as tools:
        assert isinstance(tools.crm, EmbeddedCrm)
        assert isinstance(tools.logistics, EmbeddedLogistics)
        assert isinstance(tools.messaging, EmbeddedMessaging)
        assert isinstance(tools.routing, EmbeddedRouting)
        assert tools.clients == ()
        assert tools.crm.find_customer_by_email(w.MARIA_EMAIL).customer_id == w.MARIA


def test_each_adapter_with_a_url_goes_over_http(sqlite_store: Store) -> None:
    settings = Settings(
        crm_url=None,
        logistics_url="http://logistics.example/api",
        messaging_url=None,
        routing_url="http://routing.example",
    )
    with build_toolbox(settings, sqlite_store.db, sqlite_store.clock) as tools:
        assert isinstance(tools.crm, EmbeddedCrm)
        assert isinstance(tools.logistics, HttpLogistics)
        assert isinstance(tools.messaging, EmbeddedMessaging)
        assert isinstance(tools.routing, HttpRouting)
        assert len(tools.clients) == 2


def test_http_adapters_use_the_token_timeout_and_retries_of_the_settings(
    sqlite_store: Store,
) -> None:
    with serve_script(Answer(503, {"detail": "busy"})) as (url, script):
        settings = Settings(
            crm_url=url,
            logistics_url=None,
            messaging_url=url,
            routing_url=None,
            tools_token="from-settings",
            tools_timeout=5.0,
            tools_retries=1,
        )
        with build_toolbox(settings, sqlite_store.db, sqlite_store.clock) as tools:
            assert isinstance(tools.crm, HttpCrm)
            assert isinstance(tools.messaging, HttpMessaging)
            with expect_error("unavailable", "gave up after 2 attempt"):
                tools.crm.list_notes(w.MARIA)
    assert [seen.headers["Authorization"] for seen in script.seen] == ["Bearer from-settings"] * 2
