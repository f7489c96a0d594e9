"""The stellarcollab command: serve the app, maintain the database, seed a demo
canvas or a full one, grant admin rights, run the benchmark."""

from __future__ import annotations

import argparse
import sys
import time

from stellarcollab.config import InsecureSecretError, Settings
from stellarcollab.seed.arguments import add_arguments as add_seed_arguments


def _migrate(settings: Settings, revision: str = "head") -> None:
    """Apply migrations, printing each one as it starts (a big database takes a while)."""
    import logging

    from stellarcollab.db.migrate import upgrade
    from stellarcollab.observability.logging import configure

    configure(settings.log_format, "warning")
    log = logging.getLogger("stellarcollab.db.migrate")
    for name in ("alembic.runtime.migration", log.name):
        logging.getLogger(name).setLevel(logging.INFO)
    started = time.monotonic()
    upgrade(settings.resolved_database_url(), revision)
    log.info("database is at %s (%.1f s)", revision, time.monotonic() - started)


def _serve(args: argparse.Namespace) -> int:
    from stellarcollab.workers import ClusterSettingsError, check_cluster_settings

    settings = Settings()
    try:
        settings.resolved_secret_key()
        check_cluster_settings(settings, args.workers)
    except (InsecureSecretError, ClusterSettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.no_migrate:
        _migrate(settings)
    if args.demo_if_empty:
        _seed_demo(settings, if_empty=True)
    if args.workers > 1:
        from stellarcollab.observability.logging import configure
        from stellarcollab.workers import serve_workers

        configure(settings.log_format, settings.log_level)
        return serve_workers(settings, args.host, args.port, args.workers,
                             access_log=not args.no_access_log)
    from stellarcollab.server import serve

    serve(settings, args.host, args.port, access_log=not args.no_access_log)
    return 0


def _db(args: argparse.Namespace) -> int:
    _migrate(Settings(), args.revision)
    return 0


def _demo(args: argparse.Namespace) -> int:
    return _seed_demo(Settings(), if_empty=args.if_empty)


def _seed_demo(settings: Settings, *, if_empty: bool) -> int:
    import asyncio

    from stellarcollab.demo import DemoServices, database_is_empty, seed

    if if_empty and not settings.demo:
        return 0

    def progress(line: str) -> None:
        print(f"demo: {line}", file=sys.stderr, flush=True)

    async def run() -> int:
        services = DemoServices.open(settings)
        try:
            if if_empty and not await database_is_empty(services.db):
                return 0
            await seed(services, progress)
        finally:
            await services.close()
        return 0

    return asyncio.run(run())


def _admin(args: argparse.Namespace) -> int:
    import asyncio

    from stellarcollab.auth.passwords import PasswordHasher
    from stellarcollab.auth.tokens import TokenService
    from stellarcollab.db.engine import Database
    from stellarcollab.services.errors import NotFound
    from stellarcollab.services.users import UserService

    async def run() -> int:
        settings = Settings()
        db = Database(settings.resolved_database_url())
        users = UserService(db, PasswordHasher(1, 8, 1, 1), TokenService("x" * 32, 60))
        try:
            await users.set_admin(args.username, args.action == "grant")
        except NotFound:
            print(f"error: no user named {args.username!r}", file=sys.stderr)
            return 1
        finally:
            await db.dispose()
        print(f"{args.username}: admin {'granted' if args.action == 'grant' else 'revoked'}")
        return 0

    return asyncio.run(run())


def _seed(args: argparse.Namespace) -> int:
    import asyncio

    from stellarcollab.seed.command import run

    return asyncio.run(run(Settings(), args))


def _bench(argv: list[str]) -> int:
    from stellarcollab.bench.command import main as bench_main

    return bench_main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        return _bench(argv[1:])
    parser = argparse.ArgumentParser(prog="stellarcollab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve the API, the WebSocket hub and the web page",
                                description="Migrate, then serve until SIGTERM (which drains).")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="N processes on one port (needs PostgreSQL and Redis)")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    serve.add_argument("--demo-if-empty", action="store_true",
                       help="first make the demo canvas, as `demo --if-empty` does (make run)")
    serve.add_argument("--no-access-log", action="store_true")
    serve.set_defaults(run=_serve)
    db = commands.add_parser("db", help="apply database migrations (db upgrade [REVISION])")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_upgrade = db_commands.add_parser("upgrade", help="apply migrations")
    db_upgrade.add_argument("revision", nargs="?", default="head")
    db_upgrade.set_defaults(run=_db)
    demo = commands.add_parser("demo", help="create (or complete) the demo canvas; idempotent")
    demo.add_argument("--if-empty", action="store_true",
                      help="only on a database without users, and not when STELLAR_DEMO=0")
    demo.set_defaults(run=_demo)
    admin = commands.add_parser("admin", help="grant or revoke admin rights")
    admin.add_argument("action", choices=["grant", "revoke"])
    admin.add_argument("username")
    admin.set_defaults(run=_admin)
    seed = commands.add_parser("seed", help="create a canvas with every cell filled (bulk)")
    add_seed_arguments(seed)
    seed.set_defaults(run=_seed)
    commands.add_parser("bench", help="run the load benchmark (stellarcollab bench --help)")
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
