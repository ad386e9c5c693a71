// Reads .ics files the way Thunderbird does (Mozilla's ical.js) and prints, as JSON, every VEVENT's
// UID, METHOD, SEQUENCE, DTSTAMP and its start and end as UTC instants.
// Each file's own VTIMEZONE blocks are registered first, so a TZID is resolved from what the
// file says, never from a zone database of ical.js's own: a wrong VTIMEZONE shows as a wrong instant.
// Usage: node read_ics.mjs FILE...   (output: {"FILE": {"method": ..., "events": [...]}, ...})
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function utc(time) {
  return new Date(time.toUnixTime() * 1000).toISOString().replace(".000Z", "Z");
}

const out = {};
for (const path of process.argv.slice(2)) {
  const root = new ICAL.Component(ICAL.parse(readFileSync(path, "utf8")));
  ICAL.TimezoneService.reset();
  for (const vtz of root.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(vtz);
  }
  const events = root.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    const stamp = vevent.getFirstPropertyValue("dtstamp");
    return {
      uid: event.uid,
      sequence: event.sequence,
      dtstamp: stamp ? utc(stamp) : null,
      start: utc(event.startDate),
      end: utc(event.endDate),
      start_tzid: event.startDate.zone ? event.startDate.zone.tzid : null,
      attendees: vevent.getAllProperties("attendee").length,
    };
  });
  out[path] = { method: root.getFirstPropertyValue("method"), events };
}
process.stdout.write(JSON.stringify(out));
