from services.indexer.app import build
from shared.service import run

run(build())
