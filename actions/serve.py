"""``python -m actions.serve [rasa-sdk options]``: migrate the database, then run rasa-sdk's action server.

The action server writes registrations and tickets: it brings the schema to head
itself rather than count on the front door having started first
(``store.migrate`` takes a lock, so both may do it at once).
"""

from __future__ import annotations


def main() -> None:
    from rasa_sdk.__main__ import main as run_action_server

    from store.migrate import upgrade
    from store.settings import get_store_settings

    upgrade(get_store_settings().database_url)
    run_action_server()


if __name__ == "__main__":
    main()
