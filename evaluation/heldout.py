"""The held-out set (tests/nlu/heldout.yml) sent through ``POST /api/chat``: metrics, reports and gates.

Each message starts a fresh conversation, so the topic the API returns depends
on that message alone.  A clarification ("Vouliez-vous dire…") or a fallback
returns no topic and counts as a miss.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from contract import Intent
from evaluation.measures import Accepts, Answer, Rates, answer_of, verdict

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
REPORTS = ROOT / "reports"
#: Gates (make test fails below them).  Missing an emergency fails whatever the accuracy.
MIN_ACCURACY = 0.92
EMERGENCY = Intent.EMERGENCY
NO_TOPIC = "(aucun)"


@dataclass(frozen=True)
class Example:
    text: str
    topic: str


@dataclass(frozen=True)
class Outcome:
    text: str
    expected: str
    predicted: str
    clarified: bool
    #: The intents of the answer's buttons, its route and form (what one click could reach).
    buttons: tuple[str, ...] = ()
    route: str | None = None
    form: str | None = None

    @property
    def answer(self) -> Answer:
        topic = None if self.predicted == NO_TOPIC else self.predicted
        return Answer(topic=topic, route=self.route, form=self.form, buttons=self.buttons)


@dataclass
class TopicScore:
    topic: str
    support: int
    precision: float
    recall: float
    f1: float
    errors: list[str] = field(default_factory=list)


@dataclass
class Report:
    total: int
    accuracy: float
    macro_f1: float
    clarified: int
    emergencies_missed: list[str]
    topics: list[TopicScore]
    confusions: list[tuple[str, str, int]]
    #: Right at once, right within one click, wrong (see evaluation.measures).
    rates: Rates = field(default_factory=lambda: Rates(0, 0.0, 0.0, 0.0))

    @property
    def passed(self) -> bool:
        return self.accuracy >= MIN_ACCURACY and not self.emergencies_missed

    def worst(self, n: int = 5) -> list[TopicScore]:
        return sorted(self.topics, key=lambda t: (t.f1, t.recall, t.topic))[:n]


def load_heldout(path: Path = HELDOUT) -> list[Example]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Example(text=str(m["text"]), topic=str(m["topic"])) for m in raw["messages"]]


def ask(client: httpx.Client, url: str, examples: Iterable[Example]) -> list[Outcome]:
    """One fresh conversation per message; the topic is what the chat API returns."""
    outcomes: list[Outcome] = []
    for example in examples:
        response = client.post(f"{url}/api/chat", json={"message": example.text})
        response.raise_for_status()
        body = response.json()
        clarified = body.get("topic") is None and any(m.get("buttons") for m in body.get("messages", []))
        answer = answer_of(body)
        outcomes.append(
            Outcome(
                example.text,
                example.topic,
                answer.topic or NO_TOPIC,
                clarified,
                buttons=answer.buttons,
                route=answer.route,
                form=answer.form,
            )
        )
    return outcomes


def score(outcomes: list[Outcome]) -> Report:
    labels = sorted({o.expected for o in outcomes})
    topics: list[TopicScore] = []
    for label in labels:
        tp = sum(o.expected == label and o.predicted == label for o in outcomes)
        fp = sum(o.expected != label and o.predicted == label for o in outcomes)
        fn = sum(o.expected == label and o.predicted != label for o in outcomes)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        errors = [f"{o.text} -> {o.predicted}" for o in outcomes if o.expected == label and o.predicted != label]
        topics.append(TopicScore(label, tp + fn, precision, recall, f1, errors))
    confusions = Counter((o.expected, o.predicted) for o in outcomes if o.expected != o.predicted)
    return Report(
        total=len(outcomes),
        accuracy=sum(o.expected == o.predicted for o in outcomes) / len(outcomes) if outcomes else 0.0,
        macro_f1=sum(t.f1 for t in topics) / len(topics) if topics else 0.0,
        clarified=sum(o.clarified for o in outcomes),
        emergencies_missed=[o.text for o in outcomes if o.expected == EMERGENCY and o.predicted != EMERGENCY],
        topics=topics,
        confusions=[(e, p, n) for (e, p), n in confusions.most_common()],
        rates=Rates.of([verdict(o.answer, Accepts(topics=frozenset({o.expected}))) for o in outcomes]),
    )


def summary(report: Report) -> str:
    lines = [
        f"Held-out set: {report.total} messages through POST /api/chat",
        f"topic accuracy {report.accuracy:.3f} (gate {MIN_ACCURACY}), macro-F1 {report.macro_f1:.3f}, "
        f"clarifications {report.clarified}, emergencies missed {len(report.emergencies_missed)}",
        f"as users feel it: {report.rates.line()}",
        "worst topics (F1, recall, support):",
        *(f"  {t.topic}: F1 {t.f1:.2f}, recall {t.recall:.2f}, n={t.support}" for t in report.worst()),
        "confusion pairs (expected -> answered: count):",
        *(f"  {e} -> {p}: {n}" for e, p, n in report.confusions[:15]),
    ]
    if report.emergencies_missed:
        lines += ["EMERGENCIES MISSED:", *(f"  {text}" for text in report.emergencies_missed)]
    lines.append("PASSED" if report.passed else "FAILED")
    return "\n".join(lines)


def write_reports(report: Report, outcomes: list[Outcome], out: Path = REPORTS) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "total": report.total,
        "accuracy": report.accuracy,
        "macro_f1": report.macro_f1,
        "clarified": report.clarified,
        "rates": asdict(report.rates),
        "passed": report.passed,
        "gate_min_accuracy": MIN_ACCURACY,
        "emergencies_missed": report.emergencies_missed,
        "topics": [asdict(t) for t in report.topics],
        "confusions": [{"expected": e, "answered": p, "count": n} for e, p, n in report.confusions],
        "outcomes": [asdict(o) for o in outcomes],
    }
    json_path = out / "heldout.json"
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    text_path = out / "heldout.txt"
    per_topic = [
        f"{t.topic:40} n={t.support:3} P={t.precision:.2f} R={t.recall:.2f} F1={t.f1:.2f}"
        + "".join(f"\n    {error}" for error in t.errors)
        for t in report.topics
    ]
    text_path.write_text(summary(report) + "\n\nper topic:\n" + "\n".join(per_topic) + "\n", encoding="utf-8")
    image_path = out / "confusion.png"
    confusion_image(outcomes, image_path)
    return [json_path, text_path, image_path]


def confusion_image(outcomes: list[Outcome], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    expected = sorted({o.expected for o in outcomes})
    answered = expected + sorted({o.predicted for o in outcomes} - set(expected))
    counts = Counter((o.expected, o.predicted) for o in outcomes)
    matrix = [[counts[(e, p)] / max(1, sum(counts[(e, q)] for q in answered)) for p in answered] for e in expected]
    size = max(8.0, len(answered) * 0.22)
    figure, axes = plt.subplots(figsize=(size, size * len(expected) / len(answered)))
    axes.imshow(matrix, cmap="Blues", vmin=0, vmax=1)
    axes.set_xticks(range(len(answered)), answered, rotation=90, fontsize=6)
    axes.set_yticks(range(len(expected)), expected, fontsize=6)
    axes.set_xlabel("sujet répondu")
    axes.set_ylabel("sujet attendu")
    axes.set_title("Jeu de test réservé : matrice de confusion (proportion par ligne)")
    figure.tight_layout()
    figure.savefig(path, dpi=130)
    plt.close(figure)
