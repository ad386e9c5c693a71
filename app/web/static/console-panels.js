// Console panels loaded on demand: announcement targets, cue log, attendance, Zoom links.
import { h } from './common.js';
import { $, ApiError, FAILED, RANK, api, app, base, changed, toast } from './console-core.js';

export async function loadPlan() {
  try {
    const plan = await api(`${base}/plan`);
    const targets = plan.targets?.length ? plan.targets.map((t) => ({ id: t.id, kind: t.kind }))
      : [...new Set(plan.cues.flatMap((c) => c.targets))].map((id) => ({ id }));
    renderTargets(targets);
  } catch (error) {
    if (error instanceof ApiError) toast(`Could not load the plan: ${error.message}`, 'error');
  }
}

function renderTargets(targets) {
  if (!changed('targets', targets)) return;
  const box = $('announce-targets');
  box.replaceChildren(h('legend', {}, 'Send to'), ...targets.map((t) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'target', value: t.id, checked: true }),
    t.kind ? `${t.id} (${t.kind})` : t.id)));
}

export async function loadCues() {
  if (!app.me) return;
  try {
    renderCues(await api(`${base}/cues`));
  } catch {
    // The stream shows the connection problem; the next state change reloads the log.
  }
}

function renderCues(cues) {
  const f = app.fmt;
  if (!f) return;
  const recent = cues.filter((c) => c.status === 'fired' || c.status === 'skipped')
    .sort((a, b) => (b.fired_at || '').localeCompare(a.fired_at || '')).slice(0, 25);
  const now = app.state ? Date.parse(app.state.now) : 0;
  const upcoming = cues.filter((c) => (c.status === 'pending' && Date.parse(c.due_at) >= now)
    || c.status === 'held').slice(0, 5);
  const failedTotal = cues.flatMap((c) => c.deliveries).filter((d) => FAILED.has(d.status)).length;
  const badge = $('failed-count');
  badge.hidden = failedTotal === 0;
  badge.textContent = `${failedTotal} failed`;

  $('cues').replaceChildren(...recent.map((cue) => {
    const failed = cue.deliveries.filter((d) => FAILED.has(d.status));
    const late = cue.late_ms > 1500 && cue.status === 'fired' ? ` · late ${Math.round(cue.late_ms / 1000)} s` : '';
    return h('li', { class: `cue ${cue.status}${failed.length ? ' has-failed' : ''}` },
      h('div', { class: 'cue-head' },
        h('span', { class: 'cue-time' }, f.seconds(cue.fired_at || cue.due_at)),
        h('span', { class: 'cue-title' }, cue.title),
        h('span', { class: 'cue-status' }, cue.status === 'skipped' ? `SKIPPED: ${cue.note || ''}` : `sent${late}`)),
      h('ul', { class: 'deliveries' }, cue.deliveries.map((d) => deliveryItem(cue, d))));
  }));
  $('upcoming').replaceChildren(...upcoming.map((cue) => h('li', { class: `cue ${cue.status}` },
    h('div', { class: 'cue-head' },
      h('span', { class: 'cue-time' }, cue.due_at ? f.time(cue.due_at) : '—'),
      h('span', { class: 'cue-title' }, cue.title),
      h('span', { class: 'cue-status' }, cue.status === 'held' ? 'waits for resume' : '')))));
}

function deliveryItem(cue, d) {
  const failed = FAILED.has(d.status);
  const item = h('li', { class: `delivery ${d.status}${failed ? ' failed' : ''}`, title: d.error || null },
    h('span', {}, `${d.target}: ${failed ? `FAILED (${d.status})` : d.status}`));
  if (failed) {
    if (d.error) item.append(h('span', { class: 'error-text' }, d.error));
    const button = h('button', { type: 'button', class: 'host-only resend',
                                 'aria-label': `Re-send “${cue.title}” to ${d.target}` }, 'Re-send');
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        await api(`/api/deliveries/${encodeURIComponent(d.id)}/resend`, { method: 'POST' });
        toast(`Queued again for ${d.target}`);
        loadCues();
      } catch (error) {
        toast(error.message, 'error');
        button.disabled = false;
      }
    });
    item.append(button);
  }
  return item;
}

// Attendance and Zoom may not exist on this server (or not yet: Zoom appears once applied): 404 hides the panel.
export async function loadAttendance() {
  if (!app.me) return;
  try {
    renderAttendance(await api(`${base}/attendance`));
    $('attendance-card').hidden = false;
  } catch (error) {
    if (error.status === 404) $('attendance-card').hidden = true;
  }
}

function renderAttendance(a) {
  $('attendance-counts').replaceChildren(
    h('strong', { class: 'count', dataset: { testid: 'present' } }, String(a.present ?? 0)), ' present now · peak ',
    String(a.peak ?? 0), ' · ', String(a.total_unique ?? 0), ' joined so far');
  const r = a.readiness;
  const box = $('readiness');
  if (!r?.segment) {
    box.replaceChildren(h('p', { class: 'muted' }, 'No upcoming segment to check.'));
    return;
  }
  const when = r.starts_at && app.fmt ? ` at ${app.fmt.label(r.starts_at)}` : '';
  const who = (p) => (p.role ? `${p.name} (${p.role})` : p.name);
  box.replaceChildren(...[
    h('p', {}, `Readiness for ${r.title || r.segment}${when}`),
    r.missing?.length
      ? h('ul', { class: 'missing' }, r.missing.map((p) => h('li', {}, `MISSING: ${who(p)}`)))
      : h('p', { class: 'all-here' }, '✓ Everyone expected is here'),
    r.present?.length ? h('p', { class: 'muted' }, `Here: ${r.present.map(who).join(', ')}`) : null,
  ].filter(Boolean));
}

function safeUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

export async function loadZoom() {
  if (!app.me) return;
  try {
    renderZoom(await api(`${base}/zoom`));
    $('zoom-card').hidden = false;
  } catch (error) {
    if (error.status === 404) $('zoom-card').hidden = true;
  }
}

function renderZoom(z) {
  $('zoom-what').textContent = [z.kind, z.zoom_id, z.sandbox ? '(sandbox)' : ''].filter(Boolean).join(' ');
  const links = [];
  const join = safeUrl(z.join_url);
  const start = safeUrl(z.start_url);
  const registration = safeUrl(z.registration_url);
  if (start && RANK[app.me.role] >= RANK.host) {
    const startLink = h('a', { class: 'button primary', href: start, target: '_blank', rel: 'noopener noreferrer' },
      'Start as host');
    // Zoom's start links expire after about two hours; the server re-reads one older than 90 minutes.
    startLink.addEventListener('click', (event) => {
      event.preventDefault();
      const tab = window.open('', '_blank');
      if (tab) tab.opener = null;
      const go = (url) => { if (tab) tab.location.href = url; else window.location.href = url; };
      api(`${base}/zoom`).then((fresh) => go(safeUrl(fresh.start_url) || start), () => go(start));
    });
    links.push(startLink);
  }
  if (join) {
    links.push(h('a', { class: 'button', href: join, target: '_blank', rel: 'noopener noreferrer' }, 'Join link'));
    if (navigator.clipboard) {
      const copy = h('button', { type: 'button' }, 'Copy join link');
      copy.addEventListener('click', () => navigator.clipboard.writeText(join)
        .then(() => toast('Join link copied'), () => toast('Could not copy', 'error')));
      links.push(copy);
    }
  }
  if (registration) {
    links.push(h('a', { class: 'button', href: registration, target: '_blank', rel: 'noopener noreferrer' },
      'Registration page'));
  }
  $('zoom-links').replaceChildren(...links);
}

