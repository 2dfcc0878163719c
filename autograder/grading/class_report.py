"""The class report after grading: how the class did per exercise, which tests failed most, and why.

    python -m autograder.grading.class_report COURSE/grading       # rebuild from grading/<chapter>/<student>.json

Writes report.md (tables), report.csv (per test: mean, min, max, failures, the most common message) and
report.png (score distribution per test, one box per test, chapters side by side).
"""
from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path


def _message_kind(reason: str) -> str:
    """A failure message without its numbers, so the same mistake from different students counts once."""
    head = reason.split(" | ")[0]
    return re.sub(r"-?\d+(\.\d+)?(e-?\d+)?", "#", head)[:140]


def summarize(outcomes) -> dict:
    """{(chapter, test): {scores, max, failures, messages}} from grade.Outcome objects (or their dicts)."""
    stats: dict = defaultdict(lambda: {"scores": [], "max": 0.0, "failures": 0, "messages": Counter()})
    totals: dict = defaultdict(list)
    status: dict = defaultdict(Counter)
    for chapter, by_student in sorted(outcomes.items()):
        for _student, o in sorted(by_student.items()):
            o = o if isinstance(o, dict) else o.__dict__
            status[chapter][o["status"]] += 1
            totals[chapter].append(o["score"])
            for cell in o["cells"]:
                c = cell if isinstance(cell, dict) else cell.__dict__
                s = stats[(chapter, c["grade_id"])]
                s["scores"].append(c["score"])
                s["max"] = c["max_score"]
                if c["score"] < c["max_score"]:
                    s["failures"] += 1
                    s["messages"][_message_kind(c["reason"])] += 1
    return {"tests": dict(stats), "totals": dict(totals), "status": dict(status)}


def write_report(outcomes, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    summary = summarize(outcomes)
    tests = summary["tests"]
    md = ["# Class report", ""]
    md += ["| chapter | graded | invalid | missing | mean score | median |", "|---|---|---|---|---|---|"]
    for chapter, scores in sorted(summary["totals"].items()):
        st = summary["status"][chapter]
        srt = sorted(scores)
        md.append(f"| {chapter} | {st['graded']} | {st['invalid']} | {st['missing']} | "
                  f"{sum(scores) / len(scores):.2f} | {srt[len(srt) // 2]:.1f} |")
    md += ["", "## Per test (most often failed first)", "",
           "| chapter | test | max | mean | failed | most common failure |", "|---|---|---|---|---|---|"]
    rows = []
    for (chapter, test), s in sorted(tests.items(), key=lambda kv: (-kv[1]["failures"], kv[0])):
        mean = sum(s["scores"]) / len(s["scores"])
        common = s["messages"].most_common(1)
        top = f"{common[0][0]} ({common[0][1]}×)" if common else ""
        rows.append({"chapter": chapter, "test": test, "max": s["max"], "mean": round(mean, 3),
                     "min": min(s["scores"]), "failed": s["failures"], "students": len(s["scores"]),
                     "most_common_failure": top})
        md.append(f"| {chapter} | {test} | {s['max']:g} | {mean:.2f} | {s['failures']}/{len(s['scores'])} | "
                  f"{top.replace('|', '/')} |")
    messages = Counter()
    for s in tests.values():
        messages.update(s["messages"])
    md += ["", "## Most common failure messages", "", "| count | message |", "|---|---|"]
    md += [f"| {n} | {m.replace('|', '/')} |" for m, n in messages.most_common(10)]
    paths = {"md": folder / "report.md", "csv": folder / "report.csv", "png": folder / "report.png"}
    paths["md"].write_text("\n".join(md) + "\n")
    with open(paths["csv"], "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["chapter", "test", "max", "mean", "min", "failed", "students",
                                          "most_common_failure"])
        w.writeheader()
        w.writerows(rows)
    _plot(tests, paths["png"])
    return paths


def _plot(tests, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    keys = sorted(tests)
    fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(keys) + 2), 4.5))
    if keys:
        fractions = [[sc / tests[k]["max"] if tests[k]["max"] else 0 for sc in tests[k]["scores"]] for k in keys]
        ax.boxplot(fractions, showmeans=True)
        ax.set_xticks(range(1, len(keys) + 1), [f"{c}:{t}" for c, t in keys], rotation=75, ha="right",
                      fontsize=7)
        for i, k in enumerate(keys, 1):
            s = tests[k]
            ax.annotate(f"{s['failures']}✗", (i, 1.04), ha="center", fontsize=7, color="crimson")
    ax.set_ylim(-0.05, 1.12)
    ax.set_ylabel("fraction of the test's points")
    ax.set_title("Score distribution per test (box: quartiles; triangle: mean; red: number failed)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    folder = Path((argv or sys.argv[1:] or ["grading"])[0])
    outcomes: dict = defaultdict(dict)
    for p in sorted(folder.glob("*/*.json")):
        o = json.loads(p.read_text())
        outcomes[o["chapter"]][o["student"]] = o
    print({k: str(v) for k, v in write_report(outcomes, folder).items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
