"""The nbgrader cycle end to end: solutions get full marks, unmodified releases get zero, and each demo sample
gets the grade written down for it in advance, with a readable reason for every lost point."""
import csv

import pytest

from autograder.grading.demo import mismatches
from autograder.grading.samples import SAMPLES
from autograder.layout import chapters


@pytest.mark.parametrize("chapter", chapters())
def test_solution_gets_full_marks(demo_results, chapter):
    result = demo_results[1][chapter]["solution"]
    assert result.max_score > 0
    assert result.score == result.max_score, result.reasons()


@pytest.mark.parametrize("chapter", chapters())
def test_unmodified_release_gets_zero(demo_results, chapter):
    result = demo_results[1][chapter]["release"]
    assert result.score == 0, [c for c in result.cells if c.score]


@pytest.mark.parametrize("chapter,student", [(c, s) for c, by in SAMPLES.items() for s in by])
def test_sample_gets_expected_grade(demo_results, chapter, student):
    result = demo_results[1][chapter][student]
    assert mismatches(chapter, student, SAMPLES[chapter][student], result) == []
    for reason in result.reasons():
        assert len(reason) > 20, f"reason too terse to act on: {reason!r}"


def test_edited_locked_cell_is_reported(demo_results):
    notes = demo_results[1]["elman_jordan"]["edits_tests"].notes
    assert any("test_jordan_forward_visible" in n for n in notes), notes


def test_grades_csv_lists_every_student(demo_results):
    out, results = demo_results
    with open(out / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    for chapter, by_student in results.items():
        for student, result in by_student.items():
            row = next(r for r in rows if r["student_id"] == student and r["assignment"] == chapter)
            assert float(row["score"]) == result.score and float(row["max_score"]) == result.max_score


def test_feedback_is_generated_without_hidden_test_source(demo_results):
    out, results = demo_results
    for chapter, by_student in results.items():
        for student, result in by_student.items():
            if "no submission" in result.notes:  # e.g. a demo student of another chapter
                continue
            html = (out / "course" / "feedback" / student / chapter / f"{chapter}.html").read_text()
            assert "BEGIN HIDDEN TESTS" not in html


def test_feedback_keeps_the_failure_message(demo_results):
    out, _ = demo_results
    html = (out / "course" / "feedback" / "partial" / "elman_jordan" / "elman_jordan.html").read_text()
    assert "hidden tests: their source is not shown" in html
    assert "H computed with your parameters is wrong" in html
    assert "torch_rnn_cases" not in html  # a hidden test's line, and its traceback frames, are gone
