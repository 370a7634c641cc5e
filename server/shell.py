"""``make shell``: a terminal conversation through the chat API.

Uses the running assistant on $PORT, or starts one (engine, action server,
front door) for the length of the conversation.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time

import httpx

from server.settings import ROOT, get_settings

READY_TIMEOUT_S = 180.0


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _start_stack(url: str) -> subprocess.Popen[bytes]:
    print("Starting the assistant (about 15 s)...", flush=True)
    log = open(ROOT / "var" / "shell-stack.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "server.launcher"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        if _healthy(url):
            return process
        time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    raise SystemExit(f"The assistant did not start: see {ROOT / 'var' / 'shell-stack.log'}")


def converse(url: str, mode: str = "patient") -> None:
    session_id = None
    print("Type your message (Ctrl-D to quit).")
    with httpx.Client(base_url=url, timeout=60.0) as client:
        while True:
            try:
                text = input("vous> ")
            except EOFError:
                print()
                return
            response = client.post("/api/chat", json={"message": text, "session_id": session_id, "mode": mode})
            body = response.json()
            if response.status_code != 200:
                print(f"[{response.status_code}] {body.get('detail')}")
                continue
            session_id = body["session_id"]
            for message in body["messages"]:
                print(f"bot> {message['text']}")
                for index, button in enumerate(message.get("buttons", []), 1):
                    print(f"     {index}. {button['title']}  ({button['payload']})")
            print(f"     [topic: {body['topic']}]")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A conversation with the assistant in the terminal.")
    parser.add_argument("--mode", choices=("patient", "staff"), default="patient", help="whom the answers are for")
    mode = parser.parse_args(argv).mode
    settings = get_settings()
    url = f"http://{settings.host}:{settings.port}"
    (ROOT / "var").mkdir(exist_ok=True)
    process = None if _healthy(url) else _start_stack(url)
    try:
        converse(url, mode)
    finally:
        if process is not None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
