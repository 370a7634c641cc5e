from __future__ import annotations

import os

# Tests never read a developer's .env or start with a missing token.
os.environ.setdefault("ENGINE_TOKEN", "test-token-0123456789abcdef")
