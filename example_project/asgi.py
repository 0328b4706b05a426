"""ASGI entry point of the example API (the app's handler keeps Django's early refusals on the contract)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

from causeloop_errors.asgi import get_asgi_application

application = get_asgi_application()
