"""The served assistant's start and memory, for ``make benchmark-nlu``.

    .venv/bin/python -m benchmarks.served [--fresh-clone] [--json OUT]

- **Cold start**: seconds from ``make run`` to a healthy ``/health``, on this
  checkout, installed and trained (nothing to install nor to train).
- **Memory at rest**: the whole stack started as ``make run`` starts it (SQLite,
  databases in a temporary directory), after a few conversations; resident MB of
  the engine, the action server, the front door and the launcher (a process
  without a role of its own counts for its nearest ancestor's), and their sum.
- **Fresh clone** (``--fresh-clone``): ``git clone`` of this repository's
  committed ``HEAD`` into a temporary directory, then ``make run`` there, timed
  to a healthy ``/health``: both environments created, the packages installed,
  the web assets installed, the model trained from scratch.  Package downloads
  go through the machine's pip and npm caches when they hold the files, so on a
  machine that has never seen them this figure is higher by the download time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from benchmarks.load.run import cold_start, stack_memory, time_make_run
from evaluation.stack import ROOT, free_port, start_stack, stop_stack

CONVERSATION = [
    "bonjour",
    "c'est quoi un patient partenaire ?",
    "ma mère est restée attachée toute la nuit, personne ne nous a rien dit",
    "je veux devenir patient partenaire",
]
FRESH_CLONE_TIMEOUT_S = 1800.0


def memory_at_rest(tmp: Path) -> dict[str, Any]:
    """RSS by role after a few conversations, and the total."""
    stack = start_stack(tmp)
    try:
        with httpx.Client(timeout=60) as client:
            for _ in range(3):
                session = None
                for text in CONVERSATION:
                    session = stack.chat(client, text, session)["session_id"]
        roles = {role: round(mb, 1) for role, mb in sorted(stack_memory(stack.process.pid).items())}
    finally:
        stop_stack(stack)
    return {"by_role_mb": roles, "total_mb": round(sum(roles.values()), 1)}


def fresh_clone(tmp: Path) -> dict[str, Any]:
    """``git clone`` then ``make run`` to a healthy ``/health``: seconds, and what the log says of training."""
    clone = tmp / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=clone, check=True, capture_output=True, text=True
    )
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VIRTUAL_ENV", "ENGINE_", "APP_"))}
    env.update(PORT=str(port), ENGINE_PORT=str(free_port()), ACTION_PORT=str(free_port()))
    log_path = tmp / "fresh-clone.log"
    try:
        seconds = time_make_run(clone, env, port, log_path, FRESH_CLONE_TIMEOUT_S)
    except RuntimeError as error:
        raise RuntimeError(f"{error}\n{log_path.read_text(errors='replace')[-3000:]}") from error
    text = log_path.read_text(errors="replace")
    training = [line for line in text.splitlines() if "model trained in" in line]
    shutil.rmtree(clone, ignore_errors=True)
    return {"commit": head.stdout.strip(), "seconds": seconds, "training": training[-1].strip() if training else None}


def measure(with_fresh_clone: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="served-") as name:
        tmp = Path(name)
        result: dict[str, Any] = {
            "cold_start_s": cold_start(tmp),
            "memory_at_rest": memory_at_rest(tmp),
        }
        if with_fresh_clone:
            result["fresh_clone"] = fresh_clone(tmp)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fresh-clone", action="store_true", help="also time a fresh clone to a healthy /health")
    parser.add_argument("--json", type=Path, help="write the figures there (default: standard output)")
    args = parser.parse_args(argv)
    result = measure(args.fresh_clone)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
