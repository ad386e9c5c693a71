// The console's Stage card: show or clear a message on the presenter view, presenter links, who is connected.
import { h } from './common.js';
import { $, RANK, act, api, app, base, changed, toast } from './console-core.js';

let presetsShown = '';

function renderMessage(message) {
  const shown = $('stage-shown');
  shown.classList.toggle('on', Boolean(message));
  if (!message) {
    shown.textContent = 'No message on the presenter view.';
    return;
  }
  const lasts = message.until_cleared ? 'until cleared'
    : message.until && app.fmt ? `until ${app.fmt.label(message.until)}` : '';
  const extras = [message.flash && 'flash', message.blackout && 'blackout', lasts].filter(Boolean);
  shown.textContent = `On stage now: “${message.text}”${extras.length ? ` (${extras.join(', ')})` : ''}`;
}

function renderPresets(presets) {
  const key = JSON.stringify(presets);
  if (key === presetsShown) return;
  presetsShown = key;
  $('stage-presets').replaceChildren(...presets.map((text) => h('button', {
    type: 'button',
    'aria-label': `Use the preset: ${text}`,
    onclick: () => {
      $('stage-text').value = text;
      $('stage-text').focus();
    },
  }, text)));
}

async function copy(link, name) {
  try {
    await navigator.clipboard.writeText(link);
    toast(`Presenter link of ${name} copied`);
  } catch {
    window.prompt(`Presenter link of ${name}`, link);
  }
}

// Links are stored hashed, so the server shows each one once, in the answer that made it: this page
// keeps those until it is reloaded, to copy them; after that an organiser issues a new one.
const fresh = new Map();

function keepFresh(made) {
  for (const m of [made].flat()) if (m?.link) fresh.set(m.person, m.link);
}

async function rotate(button, p) {
  if (!window.confirm(`Make a new presenter link for ${p.name}? Their current link stops working.`)) return;
  const made = await act(button, `stage/links/${encodeURIComponent(p.person)}/rotate`, {},
    `New presenter link of ${p.name}: copy it now, it is shown only once`);
  if (made) {
    keepFresh(made);
    changed('stage-panel', null);
    loadStage();
  }
}

function personRow(p, fmt) {
  const status = p.connected
    ? h('span', { class: 'live' }, `CONNECTED${fmt ? ` since ${fmt.time(p.since)}` : ''}`)
    : h('span', { class: 'away' }, p.has_link ? 'not connected' : 'no link yet');
  const link = p.has_link ? fresh.get(p.person) : null;
  const tools = [];
  if (link) {
    tools.push(h('button', { type: 'button', 'aria-label': `Copy link to the presenter view of ${p.name}`,
                             onclick: () => copy(link, p.name) }, 'Copy link'));
  }
  if (p.has_link && RANK[app.me.role] >= RANK.organiser) {
    tools.push(h('button', { type: 'button', 'aria-label': `New link to the presenter view of ${p.name}`,
                             onclick: (e) => rotate(e.currentTarget, p) }, 'New link'));
  }
  return h('li', { class: 'stage-person', dataset: { person: p.person } },
    h('span', { class: 'who' }, p.name), status, ...tools);
}

/** Reload the card (after sign-in, on a stage change in the stream, and every 30 s). */
export async function loadStage() {
  if (!app.me) return;
  let panel;
  try {
    panel = await api(`${base}/stage/panel`);
  } catch {
    return; // the stream's reconnect brings the card back
  }
  if (!changed('stage-panel', panel)) return;
  renderMessage(panel.message);
  renderPresets(panel.presets);
  const open = panel.people.filter((p) => p.connected).length + panel.others.length;
  $('stage-connected').textContent = `${open} connected`;
  $('stage-people').replaceChildren(...panel.people.map((p) => personRow(p, app.fmt)));
  $('stage-others').textContent = panel.others.length
    ? `Also open: ${panel.others.map((o) => o.name).join(', ')}` : '';
  $('stage-make-links').hidden = !panel.people.some((p) => !p.has_link);
}

export function wireStage() {
  $('stage-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const message = $('stage-text').value.trim();
    if (!message) return;
    const body = {
      message,
      flash: $('stage-flash').checked,
      blackout: $('stage-blackout').checked,
      until_cleared: $('stage-until-cleared').checked,
    };
    const result = await act(e.submitter, 'stage', body, 'Shown on the presenter view');
    if (result) {
      $('stage-text').value = '';
      loadStage();
    }
  });
  $('stage-clear').addEventListener('click', async (e) => {
    if (await act(e.currentTarget, 'stage/clear', {}, 'Presenter view cleared')) loadStage();
  });
  $('stage-make-links').addEventListener('click', async (e) => {
    const made = await act(e.currentTarget, 'stage/links', {},
      'Presenter links made: copy them now, each is shown only once');
    if (made) {
      keepFresh(made);
      changed('stage-panel', null);
      loadStage();
    }
  });
}

/** The state stream names what changed: stage actions and presenter views coming and going. */
export function stageChanged(reason) {
  // A cue (a segment starting or ending) may take a message off the stage by itself.
  return typeof reason === 'string' && (reason.startsWith('stage') || reason === 'undo' || reason === 'cue');
}
