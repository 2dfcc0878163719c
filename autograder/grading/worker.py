"""One notebook, where it runs (a local worker process or a Dask worker): run and judge it in a fresh sandbox, apply
the output budgets, finish it (stderr shown as text, the rules' verdicts, the grader's notes), score it and render
its feedback page. The job and the result are plain data; the result is JSON text's types only (str, float, list,
dict, None), so nothing a worker returns is unpickled or trusted: the coordinator checks it against its own gradebook
record (`validate`) and records it (`record`).

    run_notebook_job(job) -> {"id", "worker", "executed": notebook JSON text, "notes": [str], "grades":
                              {grade_id: [score, points]}, "reasons": {grade_id: str}, "feedback": HTML text | None,
                              "seconds": the worker's wall time for it}
"""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell

from autograder.grading import cluster, feedback, fixtures, judge, policy, sandbox, scoring


def job_for(student: str, chapter: str, nb, notes: list[str], violations: list[policy.Violation], timeout: int,
            budget: sandbox.Budget, extra: dict[str, bytes], trusted: judge.TrustedNotebook,
            points: dict[str, float], page: dict | None) -> dict:
    """What a worker needs to judge one sanitized notebook (it reads nothing of the course folder): the notebook, the
    chapter's data files, its trusted cells, the gradebook's points, and for the feedback page (`page`, None for
    none) the instructor's markdown and whether hidden tests are shown."""
    return {"id": f"{chapter}/{student}", "student": student, "chapter": chapter,
            # JSON text, as nbformat writes it less its validation: the worker validates it (nbformat.reads)
            "notebook": json.dumps(nb), "notes": list(notes), "violations": [asdict(v) for v in violations],
            "extra": extra, "timeout": timeout, "budget": asdict(budget), "trusted": trusted.to_plain(),
            "points": points, "feedback": page}


def prepare(trusted: list[judge.TrustedNotebook]) -> None:
    """Import the chapters' case modules (torch, the references) and freeze their fixtures in this process before
    local workers are forked from it: they start with them loaded (shared, copy-on-write) instead of each importing
    them. Idempotent; a Dask worker does the same on its first notebook."""
    sources = [cell.source for t in trusted for cell in t.cells.values()]
    judge.cache_case_generators(sources)
    fixtures.freeze_modules(sources)
    import torch  # the references' (imported lazily by autograder.tensors): load it now
    torch.zeros(1)


def run_notebook_job(payload: dict) -> dict:
    """The unit of work a worker runs: one notebook, in a sandbox of its own (see the module's docstring)."""
    problems = cluster.preflight_problems()
    if problems:
        return {"id": payload["id"], "preflight": problems, "worker": cluster.worker_name()}
    started = time.perf_counter()
    nb = nbformat.reads(payload["notebook"], as_version=4)
    budget = sandbox.Budget(**payload["budget"])
    # The sandbox's folder exists only inside it (a tmpfs), so nothing is left to clean up here.
    work = Path("/tmp/grading") / f"{payload['chapter']}-{uuid.uuid4().hex[:12]}"
    events = judge.judge_notebook(nb, judge.TrustedNotebook.from_plain(payload["trusted"]),
                                  timeout=payload["timeout"], budget=budget, workdir=work, seed=payload["extra"])
    notes = list(payload.get("notes", [])) + [f"kernel: {e}" for e in events]
    notes += limit_outputs(nb, budget)            # applied here, before anything is shipped back
    notes += finish_notebook(nb, [policy.Violation(**v) for v in payload.get("violations", [])], notes)
    grades = scoring.cell_scores(nb, payload["points"])
    page = None
    if payload.get("feedback") is not None:
        options = payload["feedback"]
        page = feedback.render_page(nbformat.from_dict(nb), payload["chapter"], payload["student"], grades,
                                    options["instructor_markdown"], options.get("show_hidden", False),
                                    course=options.get("course"))
    return {"id": payload["id"], "worker": cluster.worker_name(), "executed": nbformat.writes(nb), "notes": notes,
            "grades": grades, "reasons": scoring.cell_reasons(nb, grades), "feedback": page,
            "seconds": round(time.perf_counter() - started, 4)}


def finish_notebook(nb, violations: list[policy.Violation], notes: list[str]) -> list[str]:
    """The notebook as the gradebook and the feedback see it: stderr shown as text (nbgrader fails a cell that wrote
    to stderr, and a warning from a correct answer must not cost points), the tests a rule costs marked with the
    reason, and the grader's notes in a first cell. Returns the notes it adds."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                out["name"] = "stdout"
                out["text"] = "".join(f"[stderr] {line}\n" for line in out["text"].splitlines())
    policy.mark_tests(nb, violations)
    added = [f"rule broken: {v}" for v in violations]
    nb.metadata.pop("autograder", None)
    if notes or added:
        nb.cells.insert(0, new_markdown_cell("**Grader's notes**\n\n" + "\n".join(f"* {n}" for n in notes + added)))
    return added


def limit_outputs(nb, budget: sandbox.Budget) -> list[str]:
    """Cut text outputs at the per-cell and per-notebook output budgets (trusted side, before anything is saved)."""
    notes, total = [], 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        used = 0
        for out in cell.get("outputs", []):
            for key, value in _text_fields(out):
                room = max(0, min(budget.cell_output_bytes - used, budget.output_bytes - total))
                size = len(value.encode("utf-8", "replace"))
                if size > room:
                    value = value.encode("utf-8", "replace")[:room].decode("utf-8", "ignore")
                    value += f"\n[output cut: {size} bytes, over the output budget]"
                    key(value)
                    notes.append(f"cell {index}: output cut at the output budget ({size} bytes)")
                    size = room
                used += size
                total += size
    return list(dict.fromkeys(notes))


def _text_fields(out):
    """(setter, text) for each text an output carries."""
    def setter(obj, key):
        return lambda v: obj.__setitem__(key, v)
    if out.get("output_type") == "stream":
        yield setter(out, "text"), out.get("text", "")
    elif out.get("output_type") == "error":
        yield setter(out, "evalue"), out.get("evalue", "")
        out["traceback"] = [t[:2000] for t in out.get("traceback", [])[:50]]
    else:
        data = out.get("data", {})
        for mime in list(data):
            if isinstance(data[mime], str):
                yield setter(data, mime), data[mime]
