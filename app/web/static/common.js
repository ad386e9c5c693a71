// Helpers shared by the console and the agenda: DOM building, time formatting, a resilient event stream.

/** Build an element: h('button', {class: 'x', onclick: fn}, 'text', child). Text is never parsed as HTML. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** 185 -> "3:05", 3725 -> "1:02:05" (whole seconds, no sign). */
export function clockText(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(total / 3600);
  const mins = Math.floor((total % 3600) / 60);
  const secs = String(total % 60).padStart(2, '0');
  return hours ? `${hours}:${String(mins).padStart(2, '0')}:${secs}` : `${mins}:${secs}`;
}

/** A countdown as people read it: whole seconds rounded up while counting down, "+m:ss" once over. */
export function countdownText(remaining) {
  return remaining > 0 ? clockText(Math.ceil(remaining - 1e-6)) : (remaining <= -1 ? `+${clockText(-remaining)}` : '0:00');
}

/** Long waits: "2 d 3:04:05" beyond a day. */
export function longCountdownText(seconds) {
  if (seconds < 86400) return countdownText(seconds);
  const days = Math.floor(seconds / 86400);
  return `${days} d ${clockText(seconds - days * 86400)}`;
}

/** Minutes for delays: 300 -> "5 min", 90 -> "1 min 30 s". */
export function minutesText(seconds) {
  const total = Math.round(Math.abs(seconds));
  const mins = Math.floor(total / 60);
  const secs = total % 60;
  if (!mins) return `${secs} s`;
  return secs ? `${mins} min ${secs} s` : `${mins} min`;
}

/**
 * Formatters for one IANA zone: time "14:15", zone "GMT+7", zoneName "Indochina Time",
 * label "14:15 GMT+7", day "Mon 30 May".
 */
export function zoneFormat(timeZone, locale = 'en-GB') {
  // `locale` may carry the reader's calendar and digits (th-u-ca-buddhist-nu-thai, issue 30); a
  // Buddhist-era date always prints its era, so nobody reads 2565 as a Gregorian year.
  const opts = { timeZone, hourCycle: 'h23' };
  const era = locale.includes('-ca-buddhist') ? { era: 'short' } : {};
  const hm = new Intl.DateTimeFormat(locale, { ...opts, hour: '2-digit', minute: '2-digit' });
  const hms = new Intl.DateTimeFormat(locale, { ...opts, hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const off = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'shortOffset' });
  const long = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'long' });
  const day = new Intl.DateTimeFormat(locale, { timeZone, weekday: 'short', day: 'numeric', month: 'short' });
  const full = new Intl.DateTimeFormat(locale, { timeZone, weekday: 'long', day: 'numeric', month: 'long',
                                                 year: 'numeric', ...era });
  const asDate = (value) => (value instanceof Date ? value : new Date(value));
  const part = (formatter, value) => formatter.formatToParts(asDate(value)).find((p) => p.type === 'timeZoneName')
    ?.value || timeZone;
  const zone = (value) => part(off, value);
  return {
    timeZone,
    time: (value) => hm.format(asDate(value)),
    seconds: (value) => hms.format(asDate(value)),
    zone,
    zoneName: (value) => part(long, value),
    label: (value) => `${hm.format(asDate(value))} ${zone(value)}`,
    day: (value) => day.format(asDate(value)),
    fullDate: (value) => full.format(asDate(value)),
  };
}

/** The browser's own IANA time zone (e.g. "Asia/Yangon"). */
export function browserZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Tries at the server's pace after a restart notice (about a minute at 2-3 s) before backing off. */
const RESTART_TRIES = 30;

/**
 * Follow a server-sent-event stream and keep following it.
 * EventSource retries by itself after a dropped connection; when the server refuses (401, 404, 503)
 * it gives up, so we reopen it ourselves with backoff. onData(payload, resynced) gets resynced=true
 * on the first frame after a loss, so callers can reload what the stream does not carry.
 * A server that is stopping (a restart) ends every stream with `event: reconnect` and its `retry_ms`:
 * the page says "Reconnecting…" and tries again every retry_ms (jittered by the server) for a while,
 * rather than backing off, so it is live again as soon as the restarted service answers.
 */
export function followStream(url, eventName, { onData, onStatus = () => {}, onRefused = () => {} }) {
  let source = null;
  let timer = null;
  let stopped = false;
  let lost = false;
  let attempt = 0;
  let quick = 0; // tries left at the server's restart pace (`retry_ms`) before the usual backoff
  let pace = 2000;

  // A function URL may be async and single-use (a stream ticket): EventSource's own retry would
  // reuse it, so every reconnect goes through open() for a fresh one.
  const singleUse = typeof url === 'function';

  function retry() {
    if (quick > 0) {
      quick -= 1; // (not "refused": the service is restarting and said so)
      timer = setTimeout(open, pace);
      return;
    }
    attempt += 1;
    onRefused(attempt);
    timer = setTimeout(open, Math.min(30000, 1000 * 2 ** Math.min(attempt, 5)));
  }

  async function open() {
    clearTimeout(timer);
    if (source) source.close();
    source = null;
    let target;
    try {
      target = singleUse ? await url() : url;
    } catch {
      if (stopped) return;
      lost = true;
      onStatus('reconnecting');
      retry();
      return;
    }
    if (stopped) return;
    source = new EventSource(target);
    source.addEventListener(eventName, (message) => {
      attempt = 0;
      quick = 0;
      const resynced = lost;
      lost = false;
      onStatus('live');
      onData(JSON.parse(message.data), resynced);
    });
    source.addEventListener('reconnect', (message) => {
      // The service is stopping: it closes this stream next. Reopen it ourselves, at its pace, so a
      // single-use ticket is fresh and the backoff does not grow while the service restarts.
      let hint = 2000;
      try {
        hint = Number(JSON.parse(message.data).retry_ms) || hint;
      } catch {
        /* an older server: keep the default */
      }
      pace = Math.min(10000, Math.max(500, hint));
      quick = RESTART_TRIES;
      attempt = 0;
      lost = true;
      onStatus('reconnecting');
      source.close();
      clearTimeout(timer);
      timer = setTimeout(open, pace);
    });
    source.addEventListener('error', () => {
      if (stopped) return;
      lost = true;
      onStatus('reconnecting');
      if (singleUse) source.close();
      if (source.readyState === EventSource.CLOSED) retry();
    });
  }

  open();
  return {
    close() {
      stopped = true;
      clearTimeout(timer);
      if (source) source.close();
    },
    /** Drop the connection and open a fresh one (e.g. when a phone wakes a sleeping tab). */
    reopen() {
      if (stopped) return;
      lost = true;
      onStatus('reconnecting');
      open();
    },
  };
}

/** Reopen a stream when a tab comes back after being hidden a while (phones freeze background tabs). */
export function reopenWhenVisible(getStream, afterMs = 30000) {
  let hiddenAt = 0;
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) hiddenAt = Date.now();
    else if (hiddenAt && Date.now() - hiddenAt > afterMs) getStream()?.reopen();
  });
}

/** Show the connection badge: hidden while live, "reconnecting…" otherwise. */
export function showConnection(badge, status) {
  badge.hidden = status === 'live';
  badge.textContent = status === 'live' ? '' : 'Reconnecting…';
  badge.className = `badge conn ${status}`;
}
