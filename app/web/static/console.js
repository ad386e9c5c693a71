// The host console: sign-in, the live stream, and the controls' wiring (see console-*.js for the parts).
import { followStream, h, reopenWhenVisible, showConnection } from './common.js';
import { $, ApiError, RANK, TOKEN_KEY, act, api, app, base, clearNotice, toast } from './console-core.js';
import { applyState, rate, tick, undoLeft } from './console-live.js';
import {
  loadAttendance, loadCues, loadPlan, loadZoom, renderAnnouncePreview, resetTargets,
} from './console-panels.js';
import { wireRundown } from './console-rundown.js';
import { loadZoomLive, wireZoom } from './console-zoom.js';
import { loadStage, stageChanged, wireStage } from './console-stage.js';

// ---- sign-in ----------------------------------------------------------------------------------

async function signIn(token) {
  app.token = token;
  $('signin-error').textContent = '';
  try {
    app.me = await api('/api/events/me');
  } catch (error) {
    if (error instanceof ApiError) {
      localStorage.removeItem(TOKEN_KEY);
      app.token = null;
      $('signin-error').textContent = error.status === 401
        ? 'That token is not valid (unknown or revoked).' : error.message;
    } else {
      $('signin-error').textContent = 'Cannot reach the Showcaller server; trying again…';
      setTimeout(() => { if (!app.me && app.token === token) signIn(token); }, 3000);
    }
    return;
  }
  localStorage.setItem(TOKEN_KEY, token);
  app.stream?.close(); // a second sign-in replaces the first, never doubles it
  app.polls.forEach(clearInterval);
  app.polls = [];
  const canControl = RANK[app.me.role] >= RANK.host;
  document.body.classList.remove('signed-out');
  document.body.classList.add('signed-in');
  document.body.classList.toggle('can-control', canControl);
  $('whoami').textContent = `${app.me.name} · ${app.me.role}${canControl ? '' : ' (read only)'}`;
  // A single-use ticket, never the token, goes in the stream's URL (URLs end up in logs).
  const streamUrl = async () => {
    const { ticket } = await api(`${base}/stream/ticket`, { method: 'POST' });
    return `${base}/stream?ticket=${encodeURIComponent(ticket)}`;
  };
  app.stream = followStream(streamUrl, 'state', {
    onData: (state, resynced) => {
      applyState(state);
      loadZoomLive(); // a Zoom action's cue fired or its delivery changed: the card may too
      if (resynced) resync();
      else if (stageChanged(state.reason)) loadStage();
    },
    onStatus: (status) => showConnection($('conn'), status),
    onRefused: () => checkToken(),
  });
  resync();
  app.polls.push(setInterval(loadAttendance, 10000), setInterval(loadCues, 30000), setInterval(loadZoom, 60000),
                 setInterval(loadZoomLive, 5000),
                 setInterval(loadStage, 30000));
}

/** When the stream is refused, find out whether the token was revoked (api() signs out on 401). */
async function checkToken() {
  try {
    await api('/api/events/me');
  } catch {
    // The server may simply be down; the stream keeps retrying.
  }
}

function signOut(message = '') {
  app.stream?.close();
  app.stream = null;
  app.polls.forEach(clearInterval);
  app.polls = [];
  app.me = null;
  app.token = null;
  app.state = null;
  app.signatures.clear();
  app.timerRows.forEach((row) => row.el.remove());
  app.timerRows.clear();
  app.undo = null;
  app.jumpFollows = undefined;
  $('undo-bar').hidden = true;
  clearNotice();
  if ($('confirm').open) $('confirm').close();
  localStorage.removeItem(TOKEN_KEY);
  document.body.classList.remove('signed-in', 'can-control');
  document.body.classList.add('signed-out');
  $('whoami').textContent = '';
  $('conn').hidden = true;
  $('signin-error').textContent = message;
  $('token-input').value = '';
  $('token-input').focus();
}

/** Reload what the state stream does not carry (after sign-in and after every reconnect). */
function resync() {
  loadPlan();
  loadCues();
  loadAttendance();
  loadZoom();
  loadZoomLive();
  loadStage();
}

// ---- confirmations -----------------------------------------------------------------------------

/**
 * Ask before acting, in a modal dialog. `details` may be a promise of nodes (the preview loads while
 * the dialog is open). Enter confirms, Esc cancels. Resolves true when confirmed.
 */
