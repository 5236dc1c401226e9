from services.qa.app import build
from shared.service import run

run(build())
