"""Content of the assistant (``content/*.yml``, ``messages.yml``), its schema and loader."""
