"""Roster import: one command, one transaction, and a one-line message for every mistake in the CSV."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

import course as course_cli
from autograder.grading.roster import (
    COLUMNS,
    RosterError,
    import_roster,
    list_students,
    main,
    read_roster,
)


@pytest.fixture
def course(tmp_path, empty_gradebook) -> Path:
    shutil.copy(empty_gradebook, tmp_path / "gradebook.db")
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_then_update(course):
    tmp_path = course
    rows = "\n".join(f"s{i:03d},First{i},Last{i},s{i}@example.org,{10000 + i}" for i in range(200))
    roster = write(tmp_path / "roster.csv", "\ufeffid,first_name,last_name,email,lms_user_id\n" + rows + "\n")
    assert import_roster(tmp_path, roster) == (200, 0)
    students = list_students(tmp_path)
    assert len(students) == 200
    assert students[7] == {"id": "s007", "first_name": "First7", "last_name": "Last7", "email": "s7@example.org",
                           "lms_user_id": "10007"}
    # Re-import: the listed students are updated (an emptied cell clears the field), nobody is duplicated.
    write(roster, "id,first_name,last_name,email\ns007,Seven,Last7,\ns999,New,Student,new@example.org\n")
    assert import_roster(tmp_path, roster) == (1, 1)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        assert len(gb.students) == 201
        seven = gb.find_student("s007")
        assert (seven.first_name, seven.email, seven.lms_user_id) == ("Seven", None, None)


@pytest.mark.parametrize("text, message", [
    ("name,email\nAda,ada@example.org\n", "the header has no `id` column"),
    ("id,first_name,section\ns1,Ada,A\n", "unknown column(s) section"),
    ("id,first_name\ns1,Ada\ns1,Alan\n", "line 3: id s1 is also on line 2"),
    ("id,first_name\n,Ada\n", "line 2: the id is empty"),
    ("id,first_name\n", "lists no student"),
    ("id,first_name\npat/../x,Pat\n", "line 2: student id 'pat/../x' is not a safe file name"),
    ("id,first_name\n.hidden,Pat\n", "change it in the roster and import again"),
])
def test_mistakes_in_the_csv(tmp_path, text, message):
    with pytest.raises(RosterError) as err:
        read_roster(write(tmp_path / "roster.csv", text))
    assert message in str(err.value)


def test_command_says_one_line(course, capsys):
    tmp_path = course
    assert main(["--course", str(tmp_path), "list"]) == 1
    assert capsys.readouterr().err.strip() == ("the roster is empty: run `python3 course.py roster import "
                                               "roster.csv`")
    assert main(["--course", str(tmp_path), "import", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.csv does not exist" in err[0] and ",".join(COLUMNS) in err[0]
    write(tmp_path / "r.csv", "id,first_name,last_name,email,lms_user_id\ns1,Ada,Lovelace,ada@example.org,12\n")
    assert main(["--course", str(tmp_path), "import", str(tmp_path / "r.csv")]) == 0
    assert "1 students added, 0 updated" in capsys.readouterr().out


def test_course_py_has_the_command(monkeypatch):
    calls = []
    monkeypatch.setattr(course_cli, "ensure_venv", lambda: None)
    monkeypatch.setattr(course_cli, "run", lambda *cmd, **kw: calls.append([str(c) for c in cmd]))
    assert course_cli.main(["roster", "import", "roster.csv"]) == 0
    assert calls[0][-4:] == ["-m", "autograder.grading.roster", "import", "roster.csv"]
