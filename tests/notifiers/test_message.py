from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from integrations.notifiers import Severity, format_local
from integrations.notifiers.message import gmt_offset

from .conftest import make_notification

AT = datetime(2025, 1, 14, 7, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        ("Asia/Bangkok", "14:15 (GMT+7)"),
        ("Asia/Kolkata", "12:45 (GMT+5:30)"),
        ("America/Sao_Paulo", "04:15 (GMT-3)"),
        ("Europe/London", "07:15 (GMT)"),
        ("America/St_Johns", "03:45 (GMT-3:30)"),
    ],
)
def test_format_local(tz, expected):
    assert format_local(AT, tz) == expected


def test_format_local_follows_daylight_saving():
    summer = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)
    assert format_local(summer, "Europe/Berlin") == "14:00 (GMT+2)"
    assert format_local(AT, "Europe/Berlin") == "08:15 (GMT+1)"


def test_format_local_with_date_and_non_utc_input():
    bangkok_input = AT.astimezone(timezone(timedelta(hours=7)))
    assert format_local(bangkok_input, "Asia/Bangkok", with_date=True) == "Tue 14 Jan 14:15 (GMT+7)"
    assert gmt_offset(AT, "UTC") == "GMT"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        format_local(datetime(2025, 1, 14, 7, 15), "UTC")
    with pytest.raises(ValidationError, match="timezone-aware"):
        make_notification(at=datetime(2025, 1, 14, 7, 15))


def test_unknown_zone_is_refused():
    with pytest.raises(ValidationError, match="IANA"):
        make_notification(timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="IANA"):
        format_local(AT, "Nowhere/Town")


def test_notification_is_frozen_and_stored_in_utc():
    n = make_notification(at=datetime(2025, 1, 14, 14, 15, tzinfo=timezone(timedelta(hours=7))))
    assert n.at == AT and n.at.tzinfo is UTC
    with pytest.raises(ValidationError):
        n.title = "changed"
    assert n.severity is Severity.info


def test_display_fields_show_datetimes_in_the_display_zone(notification):
    assert dict(notification.display_fields())["Ends at"] == "15:00 (GMT+7)"
    assert dict(notification.display_fields("Europe/Paris"))["Ends at"] == "09:00 (GMT+1)"
    moved = notification.in_zone("America/New_York")
    assert moved.timezone == "America/New_York" and moved.local() == "02:15 (GMT-5)"
    assert notification.in_zone(None) is notification
    with pytest.raises(ValueError):
        notification.in_zone("Not/AZone")


def test_links_must_be_http():
    with pytest.raises(ValidationError, match="http"):
        make_notification(links=[("Evil", "javascript:alert(1)")])
