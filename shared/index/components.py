"""Build the index's parts from settings: the embedder, the vector store, the indexer and the
searcher (one place, so the service, the CLI and the benchmarks are wired alike)."""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.index.catalog import Catalog
from shared.index.embedder import Embedder
from shared.index.indexer import Indexer
from shared.index.pgvector_store import PgVectorStore
from shared.index.pinecone_store import PineconeStore
from shared.index.search import Searcher
from shared.index.store import VectorStore
from shared.settings import Settings


class ConfigError(ValueError):
    """A setting of the index that cannot work as given."""


def embedder(settings: Settings) -> Embedder:
    return Embedder(
        settings.embedding_model,
        batch_size=settings.embedding_batch_size,
        max_seq_length=settings.embedding_max_seq_length,
        backend=settings.embedding_backend,
        cache_dir=settings.embedding_cache,
        threads=settings.embedding_threads,
        batch_tokens=settings.embedding_batch_tokens,
    )


def vector_store(settings: Settings, pool: asyncpg.Pool[Any]) -> VectorStore:
    if settings.vector_store == "pgvector":
        return PgVectorStore(pool)
    if settings.vector_store == "pinecone":
        if not settings.pinecone_api_key or not settings.pinecone_host:
            raise ConfigError(
                "DEVFORGE_VECTOR_STORE=pinecone needs DEVFORGE_PINECONE_API_KEY and "
                "DEVFORGE_PINECONE_HOST"
            )
        return PineconeStore(settings.pinecone_api_key, settings.pinecone_host)
    raise ConfigError(
        f"DEVFORGE_VECTOR_STORE must be pgvector or pinecone, not {settings.vector_store!r}"
    )


def build(settings: Settings, pool: asyncpg.Pool[Any], model: Embedder) -> tuple[Indexer, Searcher]:
    catalog = Catalog(pool)
    store = vector_store(settings, pool)
    return (
        Indexer(catalog, store, model, settings.index_max_file_bytes),
        Searcher(catalog, store, model),
    )
