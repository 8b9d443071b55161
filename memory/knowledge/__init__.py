"""The knowledge base: policy and help articles (English and Spanish) in chromadb, searched per
language by meaning and wording. See docs/nlu.md, "The knowledge base".

`articles` reads the packaged articles, `store` indexes and searches them (`KnowledgeBase`),
`types` holds the values (`Passage`, `IndexReport`, `Embedder`) and `lexical` the surface
similarity the search shares with the intent classifier. Import from those modules: only `store`
imports chromadb, which takes seconds, so type hints should come from `types`.
"""
