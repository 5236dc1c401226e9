import sys

from services.engineers.app import build
from shared.service import run

run(build(sys.argv[1:]))
