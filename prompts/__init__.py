"""Prompt and response templates, per language, versioned as files: the offline brain's response
templates (`prompts/templates/<language>.yaml`, loaded by `prompts.responses`) and the LLM
brain's prompts (`prompts/llm/`)."""
