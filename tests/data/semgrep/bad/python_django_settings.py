"""Bad: a Django settings module with DEBUG switched on."""

import os

SECRET_KEY_FILE = os.environ.get("SECRET_KEY_FILE", "/run/secrets/django")
DEBUG = True  # expect: python-django-debug-enabled
ALLOWED_HOSTS = ["*"]
