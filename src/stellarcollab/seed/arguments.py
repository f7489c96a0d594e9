"""The options of ``stellarcollab seed`` (kept apart so the CLI loads fast)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--width", type=int, default=256, choices=range(1, 257),
                        metavar="1-256", help="columns (default 256)")
    parser.add_argument("--height", type=int, default=256, choices=range(1, 257),
                        metavar="1-256", help="rows (default 256)")
    parser.add_argument("--tile-size", type=int, default=32, choices=(16, 32, 64))
    parser.add_argument("--name", default="Seeded canvas")
    parser.add_argument("--owner", default="seed", help="owner's username (created if missing)")
    parser.add_argument("--password", default="seed-password",
                        help="the owner's password when the account is created")
