"""``make evaluate``: both held-out sets (tidy and realistic) through the real stack; reports under reports/.

    python -m evaluation              start the stack on free ports, evaluate, stop it
    python -m evaluation --url URL    evaluate a running assistant
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import httpx

from evaluation.heldout import REPORTS, ask, load_heldout, score, summary, write_reports
from evaluation.realistic import (
    ask_realistic,
    load_realistic,
    realistic_summary,
    score_realistic,
    write_realistic_reports,
)
from evaluation.stack import start_stack, stop_stack


def evaluate(url: str, out: Path) -> bool:
    examples = load_heldout()
    with httpx.Client(timeout=30) as client:
        outcomes = ask(client, url, examples)
        realistic = score_realistic(ask_realistic(client, url, load_realistic()))
    report = score(outcomes)
    paths = write_reports(report, outcomes, out) + write_realistic_reports(realistic, out)
    print(summary(report))
    print()
    print(realistic_summary(realistic))
    print()
    print("| held-out set | messages | right at once | within one click | wrong |")
    print("|---|---:|---:|---:|---:|")
    for name, rates in (("tidy (heldout.yml)", report.rates), ("realistic (realistic.yml)", realistic.overall)):
        print(f"| {name} | {rates.total} | {rates.right:.3f} | {rates.within_click:.3f} | {rates.wrong:.3f} |")
    print("reports:", ", ".join(str(p) for p in paths))
    return report.passed and realistic.passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running assistant, e.g. http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=REPORTS)
    args = parser.parse_args()
    if args.url:
        return 0 if evaluate(args.url.rstrip("/"), args.out) else 1
    with tempfile.TemporaryDirectory(prefix="evaluate-") as tmp:
        print("==> starting the assistant (engine, action server, front door)…", flush=True)
        stack = start_stack(Path(tmp))
        try:
            passed = evaluate(stack.url, args.out)
        finally:
            stop_stack(stack)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