function confirmAction({ title, lead = '', details = null, ok = 'Confirm', danger = false }) {
  const dialog = $('confirm');
  if (dialog.open) return Promise.resolve(false);
  $('confirm-title').textContent = title;
  $('confirm-lead').textContent = lead;
  const body = $('confirm-body');
  body.replaceChildren();
  const okButton = $('confirm-ok');
  okButton.textContent = ok;
  okButton.className = danger ? 'danger-solid' : 'primary';
  if (details) {
    body.replaceChildren(h('p', { class: 'muted' }, 'Loading what will be posted…'));
    Promise.resolve(details).then((nodes) => {
      if (dialog.open) body.replaceChildren(...[nodes].flat());
    });
  }
  dialog.returnValue = '';
  dialog.showModal();
  okButton.focus();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

/** What a move does to the end of the event: "Projected end 17:30 → 17:12 (18 min earlier; ahead by 18 min)". */
function endEffect(end) {
  if (!end) return null;
  const f = app.fmt;
  const change = Math.round((end.change || 0) / 60);
  const moves = change === 0 ? 'unchanged' : `${Math.abs(change)} min ${change > 0 ? 'later' : 'earlier'}`;
  return h('p', { class: 'preview-end', dataset: { testid: 'confirm-end' } },
    `Projected end ${f.label(end.before)} → ${f.label(end.after)} (${moves}; then ${end.ahead_behind}, `
    + `${end.end_vs_plan} against the planned ${f.label(end.planned)}).`);
}

/** What an action would post now, and to whom (POST /preview: nothing is recorded). */
async function previewNodes(body) {
  try {
    const answer = await api(`${base}/preview`, { method: 'POST', body });
    const messages = answer?.messages || [];
    const end = endEffect(answer?.end);
    if (!messages.length) return [end, h('p', { class: 'muted' }, 'Nothing will be posted to any channel.')].filter(Boolean);
    return [end, h('p', {}, `Will post ${messages.length} message${messages.length > 1 ? 's' : ''}:`),
      h('ul', { class: 'preview-list', dataset: { testid: 'confirm-messages' } }, messages.map((m) => h('li',
        { class: 'preview-item', dataset: { cue: m.cue_id || '' } },
        h('span', { class: 'preview-text' }, m.text),
        h('span', { class: 'preview-target' }, `to ${(m.targets || []).join(', ') || 'no target'}`))))].filter(Boolean);
  } catch (error) {
    return h('p', { class: 'error-text' }, `Could not load the preview (${error.message}); the action can still be confirmed.`);
  }
}

// ---- actions ------------------------------------------------------------------------------------

const nowTitle = (r) => `Now: ${r.state.current?.title || 'the event has ended'}`;

/** Every move names the segment this console shows as current, so a move made elsewhere first is refused. */
function shownCurrent() {
  return app.state?.current?.id ?? null;
}

async function advance() {
  const button = $('btn-advance');
  if (button.disabled) return;
  if (app.state?.status === 'scheduled' && !(await confirmEarlyStart())) return;
  act(button, 'advance', { to: null, from: shownCurrent() }, nowTitle);
}

/** Next before the start begins the event early: a misclick days ahead must not start it unasked. */
function confirmEarlyStart() {
  const next = app.state.next;
  const planned = next ? `${app.fmt.day(next.start)} ${app.fmt.label(next.start)}` : 'later';
  return confirmAction({
    title: `Start the event now, before ${planned}?`,
    lead: `“${next?.title || 'The first segment'}” starts now and the agenda moves earlier. Undo takes it back while its bar shows.`,
    details: previewNodes({ action: 'advance' }),
    ok: 'Start now',
    danger: true,
  });
}

async function jump() {
  const button = $('btn-jump');
  const to = $('jump-select').value;
  if (!to || button.disabled) return;
  const from = shownCurrent();
  const title = app.state?.segments.find((seg) => seg.id === to)?.title || to;
  const currentTitle = app.state?.current?.title;
  const confirmed = await confirmAction({
    title: `Jump to ${title}?`,
    lead: currentTitle ? `“${currentTitle}” ends now.` : '',
    details: previewNodes({ action: 'jump', to }),
    ok: 'Jump',
  });
  if (confirmed) act(button, 'advance', { to, from }, (r) => `Now: ${r.state.current?.title || to}`);
}

async function end() {
  const button = $('btn-end');
  if (button.disabled) return;
  const confirmed = await confirmAction({
    title: 'End the event now?',
    lead: 'Every remaining cue is cancelled. Undo re-opens the event while its bar shows.',
    details: previewNodes({ action: 'end' }),
    ok: 'End the event',
    danger: true,
  });
  if (confirmed) act(button, 'end', {}, 'The event has ended');
}

function holdOrResume() {
  const button = app.state?.held ? $('btn-resume') : $('btn-hold');
  if (button.disabled) return;
  if (app.state?.held) act(button, 'resume', {}, 'Resumed');
  else act(button, 'hold', {}, 'On hold: auto-advance paused');
}

function undo() {
  const button = $('btn-undo');
  const pending = app.undo;
  if (!pending || button.disabled || undoLeft() <= 0) return;
  act(button, 'undo', { seq: pending.seq }, (r) => `Undone: ${pending.summary}${r.state.current
    ? ` · Now: ${r.state.current.title}` : ''}`);
}

async function askSignOut() {
  const confirmed = await confirmAction({
    title: 'Sign out of this console?',
    lead: 'The token is removed from this browser; you will need to paste it again to control the event.',
    ok: 'Sign out',
  });
  if (confirmed) signOut();
}

// ---- keyboard shortcuts ---------------------------------------------------------------------------

const SHORTCUTS = { n: advance, j: jump, e: end, h: holdOrResume, u: undo,
  '?': () => { $('shortcuts').open = true; $('shortcuts').scrollIntoView({ block: 'nearest' }); } };

/** Single keys act like their buttons, never while typing, in a dialog, with a modifier, or held down. */
function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || event.isComposing) return;
  if (!document.body.classList.contains('can-control') || $('confirm').open) return;
  const target = event.target;
  if (target instanceof Element && target.closest('input, textarea, select, [contenteditable]')) return;
  const action = SHORTCUTS[event.key.length === 1 ? event.key.toLowerCase() : ''];
  if (!action) return;
  event.preventDefault();
  action();
}

