"""A local server that speaks the OpenAI Chat Completions protocol, scripted per test.

script = Script().then(call("track_order", order_id="ORD-100042"), say("It is on its way."))
with serve_openai(script) as server:
    ...  # point OPENAI_BASE_URL at server.base_url
server.requests  # what the model was sent
"""

from tests.llm_server.script import (
    ChatRequest,
    Failure,
    Raw,
    Reply,
    Script,
    ToolCall,
    ToolResult,
    after_tool,
    call,
    rate_limited,
    say,
    server_error,
    user_says,
)
from tests.llm_server.server import LocalOpenAI, serve_openai

__all__ = [
    "ChatRequest",
    "Failure",
    "LocalOpenAI",
    "Raw",
    "Reply",
    "Script",
    "ToolCall",
    "ToolResult",
    "after_tool",
    "call",
    "rate_limited",
    "say",
    "serve_openai",
    "server_error",
    "user_says",
]
