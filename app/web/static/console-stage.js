// The console's Stage card: show or clear a message on the presenter view, presenter links, who is connected.
import { h } from './common.js';
import { $, act, api, app, base, changed, toast } from './console-core.js';

let presetsShown = '';

function renderMessage(message) {
  const shown = $('stage-shown');
  shown.classList.toggle('on', Boolean(message));
  if (!message) {
    shown.textContent = 'No message on the presenter view.';
    return;
  }
  const extras = [message.flash && 'flash', message.blackout && 'blackout'].filter(Boolean);
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

function personRow(p, fmt) {
  const status = p.connected
    ? h('span', { class: 'live' }, `CONNECTED${fmt ? ` since ${fmt.time(p.since)}` : ''}`)
    : h('span', { class: 'away' }, p.has_link ? 'not connected' : 'no link yet');
  const tools = p.link ? [
    h('button', { type: 'button', 'aria-label': `Copy link to the presenter view of ${p.name}`,
                  onclick: () => copy(p.link, p.name) }, 'Copy link'),
  ] : [];
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
    const body = { message, flash: $('stage-flash').checked, blackout: $('stage-blackout').checked };
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
    if (await act(e.currentTarget, 'stage/links', {}, 'Presenter links made')) loadStage();
  });
}

/** The state stream names what changed: stage actions and presenter views coming and going. */
export function stageChanged(reason) {
  return typeof reason === 'string' && (reason.startsWith('stage') || reason === 'undo');
}
