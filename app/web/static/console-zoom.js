// The Zoom card's live part: Zoom's recording and stream states (from Zoom's webhooks, via
// GET /zoom/live), the next planned Zoom action, the last failed one, and the same actions by hand.
import { $, api, act, app, base, changed } from './console-core.js';

const WORDS = { not_started: 'Not started', recording: 'Recording', paused: 'Paused', stopped: 'Stopped', started: 'Live' };
const STATUS = { recording: 'status-live', started: 'status-live', paused: 'status-held', stopped: 'status-ended' };
const DONE = {
  'recording/start': 'Asked Zoom to start the recording', 'recording/pause': 'Asked Zoom to pause the recording',
  'recording/resume': 'Asked Zoom to resume the recording', 'recording/stop': 'Asked Zoom to stop the recording',
  'livestream/start': 'Asked Zoom to start the live stream', 'livestream/stop': 'Asked Zoom to stop the live stream',
};

function when(iso) {
  return iso && app.fmt ? app.fmt.label(iso) : iso || '';
}

function badge(el, part) {
  el.textContent = WORDS[part.state] || part.state;
  el.className = `badge ${STATUS[part.state] || ''}`.trim();
  el.dataset.state = part.state;
}

function since(el, part) {
  const asked = part.asked ? ` · asked: ${WORDS[part.asked] || part.asked}, waiting for Zoom` : '';
  el.textContent = (part.since ? `since ${when(part.since)}` : '') + asked;
}

function buttons(family, part) {
  for (const button of document.querySelectorAll(`[data-zoom^="${family}/"]`)) {
    const move = button.dataset.zoom.split('/')[1];
    button.dataset.off = part && part.can.includes(move) && app.state?.status !== 'ended' ? '' : '1';
    button.disabled = Boolean(button.dataset.busy) || button.dataset.off === '1';
  }
}

/** Reload the card's live part; null (the event does nothing with Zoom) hides it. */
export async function loadZoomLive() {
  if (!app.me) return;
  let z;
  try {
    ({ zoom: z } = await api(`${base}/zoom/live`));
  } catch {
    return; // the server may be restarting: the next reload shows it
  }
  const box = $('zoom-live');
  if (!z) {
    box.hidden = true;
    return;
  }
  $('zoom-card').hidden = false;
  box.hidden = false;
  if (!changed('zoom-live', z)) return;
  badge($('zoom-recording'), z.recording);
  since($('zoom-recording-since'), z.recording);
  buttons('recording', z.recording);
  $('zoom-stream').hidden = !z.livestream;
  if (z.livestream) {
    badge($('zoom-stream-state'), z.livestream);
    since($('zoom-stream-since'), z.livestream);
  }
  buttons('livestream', z.livestream);
  $('zoom-next').textContent = z.next ? `Next in Zoom: ${z.next.title} at ${when(z.next.at)}` : 'No Zoom action planned.';
  const failed = $('zoom-failure');
  failed.hidden = !z.last_failure;
  failed.textContent = z.last_failure ? `Failed: ${z.last_failure.reason}` : '';
}

/** Wire the buttons; `confirmAction` is the console's dialog (asked before a Stop). */
export function wireZoom(confirmAction) {
  for (const button of document.querySelectorAll('[data-zoom]')) {
    button.addEventListener('click', async () => {
      const path = button.dataset.zoom;
      if (path.endsWith('/stop')) {
        const what = path.startsWith('recording') ? 'the recording' : 'the live stream';
        const ok = await confirmAction({
          title: `Stop ${what}?`, lead: `Zoom stops ${what} now. Undo starts it again.`, ok: 'Stop', danger: true,
        });
        if (!ok) return;
      }
      const result = await act(button, `zoom/${path}`, {}, DONE[path]);
      if (result) app.signatures.delete('zoom-live');
      await loadZoomLive();
    });
  }
}
