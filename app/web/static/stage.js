// The presenter view: the running timer (or the segment countdown) as large as the screen allows,
// the next segment, and messages from the hosts. Read-only; opened by a stage link.
import { countdownText, followStream, reopenWhenVisible, showConnection, zoneFormat } from './common.js';
import { startValue, tabTitle } from './time-words.js';

const EVENT = document.body.dataset.event;
const PERSON = new URLSearchParams(location.search).get('person');
const TOKEN_KEY = `showcaller.stage.${EVENT}`;
const $ = (id) => document.getElementById(id);

// The page's words in its reader's locale (the person of the presenter link: issue 30), from the
// catalogs; English where the page was given none.
const GIVEN = JSON.parse(document.body.dataset.words || '{}');
const t = (key, english) => GIVEN[key] ?? english;
// A catalog message with its {placeholders} filled in (a value is never read as a pattern).
const fill = (message, values) =>
  message.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
const TIMER_WORDS = { ok: '', warning: t('warning', 'WARNING'), danger: t('danger', 'DANGER'),
  over: t('time_up', 'TIME UP') };
const SEGMENT_WORDS = { ok: '', warning: t('ending_soon', 'ENDING SOON'), danger: t('ending_soon', 'ENDING SOON'),
  over: t('over', 'OVER'), held: t('on_hold', 'ON HOLD') };

let frame = null; // the last presenter JSON
let receivedAt = 0; // performance.now() when it came
let lastMessageSeq = null;
let pageTitle = null; // the page's own title, shown when no segment counts down

/** The stage link's token: taken from the link's #token=, then kept for this tab only and wiped from the
 * address bar (a shared screen must never show it). */
