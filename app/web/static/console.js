// The host console: sign-in, the live stream, and the controls' wiring (see console-*.js for the parts).
import { followStream, reopenWhenVisible, showConnection } from './common.js';
import { $, ApiError, RANK, TOKEN_KEY, act, api, app, base, toast } from './console-core.js';
import { applyState, tick } from './console-live.js';
import { loadAttendance, loadCues, loadPlan, loadZoom } from './console-panels.js';
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
      if (resynced) resync();
      else if (stageChanged(state.reason)) loadStage();
    },
    onStatus: (status) => showConnection($('conn'), status),
    onRefused: () => checkToken(),
  });
  resync();
  app.polls.push(setInterval(loadAttendance, 10000), setInterval(loadCues, 30000), setInterval(loadZoom, 60000),
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
  loadStage();
}

// ---- wiring -----------------------------------------------------------------------------------

function wire() {
  app.onUnauthorized = signOut;
  $('signin-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('token-input').value.trim();
    if (token) signIn(token);
  });
  $('sign-out').addEventListener('click', () => signOut());
  $('btn-advance').addEventListener('click', (e) => act(e.currentTarget, 'advance', {}, (r) =>
    `Now: ${r.state.current?.title || 'the event has ended'}`));
  $('btn-hold').addEventListener('click', (e) => act(e.currentTarget, 'hold', {}, 'On hold: auto-advance paused'));
  $('btn-resume').addEventListener('click', (e) => act(e.currentTarget, 'resume', {}, 'Resumed'));
  $('btn-delay-1').addEventListener('click', (e) => act(e.currentTarget, 'delay', { minutes: 1 }, 'Delay +1 min'));
  $('btn-delay-5').addEventListener('click', (e) => act(e.currentTarget, 'delay', { minutes: 5 }, 'Delay +5 min'));
  $('btn-end').addEventListener('click', (e) => {
    if (window.confirm('End the event now? Every remaining cue is cancelled.')) {
      act(e.currentTarget, 'end', {}, 'The event has ended');
    }
  });
  $('jump-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const to = $('jump-select').value;
    if (to) act(e.submitter, 'advance', { to }, (r) => `Now: ${r.state.current?.title || to}`);
  });
  $('timer-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const minutes = Number($('timer-minutes').value);
    if (!(minutes > 0)) return toast('Give the timer a length in minutes', 'error');
    const label = $('timer-label').value.trim() || 'Timer';
    return act(e.submitter, 'timers', { label, seconds: Math.round(minutes * 60) }, `${label} started`);
  });
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
    if (result) $('announce-text').value = '';
  });
  wireStage();
  reopenWhenVisible(() => app.stream);
  setInterval(tick, 250);
}

wire();
if (app.token) signIn(app.token);
else $('token-input').focus();
