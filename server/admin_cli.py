"""Create a back-office account: ``python -m server.admin_cli NAME --role gestionnaire``.

The password is read from ``ADMIN_PASSWORD`` when set (for scripts), else asked
twice on the terminal; it is stored only as an argon2id hash.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from sqlalchemy.exc import IntegrityError

from server.settings import get_settings
from server.staff import MIN_PASSWORD_LENGTH, create_user
from store.engine import create_engine, session_factory, transaction
from store.migrate import upgrade
from store.models import StaffRole


def read_password() -> str:
    password = os.environ.get("ADMIN_PASSWORD")
    if password:
        return password
    first = getpass.getpass(f"Password ({MIN_PASSWORD_LENGTH}+ characters): ")
    if first != getpass.getpass("Again: "):
        sys.exit("The two passwords differ.")
    return first


async def main(username: str, role: StaffRole, password: str) -> None:
    settings = get_settings()
    upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with transaction(session_factory(engine)) as db:
            await create_user(db, username, password, role)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Create a back-office account.")
    parser.add_argument("username")
    parser.add_argument("--role", choices=[r.value for r in StaffRole], default=StaffRole.LECTEUR.value)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.username, StaffRole(args.role), read_password()))
    except ValueError as exc:
        sys.exit(str(exc))
    except IntegrityError:
        sys.exit(f"The account {args.username!r} already exists.")
    print(f"Account {args.username!r} created ({args.role}).")
