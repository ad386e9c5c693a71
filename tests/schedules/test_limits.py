"""Bounded reading: size, aliases, nesting, value count and characters no store accepts."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from schedules.load import load_file, load_text
from schedules.problems import ScheduleError
from schedules.source import MAX_ALIAS_VALUES, MAX_DEPTH, MAX_VALUES
from tests.schedules.conftest import MEKONG, REPO

SCRIPT = Path(sys.executable).with_name("showcaller")
SHOWCALLER = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-c", "from app.cli import main; main()"]


def only_problem(call) -> str:
    with pytest.raises(ScheduleError) as caught:
        call()
    lines = caught.value.render().splitlines()
    assert len(lines) == 2, lines
    return lines[0]


def test_size_limit_is_a_parameter_and_counts_bytes():
    text = MEKONG.read_text(encoding="utf-8")
    size = len(text.encode())
    assert load_text(text, "m.yaml", max_bytes=size).event.id == "mekong-dialogue-2022"
    assert only_problem(lambda: load_text(text, "m.yaml", max_bytes=size - 1)) == (
        f"m.yaml:1:1: (file): the file is {size:,} bytes; schedules may be at most {size - 1:,}. "
        "Fix: a schedule is a few kilobytes: is this the right file? (the limit is the max_schedule_bytes setting)"
    )


def test_a_50_mb_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: costs no disk and no time
    assert only_problem(lambda: load_file(path)).endswith(
        "the file is 52,428,800 bytes; schedules may be at most 1,048,576. Fix: a schedule is a few kilobytes: "
        "is this the right file? (the limit is the max_schedule_bytes setting)"
    )


def test_binary_garbage_names_the_first_unreadable_byte(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"version: 1\nev\xff\xd8\xff\xe0 JFIF")
    assert only_problem(lambda: load_file(path)) == (
        f"{path}:2:3: (file): not UTF-8 text (byte 0xff cannot be read). "
        "Fix: save it as UTF-8 text (a schedule is a YAML file, not a document or a binary)"
    )


def test_binary_that_happens_to_be_utf8_hits_the_control_character_rule(tmp_path):
    path = tmp_path / "zeros.bin"
    path.write_bytes(b"\x00" * 64)
    assert only_problem(lambda: load_file(path)).endswith(
        "1:1: (file): U+0000 (NUL) is not allowed (63 more in the file). "
        "Fix: remove it: only tab and newline are allowed (is this a text file?)"
    )


def test_an_empty_or_blank_file_says_so():
    for text in ("", "\n\n", "# only a comment\n"):
        assert only_problem(lambda t=text: load_text(t, "e.yaml")).endswith(
            "the file is empty. Fix: start from an example in schedules/events/"
        )


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\x85\x9f"[1], "\ud800"])
def test_control_characters_raw_or_escaped_are_refused(char):
    raw = f"version: 1\nevent:\n  title: a{char}b\n"
    assert "is not allowed" in only_problem(lambda: load_text(raw, "r.yaml"))
    escaped = f'version: 1\nevent:\n  title: "a\\u{ord(char):04x}b"\n'
    assert only_problem(lambda: load_text(escaped, "e.yaml")).startswith(
        f"e.yaml:3:10: event.title: the text contains U+{ord(char):04X}"
    )


def test_tab_newline_and_windows_line_ends_are_fine():
    text = MEKONG.read_text(encoding="utf-8").replace("\n", "\r\n")
    text = text.replace("description: >-", "description: >-", 1)
    assert load_text(text, "crlf.yaml").event.id == "mekong-dialogue-2022"
    assert load_text(text.replace("Labour Mobility\r\n", "Labour\tMobility\r\n", 1), "t.yaml")


def test_nesting_is_capped_before_python_recursion_could_fail():
    for levels in (MAX_DEPTH + 5, 100_000):  # libyaml itself stops at 1,000 levels, with its own message
        text = "version: 1\nevent:\n  organisers: " + "[" * levels + "]" * levels + "\n"
        line = only_problem(lambda t=text: load_text(t, "d.yaml"))
        assert f"nested more than {MAX_DEPTH} levels deep" in line or "maximum nesting depth" in line


def test_alias_expansion_is_capped_and_self_reference_refused():
    bomb = "a: &a [" + ", ".join(["x"] * 100) + "]\nb: [" + ", ".join(["*a"] * 200) + "]\n"
    assert f"repeat more than {MAX_ALIAS_VALUES:,} values" in only_problem(lambda: load_text(bomb, "b.yaml"))
    assert "refers to the value that contains it" in only_problem(lambda: load_text("a: &x [1, *x]\n", "x.yaml"))


def test_value_count_is_capped():
    text = "a: [" + "0, " * (MAX_VALUES + 10) + "]\n"
    assert f"more than {MAX_VALUES:,} values" in only_problem(lambda: load_text(text, "v.yaml"))


def test_big_syntax_errors_keep_a_located_message():
    text = "a:\n" + "  - x\n" * 9_000 + " b: [\n"
    line = only_problem(lambda: load_text(text, "s.yaml"))
    assert line.startswith("s.yaml:") and "not valid YAML" in line


def _limit_memory():
    one_gb = 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (2 * one_gb, 2 * one_gb))


def test_validate_on_hostile_files_prints_one_problem_and_exits_2(tmp_path):
    """The acceptance cases in a real process under a 2 GB address-space limit: no traceback, exit 2."""
    (tmp_path / "garbage.bin").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "empty.yaml").write_text("")
    with (tmp_path / "big.yaml").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    bomb = (REPO / "tests" / "schedules" / "broken" / "alias-bomb.yaml").read_text()
    (tmp_path / "bomb.yaml").write_text(bomb)
    names = ["garbage.bin", "empty.yaml", "big.yaml", "bomb.yaml"]
    proc = subprocess.run(
        [*SHOWCALLER, "validate", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        preexec_fn=_limit_memory,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "400"},
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert [line.split(":")[0] for line in lines[::2]] == names
    assert lines[1::2] == [f"{name}: 1 problem" for name in names]


def test_suggestions_use_edit_distance_and_short_lists_are_shown_in_full():
    from schedules.suggest import distance, known_list, nearest

    assert distance("kitten", "sitting") == 3 and distance("Asia/Bankok", "asia/bangkok") == 1
    assert nearest("moderater", ["moderators", "speakers"]) == "moderators"
    assert nearest("zzz", ["moderators", "speakers"]) is None
    names = [f"p{i}" for i in range(20)]
    assert known_list(names) == ", ".join(names)
    assert known_list([*names, "p20"]).endswith(", p19, ... (21 in all)")
