from services.lead.app import build
from shared.service import run

run(build())
