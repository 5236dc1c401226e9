from services.guard.app import build
from shared.service import run

run(build())
