"""Good: a Django settings module that reads DEBUG from the environment.  good: python-django-debug-enabled"""

import os

DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["app.example.com"]
