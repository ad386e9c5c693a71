"""Locales per reader (issue 30): the schedule fields, their file:line errors, and how each reader
reads times, dates, durations, lists and digits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from schedules.audience import event_locale, person_reader, target_reader, translated
from schedules.durations import parse_clock, parse_duration
from schedules.load import load_text
from schedules.locales import ENGLISH, Reader, locale_id, to_native
from schedules.problems import ScheduleError

HEAD = """event:
  id: ev
  title: Ev
  date: 2022-05-30
  timezone: Asia/Bangkok
  language: {language}
segments:
  - id: one
    title: One
    kind: session
    start: "10:00"
    end: "10:30"
"""
AT = datetime(2022, 5, 30, 7, 15, tzinfo=UTC)  # 14:15 in Bangkok, 13:45 in Yangon


def problems(text: str) -> list[str]:
    with pytest.raises(ScheduleError) as caught:
        load_text(text, "f.yaml")
    return caught.value.render().splitlines()[:-1]


def test_locales_load_from_ids_and_english_names(catalogs):
    schedule = load_text(
        HEAD.format(language="French")
        + "    titles: {th: หนึ่ง, fr: Un}\n"
        + "people:\n  - {id: ann, name: Ann, locale: th}\n"
        + "targets:\n  - {id: a, kind: slack, url_env: A, locale: th, digits: native, calendar: buddhist}\n"
        + "  - {id: b, kind: slack, url_env: B}\n",
        "f.yaml",
        catalogs=catalogs,
    )
    assert event_locale(schedule) == "fr"
    assert target_reader(schedule, schedule.targets[0]) == Reader("th", "native", "buddhist")
    assert target_reader(schedule, schedule.targets[1]) == Reader("fr")
    assert person_reader(schedule, schedule.people[0]) == Reader("th")
    assert translated("One", schedule.segments[0].titles, Reader("fr_CA")) == "Un"  # by language
    assert translated("One", schedule.segments[0].titles, Reader("vi")) == "One"  # the file's own text
    assert translated("One", schedule.segments[0].titles, ENGLISH) == "One"


def test_the_default_english_event_reads_as_before():
    schedule = load_text(HEAD.format(language="English") + "targets:\n  - {id: a, kind: slack, url_env: A}\n", "f.yaml")
    assert target_reader(schedule, schedule.targets[0]) is ENGLISH


@pytest.mark.parametrize(
    ("tail", "line", "where"),
    [
        ("targets:\n  - {id: a, kind: slack, url_env: A, locale: xx-YY}\n", 14, "targets[0].locale"),
        ("people:\n  - {id: ann, name: Ann, locale: Klingonese}\n", 14, "people[0].locale"),
        ("cues:\n  - {id: c, at: '10:05', message: Hi, messages: {zz: Salut}}\n", 14, "cues[0].messages.zz"),
    ],
)
def test_an_unknown_locale_names_file_line_field_and_fix(tail, line, where):
    lines = problems(HEAD.format(language="English") + tail)
    hit = [x for x in lines if where in x]
    assert hit and hit[0].startswith(f"f.yaml:{line}:"), lines
    assert "is not a locale CLDR knows" in hit[0] and "Fix: write a locale such as fr" in hit[0]


def test_an_unknown_event_language_is_refused():
    lines = problems(HEAD.format(language="Elvish"))
    assert any(x.startswith("f.yaml:6:") and "event.language" in x for x in lines), lines


def test_native_digits_need_a_script_that_has_them():
    tail = "targets:\n  - {id: a, kind: slack, url_env: A, digits: native}\n"
    lines = problems(HEAD.format(language="English") + tail)
    assert any("targets[0].digits" in x and "no native digits" in x for x in lines), lines


def test_a_persons_native_digits_need_a_script_that_has_them():
    tail = "people:\n  - {id: ann, name: Ann, locale: fr, digits: native}\n"
    lines = problems(HEAD.format(language="English") + tail)
    assert any("people[0].digits" in x and "no native digits" in x and "Fix:" in x for x in lines), lines
    thai = load_text(HEAD.format(language="Thai") + "people:\n  - {id: ann, name: Ann, digits: native}\n", "f.yaml")
    assert thai.people[0].digits == "native"  # the event's Thai has digits of its own


def test_times_use_cldr_zone_names_and_24_hour_skeletons():
    assert ENGLISH.time(AT, "Asia/Bangkok") == "14:15 (GMT+7)"  # unchanged English
    assert Reader("fr").time(AT, "Asia/Bangkok") == "14:15 (heure d’Indochine)"
    assert Reader("th").time(AT, "Asia/Bangkok") == "14:15 น. (เวลาอินโดจีน)"
    # Yangon is UTC+6:30, the other Mekong capitals UTC+7.
    assert Reader("my", "native").time(AT, "Asia/Yangon") == "၁၃:၄၅ (မြန်မာ အချိန်)"
    assert Reader("fr").time(AT, "America/New_York").startswith("03:15 (heure d’été de l’Est")


def test_native_digits_for_the_four_scripts_and_only_when_asked():
    assert to_native("2022-05-30 14:15", "th") == "๒๐๒๒-๐๕-๓๐ ๑๔:๑๕"
    assert to_native("0123456789", "km") == "០១២៣៤៥៦៧៨៩"
    assert to_native("0123456789", "lo") == "໐໑໒໓໔໕໖໗໘໙"
    assert to_native("0123456789", "my") == "၀၁၂၃၄၅၆၇၈၉"
    assert to_native("0123456789", "fr") == "0123456789"
    assert Reader("th").clock(AT, "Asia/Bangkok") == "14:15 น."  # latin is the default
    assert Reader("th", "native").clock(AT, "Asia/Bangkok") == "๑๔:๑๕ น."


def test_buddhist_era_dates_always_print_the_era():
    day = date(2022, 5, 30)
    assert Reader("th", calendar="buddhist").date(day) == "30 พฤษภาคม พ.ศ. 2565"
    assert Reader("th", "native", "buddhist").date(day, "full") == "วันจันทร์ที่ ๓๐ พฤษภาคม พ.ศ. ๒๕๖๕"
    assert Reader("th").date(day) == "30 พฤษภาคม ค.ศ. 2022"  # Gregorian: CLDR's own era
    assert "2565" in Reader("fr", calendar="buddhist").date(day) and "BE" in Reader("fr", calendar="buddhist").date(day)


def test_durations_and_lists_come_from_cldr():
    assert Reader("fr").duration(timedelta(minutes=3)) == "3 minutes"
    assert Reader("th", "native").duration(timedelta(minutes=3)) == "๓ นาที"
    assert Reader("fr").duration(timedelta(seconds=90)) == "90\u00a0secondes"  # CLDR: a no-break space
    assert Reader("fr").join(["Ann", "Bo", "Chan"]) == "Ann, Bo et Chan"
    assert Reader("km").join(["a", "b", "c"]) == "a, b និង c"


def test_locale_ids_are_normalised():
    assert locale_id("pt-BR") == "pt_BR"
    assert locale_id("Burmese") == "my"
    with pytest.raises(ValueError, match="not a locale CLDR knows"):
        locale_id("xx")


@pytest.mark.parametrize("text", ["๓m", "၁၀m", "໓s"])
def test_durations_people_write_take_ascii_digits_only(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_times_people_write_take_ascii_digits_only():
    with pytest.raises(ValueError, match="not a time"):
        parse_clock("๑๔:๑๕")
    assert parse_clock("14:15").hour == 14
