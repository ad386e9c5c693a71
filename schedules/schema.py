"""The JSON Schema of schedule files, shipped as schedule.schema.json for editors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schedules.model import Schedule

SCHEMA_PATH = Path(__file__).with_name("schedule.schema.json")


def schedule_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) describing a schedule file."""
    schema = Schedule.model_json_schema(mode="validation", by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://showcaller.dev/schedule.schema.json"
    schema["title"] = "Showcaller schedule file"
    return schema


def schema_text() -> str:
    """The schema as the text stored in schedule.schema.json."""
    return json.dumps(schedule_schema(), indent=2, sort_keys=True) + "\n"
