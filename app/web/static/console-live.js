// The console's live part: state from the stream rendered, countdowns ticking locally at the server's clock rate.
import { clockText, countdownText, h, minutesText, zoneFormat } from './common.js';
import { $, act, app, changed } from './console-core.js';
import { loadAttendance, loadCues } from './console-panels.js';
import { renderRundownChoices } from './console-rundown.js';
import { RAW_COUNTDOWN_SECONDS, startValue, startsInText, tabTitle } from './time-words.js';

export function applyState(state) {
  const before = app.state;
  app.state = state;
  app.receivedAt = performance.now();
  if (!app.fmt || app.fmt.timeZone !== state.event.timezone) app.fmt = zoneFormat(state.event.timezone);
  renderState(state);
  renderRundownChoices(state);
  tick();
  clearTimeout(app.cueReload);
  app.cueReload = setTimeout(loadCues, 400); // a change usually means new cues or deliveries
  // Readiness is about the next segment: check it again as soon as the show moves (and on the first
  // state: an answer that came before it had no time zone to show its times in).
  if (!before || before.current?.id !== state.current?.id || before.status !== state.status) loadAttendance();
}

function peopleLine(segment) {
  if (!segment) return '';
  const names = (list) => list.map((p) => (p.organisation ? `${p.name} (${p.organisation})` : p.name)).join(', ');
  const parts = [];
  if (segment.moderators?.length) parts.push(`Moderators: ${names(segment.moderators)}`);
  if (segment.speakers?.length) parts.push(`Speakers: ${names(segment.speakers)}`);
  if (segment.respondents) {
    parts.push(`${segment.respondents.count} respondents × ${clockText(segment.respondents.minutes * 60)}`);
  }
  return parts.join(' · ');
}

function rangeText(segment) {
  const f = app.fmt;
  let text = `${f.time(segment.start)}–${f.label(segment.end)}`;
  if (segment.start !== segment.planned_start || segment.end !== segment.planned_end) {
    text += ` (planned ${f.time(segment.planned_start)}–${f.time(segment.planned_end)})`;
  }
  return text;
}

/** "Mon 30 May " when the start is not today in the event's zone, else nothing. */
function startDay(s) {
  return app.fmt.day(s.next.start) === app.fmt.day(s.now) ? '' : `${app.fmt.day(s.next.start)} `;
}

function renderState(s) {
  const f = app.fmt;
  const status = $('run-status');
  status.textContent = s.held ? 'ON HOLD' : s.status.toUpperCase();
  status.className = `badge status-${s.held ? 'held' : s.status}`;

  const current = s.current;
  $('current-title').textContent = current ? current.title
    : s.status === 'ended' ? 'The event has ended' : 'Not started yet';
  $('current-times').textContent = current ? rangeText(current)
    : s.status === 'scheduled' && s.next ? `Starts ${startDay(s)}at ${f.label(s.next.start)}` : '';
  $('current-people').textContent = peopleLine(current);

  $('next-title').textContent = s.next ? s.next.title : 'Nothing after this';
  $('next-people').textContent = peopleLine(s.next);

  // The server words the early/late budget ("ahead by 12 min", "behind by 4 min"): one wording everywhere.
  const delay = s.delay || 0;
  const budget = s.ahead_behind || (Math.abs(delay) < 1 ? 'on time'
    : delay > 0 ? `behind by ${minutesText(delay)}` : `ahead by ${minutesText(delay)}`);
  $('delay').textContent = budget.charAt(0).toUpperCase() + budget.slice(1);
  $('delay').className = delay >= 60 ? 'late' : delay <= -60 ? 'early' : '';
  const over = s.overrun || 0;
  $('projected-end').textContent = f.label(s.projected_end)
    + (over >= 60 ? ` (${minutesText(over)} over)` : over <= -60 ? ` (${minutesText(over)} early)` : '');
  $('planned-end').textContent = f.label(s.planned_end);

  $('btn-hold').hidden = s.held;
  $('btn-resume').hidden = !s.held;
  $('btn-hold').dataset.off = current ? '' : '1';
  $('btn-advance').textContent = s.next ? `Next segment: ${s.next.title}`
    : s.status === 'ended' ? 'Next segment' : 'Finish the last segment';

  renderJump(s);
  renderRespondents(s);
  renderTimers(s);
  renderSegments(s);
  renderUndo(s);
  lockControls();
}

