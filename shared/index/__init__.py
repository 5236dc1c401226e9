"""Code search: chunking (pure), embeddings, vector stores and hybrid retrieval.

The indexer service (``services/indexer``) and the CLI (``devforge index``/``search``) share this
package; agents reach it only through the indexer's request/reply endpoint.
"""
