"""``manage.py demo_sso_token <username>``: print a subject token of the demo identity provider."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from example_project.demo import sso


class Command(BaseCommand):
    help = (
        f"Print a demo IdP subject token for USERNAME, valid {sso.MAX_AGE_SECONDS} seconds, "
        "to trade at POST /auth/exchange. The IdP does not check that the user exists; the exchange does."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(sso.issue(options["username"]))