/**
 * The Jump list defaults to the next segment and follows the show: whenever the next segment changes,
 * the choice moves to it. A host's own choice stays only while the show has not moved.
 */
function renderJump(s) {
  // A segment run again appears twice in the timeline: offer it once, at its latest occurrence.
  const latest = new Map(s.segments.filter((seg) => !seg.skipped).map((seg) => [seg.id, seg]));
  const options = [...latest.values()].map((seg) => [seg.id, seg.title, seg.start]);
  const select = $('jump-select');
  const nextId = s.next?.id || '';
  const showMoved = app.jumpFollows !== nextId;
  app.jumpFollows = nextId;
  if (changed('jump', [options, s.current?.id || null])) {
    const previous = select.value;
    select.replaceChildren(
      h('option', { value: '', disabled: true }, 'Choose a segment…'),
      ...options.map(([id, title, start]) => h('option', { value: id },
        `${app.fmt.time(start)} ${title}${id === s.current?.id ? ' (now)' : ''}${id === nextId ? ' (next)' : ''}`)));
    select.value = !showMoved && options.some(([id]) => id === previous) ? previous : nextId;
  } else if (showMoved) {
    select.value = nextId;
  }
  $('btn-jump').dataset.off = select.value ? '' : '1';
}

function renderRespondents(s) {
  const groups = [s.current, s.next].filter((seg) => seg?.respondents).map((seg) => {
    const full = s.segments.find((x) => x.id === seg.id);
    const running = s.timers.filter((t) => t.segment === seg.id && t.slot).map((t) => t.slot);
    return { id: seg.id, title: seg.title, count: seg.respondents.count, minutes: seg.respondents.minutes,
             labels: full?.respondents?.labels || [], running };
  });
  if (!changed('respondents', groups)) return;
  $('respondent-buttons').replaceChildren(...groups.map((g) => h('div', { class: 'respondents' },
    h('p', { class: 'muted' }, `Respondents: ${g.title}`),
    h('div', { class: 'buttons' }, Array.from({ length: g.count }, (_, i) => {
      const slot = i + 1;
      const who = (g.labels[i] || 'to be invited').replace(/^respondent\s+/i, '');
      const label = `Respondent ${slot} (${who})`;
      const text = `${label} ${clockText(g.minutes * 60)}`;
      const button = h('button', { type: 'button', class: g.running.includes(slot) ? 'started' : '',
                                   title: g.running.includes(slot) ? 'A timer for this slot is running' : null },
        text);
      button.addEventListener('click', () => act(button, 'timers',
        { segment: g.id, slot, label, keep: $('respondent-keep').checked }, `${label} started`));
      return button;
    })))));
}

function makeTimerRow(timer) {
  const label = h('span', { class: 'timer-label' });
  const status = h('span', { class: 'timer-status' });
  const value = h('span', { class: 'value' });
  const levelText = h('span', { class: 'level-text' });
  const countdown = h('div', { class: 'countdown small lvl-ok' }, value, levelText);
  const pause = h('button', { type: 'button' }, 'Pause');
  const resume = h('button', { type: 'button' }, 'Resume');
  const add = h('button', { type: 'button' }, '+30 s');
  const stop = h('button', { type: 'button', class: 'danger-button' }, 'Stop');
  const path = (what) => `timers/${encodeURIComponent(timer.id)}/${what}`;
  pause.addEventListener('click', () => act(pause, path('pause')));
  resume.addEventListener('click', () => act(resume, path('resume')));
  add.addEventListener('click', () => act(add, path('add'), { seconds: 30 }));
  stop.addEventListener('click', () => act(stop, path('stop')));
  const el = h('li', { class: 'timer', dataset: { timer: timer.id } },
    h('div', { class: 'timer-head' }, label, status), countdown,
    h('div', { class: 'buttons host-only' }, pause, resume, add, stop));
  const row = {
    el, timer, countdown, value, levelText,
    update(next) {
      row.timer = next;
      label.textContent = next.label;
      status.textContent = next.status === 'paused' ? 'PAUSED' : '';
      pause.hidden = next.status !== 'running';
      resume.hidden = next.status !== 'paused';
      for (const [button, verb] of [[pause, 'Pause'], [resume, 'Resume'], [add, '+30 s: add 30 seconds to'],
        [stop, 'Stop']]) button.setAttribute('aria-label', `${verb} ${next.label}`);
    },
  };
  return row;
}

