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
// The page's own words in the viewer's locale, from the catalogs (issue 30); English where none is given.
const WORDS = JSON.parse(document.body.dataset.words || '{}');
const WORDS_LANG = WORDS.lang || 'en';
/** The word `key` (English `fallback` when the page was not given it), its {placeholders} filled in. */
function t(key, fallback, values = {}) {
  return (WORDS[key] ?? fallback).replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
}
/** Set `element`'s text to the page's own words, with their lang=. */
function word(element, text) {
  element.textContent = text;
  element.lang = WORDS_LANG;
}

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
  word($('zone-note'), t('zone_note', 'Times are in your time zone: {name}, {offset} ({zone})',
    { name: fmt.zoneName(start), offset: fmt.zone(start), zone: fmt.timeZone }));
  $('event-date').textContent = fmt.fullDate(start);
  say($('event-title'), titled(a.event, a.event.lang));
  const title = (seg) => titled(seg, a.event.lang);
  word($('organisers'), a.event.organisers?.length
    ? t('organised_by', 'Organised by {names}', { names: a.event.organisers.join(' · ') }) : '');

  const current = a.segments.find((s) => s.id === a.current);
  const next = a.segments.find((s) => s.id === a.next);
  const late = a.delay >= 60 ? `${t('late', 'Running about {minutes} late.', { minutes: minutesText(a.delay) })} ` : '';
  if (a.status === 'scheduled') {
    word($('hero-h'), t('starts_in', 'Starts in'));
    say($('hero-title'), { text: t('starts_at', 'Starts at {time}', { time: fmt.label(start) }), lang: WORDS_LANG });
    word($('hero-detail'), next ? `${late}${t('first', 'First: {title}', { title: title(next).text })}` : late);
  } else if (a.status === 'live' && current) {
    word($('hero-h'), t('now', 'Now'));
    say($('hero-title'), title(current));
    word($('hero-detail'), `${late}${next
      ? t('next_at', 'Next: {title} at {time}', { title: title(next).text, time: fmt.label(next.start) }) : ''}`);
  } else if (a.status === 'live') {
    word($('hero-h'), t('next', 'Next'));
    say($('hero-title'), next ? title(next) : { text: t('starting_soon', 'Starting soon'), lang: WORDS_LANG });
    word($('hero-detail'), next ? t('at', 'at {time}', { time: fmt.label(next.start) }) : '');
  } else {
    word($('hero-h'), t('finished', 'Finished'));
    say($('hero-title'), { text: t('ended', 'This event has ended. Thank you for joining.'), lang: WORDS_LANG });
    word($('hero-detail'), '');
  }

  const rows = a.segments.map((s) => ({ ...s, status: statusOf(a, s) }));
  const signature = JSON.stringify(rows);
  if (signature === page.signature) return;
  page.signature = signature;
  const firstDay = fmt.day(start);
  const words = { live: t('flag_live', 'NOW'), next: t('flag_next', 'NEXT'), done: t('flag_done', 'DONE'),
    skipped: t('flag_skipped', 'SKIPPED'), upcoming: '' };
  $('segments').replaceChildren(...rows.map((s) => {
    const day = fmt.day(s.start) !== firstDay ? ` (${fmt.day(s.start)})` : '';
    const moved = s.start !== s.planned_start && !s.skipped;
    const people = [
      ...s.speakers.map((p) => h('li', {}, person(p))),
      s.moderators.length ? h('li', {}, h('span', { class: 'role', lang: WORDS_LANG }, t('moderators', 'Moderators: ')),
        s.moderators.map((p) => (p.organisation ? `${p.name} (${p.organisation})` : p.name)).join(', ')) : null,
      s.respondents ? h('li', { class: 'role', lang: WORDS_LANG }, t('respondents', '+ {count} respondents × {minutes} min',
        { count: s.respondents.count, minutes: s.respondents.minutes })) : null,
    ].filter(Boolean);
    return h('li', { class: `item ${s.status}`, dataset: { segment: s.id } },
      h('div', { class: 'item-time' }, `${fmt.time(s.start)}–${fmt.time(s.end)}${day}`,
        moved ? h('span', { class: 'was', lang: WORDS_LANG },
          t('planned', 'planned {time}', { time: fmt.time(s.planned_start) })) : null),
      h('div', {},
        h('p', { class: 'item-title', lang: title(s).lang }, title(s).text,
          words[s.status] ? h('span', { class: `item-flag ${s.status}`, lang: WORDS_LANG }, words[s.status]) : null),
        people.length ? h('ul', { class: 'item-people' }, people) : null,
        s.description ? h('details', { class: 'item-desc' }, h('summary', { lang: WORDS_LANG }, t('about', 'About this session')),
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
    words = seconds > 0 ? t('to_go', 'to go') : t('starting_now', 'starting now');
  } else if (a.status === 'live' && a.remaining !== null) {
    seconds = a.remaining - since;
    words = seconds > 0 ? t('left', 'left in this segment') : t('over', 'running a little over');
  }
  box.hidden = seconds === null;
  if (seconds !== null) {
    box.querySelector('.value').textContent = seconds > 0 ? longCountdownText(seconds) : countdownText(0);
    word(box.querySelector('.level-text'), words);
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
