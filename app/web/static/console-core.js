// Console plumbing shared by its modules: state, authenticated API calls, feedback.
export const EVENT = document.body.dataset.event;
export const TOKEN_KEY = 'showcaller.token';
// Roles (with their rank) and the failed delivery statuses come from the server, which spells them
// once (app/core/vocabulary.py) and writes them into the page.
export const RANK = JSON.parse(document.body.dataset.roleRank);
export const FAILED = new Set(JSON.parse(document.body.dataset.failedStatuses));
export const $ = (id) => document.getElementById(id);
export const base = `/api/events/${encodeURIComponent(EVENT)}`;

export const app = {
  token: localStorage.getItem(TOKEN_KEY),
  me: null,
  state: null,
  receivedAt: 0, // performance.now() when `state` arrived: countdowns run from there
  fmt: null,
  stream: null,
  polls: [],
  signatures: new Map(),
  timerRows: new Map(),
  cueReload: null,
  onUnauthorized: () => {}, // set by console.js: sign out
  applyState: () => {}, // set by console-live.js
  lockControls: () => {}, // set by console-live.js: enable what the state allows
};

export class ApiError extends Error {
  constructor(status, reason, data = null) {
    super(reason);
    this.status = status;
    this.data = data; // the whole JSON answer (a refused move carries the live `state`)
  }
}

/** One key per user action: the server answers a retry with the first answer instead of acting twice. */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // randomUUID needs a secure context; getRandomValues does not.
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export async function api(path, { method = 'GET', body, key } = {}) {
  const headers = { Authorization: `Bearer ${app.token}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (key) headers['Idempotency-Key'] = key;
  const res = await fetch(path, { method, headers, cache: 'no-store',
                                  body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 401 && app.me) app.onUnauthorized('Your token is no longer valid: sign in again.');
    throw new ApiError(res.status, data?.reason || `HTTP ${res.status}`, data);
  }
  return data;
}

const RETRY_STATUS = new Set([502, 503, 504]);
const RETRY_PAUSES_MS = [500, 1500];

/** POST a host action; a lost connection or a gateway error is retried with the same Idempotency-Key. */
export async function post(path, body, key = newKey()) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await api(path, { method: 'POST', body, key });
    } catch (error) {
      const retryable = !(error instanceof ApiError) || RETRY_STATUS.has(error.status);
      if (!retryable || attempt >= RETRY_PAUSES_MS.length) throw error;
      await new Promise((resolve) => { setTimeout(resolve, RETRY_PAUSES_MS[attempt]); });
    }
  }
}

// ---- feedback ---------------------------------------------------------------------------------

let toastTimer = null;
export function toast(message, kind = 'info') {
  const el = $('toast');
  el.textContent = message;
  el.className = `toast show ${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = 'toast'; }, kind === 'error' ? 8000 : 3500);
}

/** Show why the server refused an action, with the state it holds now (inline, not a dialog). */
export function showNotice(reason, state) {
  $('notice-reason').textContent = `Not done: ${reason}`;
  const now = state?.current ? `Now: ${state.current.title}` : state?.status === 'ended' ? 'The event has ended'
    : state ? 'Not started yet' : '';
  const next = state?.next ? ` · Next: ${state.next.title}` : '';
  $('notice-state').textContent = now ? `${now}${next}` : '';
  $('notice').hidden = false;
  // A shortcut may have been pressed with the Controls card out of view: bring the note in.
  const box = $('notice').getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) $('notice').scrollIntoView({ block: 'nearest' });
}

export function clearNotice() {
  $('notice').hidden = true;
}

/**
 * Run a host action from a button: disabled while in flight (no double advance), state applied at once.
 * A 409 that carries the live state (someone else moved the show first) is shown inline with that state.
 */
export async function act(button, path, body = {}, done = null) {
  if (button) {
    button.disabled = true;
    button.dataset.busy = '1';
  }
  try {
    const result = await post(`${base}/${path}`, body);
    clearNotice();
    if (result?.state) app.applyState(result.state);
    if (done) toast(typeof done === 'function' ? done(result) : done);
    return result;
  } catch (error) {
    if (error instanceof ApiError && error.status === 409 && error.data?.state) {
      app.applyState(error.data.state);
      showNotice(error.message, error.data.state);
    } else {
      toast(error instanceof ApiError ? error.message : 'Cannot reach the Showcaller server', 'error');
    }
    return null;
  } finally {
    if (button) delete button.dataset.busy;
    app.lockControls();
  }
}

/** Re-render a part only when its data changed, so buttons are not replaced under the pointer. */
export function changed(key, value) {
  const sig = JSON.stringify(value);
  if (app.signatures.get(key) === sig) return false;
  app.signatures.set(key, sig);
  return true;
}