function renderTimers(s) {
  const seen = new Set();
  for (const timer of s.timers) {
    seen.add(timer.id);
    let row = app.timerRows.get(timer.id);
    if (!row) {
      row = makeTimerRow(timer);
      app.timerRows.set(timer.id, row);
      $('timers').append(row.el);
    }
    row.update(timer);
  }
  for (const [id, row] of app.timerRows) {
    if (!seen.has(id)) {
      row.el.remove();
      app.timerRows.delete(id);
    }
  }
  $('no-timers').hidden = s.timers.length > 0;
}

function renderSegments(s) {
  const now = Date.parse(s.now);
  const rows = s.segments.map((seg) => {
    let status = seg.skipped ? 'skipped' : Date.parse(seg.end) <= now ? 'done' : 'upcoming';
    if (s.current?.id === seg.id) status = 'live';
    else if (s.next?.id === seg.id) status = 'next';
    return { id: seg.id, title: seg.title, start: seg.start, end: seg.end, status };
  });
  if (!changed('segments', rows)) return;
  const words = { live: 'NOW', next: 'NEXT', done: 'done', skipped: 'skipped', upcoming: '' };
  $('segments').replaceChildren(...rows.map((seg) => h('li', { class: `segment ${seg.status}` },
    h('span', { class: 'seg-time' }, `${app.fmt.time(seg.start)}–${app.fmt.time(seg.end)}`),
    h('span', { class: 'seg-title' }, seg.title),
    h('span', { class: 'seg-status' }, words[seg.status]))));
  $('agenda-h').textContent = `Agenda (times in ${app.fmt.zone(s.now)}, ${s.event.timezone})`;
}

// ---- controls that the state allows ------------------------------------------------------------

const CONTROLS = ['#controls-card button:not(#notice-close)', '#controls-card select', '#respondent-buttons button',
  '#timers .buttons button', '#timer-form input', '#timer-form button', '#announce-form textarea',
  '#announce-form input', '#announce-form button', '#btn-undo', '#rundown-form select', '#rundown-form input',
  '#rundown-form button'].join(', ');

/**
 * Enable what the state allows: after the end every control is off except Undo (within its window);
 * a button whose request is in flight stays off (no double advance).
 */
export function lockControls() {
  const ended = app.state?.status === 'ended';
  document.body.classList.toggle('ended', ended);
  $('ended-note').hidden = !ended;
  for (const el of document.querySelectorAll(CONTROLS)) {
    el.disabled = Boolean(el.dataset.busy) || el.dataset.off === '1' || (ended && el.id !== 'btn-undo');
  }
}

// ---- the undo bar ------------------------------------------------------------------------------

function renderUndo(s) {
  const undo = s.undo || null;
  app.undo = undo;
  if (!undo) {
    $('undo-bar').hidden = true;
    return;
  }
  const who = undo.actor ? ` · by ${undo.actor}` : '';
  $('undo-text').textContent = `${undo.summary}${who}`;
  $('btn-undo').setAttribute('aria-label', `Undo ${undo.summary}`);
}

/** Real seconds left to undo (the window is on the server's clock, which may run at N x in a rehearsal). */
export function undoLeft() {
  const s = app.state;
  if (!s || !app.undo) return 0;
  return (Date.parse(app.undo.until) - eventNowMs()) / 1000 / rate();
}

// ---- the local countdown (from the last state, at the server's clock rate) -------------------------

/** Event seconds per real second: 1 normally, N in a rehearsal at N x. */
export function rate() {
  const r = Number(app.state?.clock_rate);
  return Number.isFinite(r) && r > 0 ? r : 1;
}

/** Event seconds since the last state arrived. */
function sinceState() {
  return ((performance.now() - app.receivedAt) / 1000) * rate();
}

function eventNowMs() {
  return Date.parse(app.state.now) + sinceState() * 1000;
}

/** Before the start: the raw countdown only in the last hour, "8 days" before that (time-words.js). */
function showBeforeStart(el, seconds) {
  setCountdown(el, seconds, 'ok', 'TO START');
  if (seconds > RAW_COUNTDOWN_SECONDS) el.querySelector('.value').textContent = startValue(seconds);
}