// ---- wiring -----------------------------------------------------------------------------------

function loop() {
  tick();
  // Faster frames when the server's clock runs fast, so a rehearsal's countdown moves smoothly.
  setTimeout(loop, Math.max(40, 250 / rate()));
}

function wire() {
  app.onUnauthorized = signOut;
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('token-input').value.trim();
    if (token) signIn(token);
  });
  $('sign-out').addEventListener('click', askSignOut);
  $('btn-advance').addEventListener('click', advance);
  $('btn-hold').addEventListener('click', holdOrResume);
  $('btn-resume').addEventListener('click', holdOrResume);
  $('btn-delay-1').addEventListener('click', (e) => act(e.currentTarget, 'delay', { minutes: 1 }, 'Delay +1 min'));
  $('btn-delay-5').addEventListener('click', (e) => act(e.currentTarget, 'delay', { minutes: 5 }, 'Delay +5 min'));
  $('btn-end').addEventListener('click', end);
  $('btn-undo').addEventListener('click', undo);
  $('notice-close').addEventListener('click', clearNotice);
  $('jump-form').addEventListener('submit', (e) => {
    e.preventDefault();
    jump();
  });
  $('jump-select').addEventListener('change', () => {
    $('btn-jump').dataset.off = $('jump-select').value ? '' : '1';
    app.lockControls();
  });
  $('timer-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const minutes = Number($('timer-minutes').value);
    if (!(minutes > 0)) return toast('Give the timer a length in minutes', 'error');
    const label = $('timer-label').value.trim() || 'Timer';
    return act(e.submitter, 'timers', { label, seconds: Math.round(minutes * 60) }, `${label} started`);
  });
  $('announce-text').addEventListener('input', renderAnnouncePreview);
  $('announce-targets').addEventListener('change', renderAnnouncePreview);
  $('announce-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const message = $('announce-text').value.trim();
    const targets = [...document.querySelectorAll('#announce-targets input:checked')].map((i) => i.value);
    if (!message) return;
    if (!targets.length) {
      toast('Tick at least one target', 'error');
      return;
    }
    const result = await act(e.submitter, 'announcements', { message, targets },
      `Announcement sent to ${targets.length} target${targets.length > 1 ? 's' : ''}`);
    if (result) {
      $('announce-text').value = '';
      resetTargets();
    }
  });
  wireStage();
  wireRundown(confirmAction);
  wireZoom(confirmAction);
  document.addEventListener('keydown', onKey);
  reopenWhenVisible(() => app.stream);
  loop();
}

wire();
if (app.token) signIn(app.token);
else $('token-input').focus();
