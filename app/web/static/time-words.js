// Time in words for the console and the presenter view: how long before the start, and the tab's title.
import { countdownText } from './common.js';

// Within this many seconds of the start the console counts down to the second ("47:12"); further away,
// a raw countdown ("201:35:34") is unreadable, so it says "starts in 8 days (Mon 30 May 14:00)".
export const RAW_COUNTDOWN_SECONDS = 3600;

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A wait longer than RAW_COUNTDOWN_SECONDS in words: "8 days", "1 day 6 h", "5 h 20 min", "1 h". */
export function waitWords(seconds) {
  const minutes = Math.floor(seconds / 60);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days >= 2) return plural(days, 'day');
  if (days === 1) return hours ? `1 day ${hours} h` : '1 day';
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

/**
 * Before the start: "starts in 8 days (Mon 30 May 14:00)" in the event's zone (`fmt`: zoneFormat), the
 * day left out when the start is today there; within RAW_COUNTDOWN_SECONDS, "starts in 47:12".
 */
export function startsInText(seconds, start, fmt, now = Date.now()) {
  if (seconds <= RAW_COUNTDOWN_SECONDS) return `starts in ${countdownText(seconds)}`;
  const sameDay = fmt.day(start) === fmt.day(now) && seconds < 86400;
  return `starts in ${waitWords(seconds)} (${sameDay ? '' : `${fmt.day(start)} `}${fmt.time(start)})`;
}

/** The big countdown's value before the start: the raw countdown only in the last hour. */
export function startValue(seconds) {
  return seconds <= RAW_COUNTDOWN_SECONDS ? countdownText(seconds) : waitWords(seconds);
}

/**
 * The tab's title, so a host on another tab still sees the time: "4:59 · Session 1 — Showcaller",
 * "+0:12 OVER · Session 1 — Showcaller", or `fallback` when nothing counts down.
 */
export function tabTitle(remaining, title, fallback) {
  if (remaining === null || remaining === undefined || !title) return fallback;
  const left = remaining <= 0 ? `${countdownText(remaining)} OVER` : countdownText(remaining);
  return `${left} · ${title} — Showcaller`;
}