function nextTimesText(s, since, nowMs) {
  if (!s.next) return '';
  const seconds = s.next.starts_in - since;
  if (seconds > RAW_COUNTDOWN_SECONDS) return startsInText(seconds, s.next.start, app.fmt, nowMs);
  return `at ${app.fmt.label(s.next.start)} · in ${countdownText(seconds)}`;
}

/** "4:59 · Session 1 — Showcaller" while a segment runs; the page's own title otherwise. */
function consoleTabTitle(s, since) {
  app.pageTitle ??= document.title;
  if (!s.current || s.remaining === null) return app.pageTitle;
  return tabTitle(s.remaining - since, s.current.title, app.pageTitle);
}

function setCountdown(el, remaining, level, words) {
  el.className = `${el.className.replace(/\blvl-\w+/g, '').trim()} lvl-${level}`;
  el.dataset.level = level;
  el.querySelector('.value').textContent = remaining === null ? '--:--' : countdownText(remaining);
  el.querySelector('.level-text').textContent = words;
}

function timerLevel(remaining, thresholds) {
  if (remaining <= 0) return 'over';
  if (remaining <= thresholds.danger) return 'danger';
  return remaining <= thresholds.warning ? 'warning' : 'ok';
}

const LEVEL_WORDS = { ok: '', warning: 'WARNING', danger: 'DANGER', over: 'OVER' };

/** The timer shown beside the main countdown: a respondent's in this segment first. */
function mainTimer(s) {
  const live = s.timers.filter((t) => t.status !== 'stopped');
  const running = live.filter((t) => t.status === 'running');
  return running.find((t) => t.slot && t.segment === s.current?.id) || running.find((t) => t.slot)
    || running[0] || live[0] || null;
}

function timerRemaining(t, since) {
  return t.status === 'running' ? t.remaining - since : t.remaining;
}

export function tick() {
  const s = app.state;
  if (!s) {
    if (app.pageTitle) document.title = app.pageTitle; // signed out: no countdown in the tab
    return;
  }
  const since = sinceState();
  const nowMs = eventNowMs();
  $('clock').textContent = `${app.fmt.seconds(nowMs)} ${app.fmt.zone(nowMs)}`; // seconds: cues fire on them

  const segmentBox = $('segment-countdown');
  if (s.current && s.remaining !== null) {
    const remaining = s.remaining - since;
    const level = remaining <= 0 ? 'over' : remaining <= s.thresholds.ending_soon ? 'warning' : 'ok';
    const words = { ok: s.held ? 'ON HOLD' : '', warning: 'ENDING SOON', over: 'OVER' }[level];
    setCountdown(segmentBox, remaining, level, words);
    const total = (s.elapsed || 0) + s.remaining;
    $('progress-bar').style.width = `${total > 0 ? Math.min(100, (100 * ((s.elapsed || 0) + since)) / total) : 0}%`;
  } else if (s.status === 'scheduled' && s.next) {
    showBeforeStart(segmentBox, s.next.starts_in - since);
    $('progress-bar').style.width = '0%';
  } else {
    setCountdown(segmentBox, null, 'ok', s.status === 'ended' ? 'ENDED' : '');
  }

  $('next-times').textContent = nextTimesText(s, since, nowMs);
  document.title = consoleTabTitle(s, since);

  for (const row of app.timerRows.values()) {
    const remaining = timerRemaining(row.timer, since);
    const level = timerLevel(remaining, s.thresholds);
    setCountdown(row.countdown, remaining, level, LEVEL_WORDS[level]);
    row.el.dataset.level = level;
  }

  const main = mainTimer(s);
  const box = $('now-timer');
  box.hidden = !main;
  if (main) {
    const remaining = timerRemaining(main, since);
    const level = timerLevel(remaining, s.thresholds);
    box.querySelector('.timer-label').textContent = main.label + (main.status === 'paused' ? ' · PAUSED' : '');
    setCountdown(box.querySelector('.countdown'), remaining, level, LEVEL_WORDS[level]);
    box.dataset.level = level;
  }

  const left = undoLeft();
  const bar = $('undo-bar');
  bar.hidden = !app.undo || left <= 0;
  document.body.classList.toggle('has-undo', !bar.hidden);
  if (!bar.hidden) $('undo-left').textContent = clockText(Math.ceil(left));
}


app.applyState = applyState;
app.lockControls = lockControls;
