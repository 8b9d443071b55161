"""Adapters the assistant and the journeys call: CRM, logistics, messaging and human routing.

Each is a typed protocol with an embedded implementation (on Cerebro's store) and an HTTP one
(a company's REST API under `docs/tools-http-contract.md`); `tools.factory.build_toolbox` picks
one per adapter from the settings. Errors are `tools.errors.ToolError`s, results the frozen
models of `tools.types`.
"""
