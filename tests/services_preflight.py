"""Fail loudly (exit 1) when PostgreSQL or Redis named by DATABASE_URL / REDIS_URL is unreachable."""

import os
import sys

import psycopg
import redis


def main() -> int:
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not database_url or not redis_url:
        print("make test-services needs DATABASE_URL and REDIS_URL", file=sys.stderr)
        return 1
    try:
        # The suite creates its own test database; the server's maintenance database proves it is up.
        with psycopg.connect(database_url, dbname="postgres", connect_timeout=5) as connection:
            connection.execute("select 1")
        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except Exception as exc:
        print(f"services unreachable: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    print("PostgreSQL and Redis reachable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
