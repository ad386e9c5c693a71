// The public agenda: every time in the viewer's own zone, live over server-sent events (5 s polling as fallback).
import {
  browserZone, countdownText, followStream, h, longCountdownText, minutesText, reopenWhenVisible, showConnection,
  zoneFormat,
} from './common.js';

const EVENT = encodeURIComponent(document.body.dataset.event);
const API = `/api/public/events/${EVENT}`;
const POLL_MS = 5000;
const $ = (id) => document.getElementById(id);
// The viewer's locale (?lang=, else Accept-Language, chosen by the server): titles the schedule gives
// in it are shown with lang= set, and times use its Intl tag (digits and calendar when asked).
const LANG = document.body.dataset.lang || 'en';
const fmt = zoneFormat(browserZone(), document.body.dataset.intl || 'en-GB');

const page = { agenda: null, receivedAt: 0, stream: null, poller: null, signature: '' };

function person(p) {
  const name = p.honorific ? `${p.honorific} ${p.name}` : p.name;
  const about = [p.title, p.organisation].filter(Boolean).join(', ');
  return about ? `${name} — ${about}` : name;
}

/** The text of `item` for this viewer and the language it is in: its `titles` override, else its own. */
function titled(item, fallbackLang) {
  const titles = item.titles || {};
  const key = titles[LANG] !== undefined ? LANG : Object.keys(titles).find((k) => k.split('-')[0] === LANG.split('-')[0]);
  return key ? { text: titles[key], lang: key } : { text: item.title, lang: fallbackLang };
}

/** Set `element`'s text and its lang= (what a screen reader and the font stack read it as). */
function say(element, { text, lang }) {
  element.textContent = text;
  element.lang = lang;
}

function apply(agenda) {
  page.agenda = agenda;
  page.receivedAt = performance.now();
  render(agenda);
  tick();
}

function statusOf(agenda, seg) {
  if (seg.skipped) return 'skipped';
  if (agenda.current === seg.id) return 'live';
  if (agenda.next === seg.id) return 'next';
  return Date.parse(seg.end) <= Date.parse(agenda.now) ? 'done' : 'upcoming';
}

function render(a) {
  const start = a.starts_at;
  $('zone-note').textContent = `Times are in your time zone: ${fmt.zoneName(start)}, ${fmt.zone(start)} `
    + `(${fmt.timeZone})`;
  $('event-date').textContent = fmt.fullDate(start);
  say($('event-title'), titled(a.event, a.event.lang));
  const title = (seg) => titled(seg, a.event.lang);
  $('organisers').textContent = a.event.organisers?.length ? `Organised by ${a.event.organisers.join(' · ')}` : '';

  const current = a.segments.find((s) => s.id === a.current);
  const next = a.segments.find((s) => s.id === a.next);
  const late = a.delay >= 60 ? `Running about ${minutesText(a.delay)} late. ` : '';
  if (a.status === 'scheduled') {
    $('hero-h').textContent = 'Starts in';
    say($('hero-title'), { text: `Starts at ${fmt.label(start)}`, lang: 'en' });
    $('hero-detail').textContent = next ? `${late}First: ${title(next).text}` : late;
  } else if (a.status === 'live' && current) {
    $('hero-h').textContent = 'Now';
    say($('hero-title'), title(current));
    $('hero-detail').textContent = `${late}${next ? `Next: ${title(next).text} at ${fmt.label(next.start)}` : ''}`;
  } else if (a.status === 'live') {
    $('hero-h').textContent = 'Next';
    say($('hero-title'), next ? title(next) : { text: 'Starting soon', lang: 'en' });
    $('hero-detail').textContent = next ? `at ${fmt.label(next.start)}` : '';
  } else {
    $('hero-h').textContent = 'Finished';
    say($('hero-title'), { text: 'This event has ended. Thank you for joining.', lang: 'en' });
    $('hero-detail').textContent = '';
  }

  const rows = a.segments.map((s) => ({ ...s, status: statusOf(a, s) }));
  const signature = JSON.stringify(rows);
  if (signature === page.signature) return;
  page.signature = signature;
  const firstDay = fmt.day(start);
  const words = { live: 'NOW', next: 'NEXT', done: 'DONE', skipped: 'SKIPPED', upcoming: '' };
  $('segments').replaceChildren(...rows.map((s) => {
    const day = fmt.day(s.start) !== firstDay ? ` (${fmt.day(s.start)})` : '';
    const moved = s.start !== s.planned_start && !s.skipped;
    const people = [
      ...s.speakers.map((p) => h('li', {}, person(p))),
      s.moderators.length ? h('li', {}, h('span', { class: 'role' }, 'Moderators: '),
        s.moderators.map((p) => (p.organisation ? `${p.name} (${p.organisation})` : p.name)).join(', ')) : null,
      s.respondents ? h('li', { class: 'role' },
        `+ ${s.respondents.count} respondents × ${s.respondents.minutes} min`) : null,
    ].filter(Boolean);
    return h('li', { class: `item ${s.status}`, dataset: { segment: s.id } },
      h('div', { class: 'item-time' }, `${fmt.time(s.start)}–${fmt.time(s.end)}${day}`,
        moved ? h('span', { class: 'was' }, `planned ${fmt.time(s.planned_start)}`) : null),
      h('div', {},
        h('p', { class: 'item-title', lang: title(s).lang }, title(s).text,
          words[s.status] ? h('span', { class: `item-flag ${s.status}` }, words[s.status]) : null),
        people.length ? h('ul', { class: 'item-people' }, people) : null,
        s.description ? h('details', { class: 'item-desc' }, h('summary', {}, 'About this session'),
          s.description) : null));
  }));
}

function tick() {
  const a = page.agenda;
  if (!a) return;
  const since = (performance.now() - page.receivedAt) / 1000;
  const box = $('hero-countdown');
  let seconds = null;
  let words = '';
  if (a.status === 'scheduled') {
    seconds = a.starts_in - since;
    words = seconds > 0 ? 'to go' : 'starting now';
  } else if (a.status === 'live' && a.remaining !== null) {
    seconds = a.remaining - since;
    words = seconds > 0 ? 'left in this segment' : 'running a little over';
  }
  box.hidden = seconds === null;
  if (seconds !== null) {
    box.querySelector('.value').textContent = seconds > 0 ? longCountdownText(seconds) : countdownText(0);
    box.querySelector('.level-text').textContent = words;
  }
}

async function poll() {
  try {
    const res = await fetch(`${API}/agenda`, { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    apply(await res.json());
    showConnection($('conn'), 'live');
  } catch {
    showConnection($('conn'), 'reconnecting');
  }
}

function startPolling() {
  if (page.poller) return;
  page.stream?.close();
  poll();
  page.poller = setInterval(poll, POLL_MS);
}

if ('EventSource' in window) {
  page.stream = followStream(`${API}/stream`, 'agenda', {
    onData: (agenda) => apply(agenda),
    onStatus: (status) => showConnection($('conn'), status),
    onRefused: () => startPolling(), // e.g. 503 when the server has too many open streams
  });
  reopenWhenVisible(() => page.stream);
} else {
  startPolling();
}
setInterval(tick, 250);
// A script font (Thai, Khmer, ...) is fetched only when its text first shows; Chromium may keep the
// first row drawn as missing glyphs, so the list is drawn again once a font has loaded.
document.fonts?.addEventListener('loadingdone', () => {
  page.signature = '';
  if (page.agenda) render(page.agenda);
});