function stageToken() {
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromLink) {
    sessionStorage.setItem(TOKEN_KEY, fromLink);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** The one place the stream authenticates (EventSource cannot send an Authorization header). */
async function streamUrl(token) {
  // A single-use ticket, never the token, goes in the URL (URLs end up in logs and proxies).
  const answer = await fetch(`/api/events/${encodeURIComponent(EVENT)}/stream/ticket`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!answer.ok) throw new Error(`stream ticket refused: HTTP ${answer.status}`);
  const { ticket } = await answer.json();
  const params = new URLSearchParams({ ticket });
  if (PERSON) params.set('person', PERSON);
  return `/api/events/${encodeURIComponent(EVENT)}/stage/stream?${params}`;
}

function timerLevel(remaining, thresholds) {
  if (remaining <= 0) return 'over';
  if (remaining <= thresholds.danger) return 'danger';
  return remaining <= thresholds.warning ? 'warning' : 'ok';
}

function segmentLevel(remaining, thresholds) {
  if (remaining <= 0) return 'over';
  return remaining <= thresholds.ending_soon ? 'warning' : 'ok';
}

// The countdown in its reader's native digits (Khmer, Lao, Myanmar, Thai) when asked: the ten
// digits come from the page (data-digits); ASCII when it has none.
const NATIVE = [...(document.body.dataset.digits || '')];
function nativeDigits(text) {
  return NATIVE.length === 10 ? text.replace(/[0-9]/g, (d) => NATIVE[Number(d)]) : text;
}

/** Seconds since the last frame; countdowns run in the browser between frames, never by polling. */
function sinceFrame() {
  return (performance.now() - receivedAt) / 1000;
}

function renderClock() {
  if (!frame) return;
  // A message that goes by itself (its segment ended, or it expired) goes on time between frames.
  const going = frame.message?.goes_in;
  if (going !== null && going !== undefined && sinceFrame() >= going && !$('message').hidden) renderMessage(null);
  const stage = $('stage');
  const digits = $('digits');
  let text = '--:--';
  let level = 'idle';
  let word = '';
  let label = '';
  const { timer, current, thresholds } = frame;
  if (timer) {
    const remaining = timer.status === 'running' ? timer.remaining - sinceFrame() : timer.remaining;
    text = countdownText(remaining);
    level = timerLevel(remaining, thresholds);
    word = timer.status === 'paused' ? t('paused', 'PAUSED') : TIMER_WORDS[level];
    label = timer.label;
  } else if (current) {
    const remaining = frame.held ? current.remaining : current.remaining - sinceFrame();
    text = countdownText(remaining);
    level = frame.held ? 'ok' : segmentLevel(remaining, thresholds);
    word = frame.held ? SEGMENT_WORDS.held : SEGMENT_WORDS[level];
    label = t('time_left', 'Time left in this segment');
  } else if (frame.status === 'scheduled' && frame.next) {
    text = startValue(frame.next.starts_in - sinceFrame()); // "8 days" until the last hour
    level = 'ok';
    label = t('starts_in', 'Starts in');
  } else if (frame.status === 'ended') {
    text = t('end', 'END');
    label = t('ended', 'The event has ended');
  }
  text = nativeDigits(text);
  if (digits.textContent !== text) digits.textContent = text;
  digits.toggleAttribute('data-long', text.length > 6);
  stage.dataset.level = level;
  $('level-word').textContent = word;
  $('clock-label').textContent = label;
  renderYou();
  renderTabTitle();
}

/** The segment's time left in the tab's title, as on the console: "4:59 · Session 1 — Showcaller". */
function renderTabTitle() {
  pageTitle ??= document.title;
  const { current } = frame;
  const remaining = current ? current.remaining - (frame.held ? 0 : sinceFrame()) : null;
  const title = tabTitle(remaining, current?.title, pageTitle);
  if (document.title !== title) document.title = title;
}

function renderYou() {
  const you = $('you');
  const person = frame.person;
  if (!person) {
    you.hidden = true;
    return;
  }
  const slot = person.next_slot;
  const zone = zoneFormat(person.timezone);
  you.hidden = false;
  if (!slot) {
    you.textContent = fill(t('no_more_slots', '{name}: no more slots today'), { name: person.name });
  } else {
    const part = slot.role === 'respondent'
      ? fill(t('respondent_number', 'Respondent {number}'), { number: slot.number ?? '' }).trim()
      : t(`role_${slot.role}`, slot.role);
    const startsIn = slot.starts_in - sinceFrame();
    const when = startsIn > 0
      ? fill(t('in', 'in {countdown}'), { countdown: countdownText(startsIn) })
      : t('now', 'now');
    you.textContent = fill(t('your_slot', '{name}, your slot ({part}): {time}, {when}'),
      { name: person.name, part, time: zone.label(slot.start), when });
  }
}

function renderFrame() {
  const zone = zoneFormat(frame.event.timezone);
  $('segment-title').textContent = frame.current ? frame.current.title : frame.event.title;
  $('next').textContent = frame.next
    ? t('next', 'Next: {title} · {time}').replace('{title}', () => frame.next.title)
      .replace('{time}', () => zone.label(frame.next.start))
    : '';
  renderMessage(frame.message);
  renderClock();
}

function renderMessage(message) {
  const box = $('message');
  document.body.classList.toggle('blackout', Boolean(message?.blackout));
  if (!message) {
    box.hidden = true;
    box.classList.remove('flash');
    lastMessageSeq = null;
    return;
  }
  $('message-text').textContent = message.text;
  box.toggleAttribute('data-long', message.text.length > 60); // set smaller: the timer keeps its room
  box.hidden = false;
  if (message.seq !== lastMessageSeq) {
    lastMessageSeq = message.seq;
    box.classList.remove('flash');
    if (message.flash) {
      void box.offsetWidth; // restart the animation for a new message
      box.classList.add('flash');
    }
  }
}

function notice(text) {
  const box = $('notice');
  box.textContent = text;
  box.hidden = !text;
}

async function explainRefusal(token) {
  // EventSource hides the status; ask the same endpoint once to say why.
  try {
    const answer = await fetch(`/api/events/${encodeURIComponent(EVENT)}/stage`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (answer.status === 401 || answer.status === 403) {
      notice('This presenter link no longer works. Ask the host for a new one.');
    }
  } catch {
    /* offline: keep retrying quietly */
  }
}

function keepAwake() {
  // Phones and laptops must not dim while someone speaks.
  const ask = () => navigator.wakeLock?.request('screen').catch(() => {});
  ask();
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) ask();
  });
}

function start() {
  const token = stageToken();
  if (!token) {
    notice('This page needs a presenter link. Ask the host for yours.');
    return;
  }
  $('fullscreen').addEventListener('click', () => document.documentElement.requestFullscreen?.().catch(() => {}));
  const stream = followStream(() => streamUrl(token), 'stage', {
    onData(data) {
      frame = data;
      receivedAt = performance.now();
      notice('');
      renderFrame();
    },
    onStatus: (status) => showConnection($('conn'), status),
    onRefused: () => explainRefusal(token),
  });
  reopenWhenVisible(() => stream);
  keepAwake();
  setInterval(renderClock, 250);
}

start();
