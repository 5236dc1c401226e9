from services.publisher.app import build
from shared.service import run

run(build())
