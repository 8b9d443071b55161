"""The LLM brain's prompts and phrases, per language, versioned as files.

- `system.<lang>.md`: the system prompt of the tool-calling loop (`$context` is filled in);
- `understand.md`: the system prompt of the understanding call (any language);
- `phrases.<lang>.yaml`: the context lines, confirmation questions and written records Cerebro
  itself words (never the model), so what a customer confirms is exactly what will be done.

Each file starts with a `version:` line; the brain logs the versions it used with every turn.
"""
