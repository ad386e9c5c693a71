// The console's rundown editor: insert a break or a session before/after an upcoming segment, change its
// length or title, move it or remove it; each asks first, showing the new running order and the effect
// on the projected end. (Speakers of a segment change over the API and the CLI: `rundown amend`.)
import { h, minutesText } from './common.js';
import { $, ApiError, act, api, app, base, changed } from './console-core.js';

const EDITS = {
  'insert-before': { label: 'Insert a break before it', minutes: true },
  'insert-after': { label: 'Insert a break after it', minutes: true },
  'insert-session-before': { label: 'Insert a session before it', minutes: true, title: true },
  'insert-session-after': { label: 'Insert a session after it', minutes: true, title: true },
  retime: { label: 'Change its length', minutes: true },
  rename: { label: 'Change its title', title: true },
  'move-before': { label: 'Move it before…', anchor: true },
  'move-after': { label: 'Move it after…', anchor: true },
  remove: { label: 'Remove it' },
};

/** Upcoming segments (not the current one, not started, not skipped), in running order. */
function upcoming(s) {
  const now = Date.parse(s.now);
  const at = s.segments.findIndex((seg) => seg.id === s.current?.id);
  return s.segments.filter((seg, k) => !seg.skipped && Date.parse(seg.start) > now && k > at);
}

/** Refill the two segment lists when the running order changes (keeping what the host chose). */
export function renderRundownChoices(s) {
  if (!app.fmt) return;
  const rows = upcoming(s).map((seg) => [seg.id, seg.title, seg.start]);
  if (!changed('rundown', rows)) return;
  for (const id of ['rundown-segment', 'rundown-anchor']) {
    const select = $(id);
    const previous = select.value;
    select.replaceChildren(...rows.map(([value, title, start]) => h('option', { value },
      `${app.fmt.time(start)} ${title}`)));
    if (rows.some(([value]) => value === previous)) select.value = previous;
  }
  $('rundown-form').dataset.empty = rows.length ? '' : '1';
  $('btn-rundown').dataset.off = rows.length ? '' : '1';
  $('rundown-empty').hidden = rows.length > 0;
  app.lockControls();
}

function showFields() {
  const edit = EDITS[$('rundown-edit').value];
  $('rundown-minutes-row').hidden = !edit.minutes;
  $('rundown-anchor-row').hidden = !edit.anchor;
  $('rundown-title-row').hidden = !edit.title;
}

/** What the edit would change (POST /rundown/preview: nothing is recorded). */
async function previewNodes(body) {
  try {
    const p = await api(`${base}/rundown/preview`, { method: 'POST', body });
    const shift = p.end_shift_seconds;
    const sign = shift > 0 ? '+' : shift < 0 ? '−' : '±';
    const endLine = `Projected end: ${app.fmt.time(p.projected_end.before)} → ${app.fmt.time(p.projected_end.after)}`
      + ` (${sign}${minutesText(Math.abs(shift))})`;
    const moved = p.cues.moved ? `${p.cues.moved} planned message${p.cues.moved > 1 ? 's' : ''} move.` : '';
    const dropped = p.cues.removed.length ? ` ${p.cues.removed.length} will not be posted.` : '';
    return [
      h('p', { class: 'rundown-end', dataset: { testid: 'confirm-end' } }, endLine),
      moved || dropped ? h('p', { class: 'muted' }, `${moved}${dropped}`) : null,
      h('p', {}, 'Running order after it:'),
      h('ol', { class: 'preview-list', dataset: { testid: 'confirm-order' } }, p.order.map((seg) => h('li',
        { class: `preview-item${seg.id === p.segment ? ' changed' : ''}` },
        h('span', { class: 'preview-text' }, `${app.fmt.time(seg.start)} ${seg.title}`)))),
    ].filter(Boolean);
  } catch (error) {
    // A refusal is shown here and the edit is not offered; the host changes the form instead.
    const reason = error instanceof ApiError ? error.message : 'Cannot reach the Showcaller server';
    return h('p', { class: 'error-text', role: 'alert' }, `Not possible: ${reason}`);
  }
}

async function submit(confirmAction) {
  const button = $('btn-rundown');
  const segment = $('rundown-segment').value;
  if (!segment || button.disabled) return;
  const kind = $('rundown-edit').value;
  const title = (id) => app.state?.segments.find((seg) => seg.id === id)?.title || id;
  const minutes = Number($('rundown-minutes').value);
  if (EDITS[kind].minutes && !(minutes >= 1 && minutes <= 480)) {
    $('rundown-minutes').focus();
    return;
  }
  const named = $('rundown-title').value.trim();
  if (kind === 'rename' && !named) {
    $('rundown-title').focus();
    return;
  }
  const anchor = $('rundown-anchor').value;
  const place = kind.endsWith('-after') ? 'after' : 'before';
  let preview; let path; let body; let ask; let done;
  if (kind.startsWith('insert')) {
    const session = kind.startsWith('insert-session');
    const what = session ? (named || 'Session') : 'Break';
    body = { title: what, kind: session ? 'session' : 'break', minutes, [place]: segment };
    preview = { edit: 'insert', ...body };
    path = 'rundown/insert';
    ask = session
      ? `Insert the ${minutesText(minutes * 60)} session “${what}” ${place} ${title(segment)}?`
      : `Insert a ${minutesText(minutes * 60)} break ${place} ${title(segment)}?`;
    done = `${what} inserted ${place} ${title(segment)}`;
  } else if (kind === 'rename') {
    body = { title: named };
    preview = { edit: 'amend', segment, title: named };
    path = `rundown/${encodeURIComponent(segment)}/amend`;
    ask = `Rename ${title(segment)} to “${named}”?`;
    done = `${title(segment)} is now “${named}”`;
  } else if (kind === 'retime') {
    body = { minutes };
    preview = { edit: 'retime', segment, minutes };
    path = `rundown/${encodeURIComponent(segment)}/retime`;
    ask = `Make ${title(segment)} last ${minutesText(minutes * 60)}?`;
    done = `${title(segment)} now lasts ${minutesText(minutes * 60)}`;
  } else if (kind.startsWith('move')) {
    body = { [place]: anchor };
    preview = { edit: 'move', segment, ...body };
    path = `rundown/${encodeURIComponent(segment)}/move`;
    ask = `Move ${title(segment)} ${place} ${title(anchor)}?`;
    done = `${title(segment)} moved`;
  } else {
    body = {};
    preview = { edit: 'remove', segment };
    path = `rundown/${encodeURIComponent(segment)}/remove`;
    ask = `Remove ${title(segment)} from the rundown?`;
    done = `${title(segment)} removed`;
  }
  const confirmed = await confirmAction({
    title: ask,
    lead: 'Later segments and their messages move with it; Undo reverts it while its bar shows.',
    details: previewNodes(preview),
    ok: kind === 'remove' ? 'Remove' : 'Apply',
    danger: kind === 'remove',
  });
  if (confirmed) act(button, path, body, done);
}

/** Wire the form; `confirmAction` is the console's confirmation dialog. */
export function wireRundown(confirmAction) {
  $('rundown-edit').replaceChildren(...Object.entries(EDITS).map(([value, e]) => h('option', { value }, e.label)));
  $('rundown-edit').addEventListener('change', showFields);
  showFields();
  $('rundown-form').addEventListener('submit', (e) => {
    e.preventDefault();
    submit(confirmAction);
  });
}
