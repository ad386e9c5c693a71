// Console panels loaded on demand: announcement targets, cue log, attendance, Zoom links.
import { h } from './common.js';
import { $, ApiError, FAILED, RANK, api, app, base, changed, post, toast } from './console-core.js';

export async function loadPlan() {
  try {
    const plan = await api(`${base}/plan`);
    const targets = plan.targets?.length
      ? plan.targets.map((t) => ({ id: t.id, kind: t.kind, hosts: Boolean(t.hosts) }))
      : [...new Set(plan.cues.flatMap((c) => c.targets))].map((id) => ({ id, hosts: false }));
    renderTargets(targets);
  } catch (error) {
    if (error instanceof ApiError) toast(`Could not load the plan: ${error.message}`, 'error');
  }
}

/** Only host-facing targets start ticked: posting to speakers or the public takes a deliberate tick. */
function renderTargets(targets) {
  if (!changed('targets', targets)) return;
  app.targets = targets;
  const box = $('announce-targets');
  box.replaceChildren(h('legend', {}, 'Send to'), ...targets.map((t) => {
    const input = h('input', { type: 'checkbox', name: 'target', value: t.id, checked: t.hosts,
                               dataset: { hosts: t.hosts ? '1' : '' } });
    return h('label', { class: `check${t.hosts ? ' hosts' : ''}` }, input,
      `${t.id}${t.kind ? ` (${t.kind}${t.hosts ? ', hosts' : ''})` : ''}`);
  }));
  renderAnnouncePreview();
}

/** Resets the ticks to the host-facing targets (after each announcement sent). */
export function resetTargets() {
  for (const input of document.querySelectorAll('#announce-targets input')) input.checked = input.dataset.hosts === '1';
  renderAnnouncePreview();
}

/** What each ticked target will receive, and a reminder of who reads it. */
export function renderAnnouncePreview() {
  const text = $('announce-text').value.trim();
  const ticked = [...document.querySelectorAll('#announce-targets input:checked')].map((i) => i.value);
  const byId = new Map((app.targets || []).map((t) => [t.id, t]));
  const box = $('announce-preview');
  if (!ticked.length) {
    box.replaceChildren(h('p', { class: 'muted' }, 'No target ticked: nothing would be sent.'));
    return;
  }
  box.replaceChildren(h('p', { class: 'muted' }, text ? 'Will be posted:' : 'Type a message to see what will be posted.'),
    h('ul', { class: 'preview-list' }, ticked.map((id) => {
      const target = byId.get(id);
      const audience = target?.hosts ? 'hosts' : 'not host-facing: speakers, staff or public may read it';
      return h('li', { class: `preview-item${target?.hosts ? '' : ' outward'}`, dataset: { target: id } },
        h('span', { class: 'preview-target' }, `${id}${target?.kind ? ` (${target.kind})` : ''} · ${audience}`),
        text ? h('span', { class: 'preview-text' }, `Announcement: ${text}`) : null);
    })));
}

export async function loadCues() {
  if (!app.me) return;
  try {
    const [cues, log] = await Promise.all([api(`${base}/cues`), api(`${base}/log`).catch(() => [])]);
    renderCues(cues, log);
  } catch {
    // The stream shows the connection problem; the next state change reloads the log.
  }
}

const ACTION_WORDS = {
  advance: (d) => (d.to ? `Jump to ${segmentTitle(d.to)}` : 'Next segment'),
  hold: () => 'Hold', resume: () => 'Resume',
  delay: (d) => `Delay ${d.seconds >= 0 ? '+' : ''}${Math.round((d.seconds || 0) / 60)} min`,
  end_event: () => 'End event', undo: (d) => `Undo of #${d.target ?? '?'}`,
  timer_start: (d) => `Timer started: ${d.label || d.timer_id}`, timer_pause: (d) => `Timer paused: ${d.timer_id}`,
  timer_resume: (d) => `Timer resumed: ${d.timer_id}`, timer_add: (d) => `Timer ${d.timer_id} +${d.seconds} s`,
  timer_stop: (d) => `Timer stopped: ${d.timer_id}`, announce: () => 'Announcement',
  // Rundown edits (console-rundown.js); a removed segment is no longer in the state: its id stands in.
  insert_segment: (d) => `Inserted ${d.title} (${Math.round(d.seconds / 60)} min) ${d.place} ${segmentTitle(d.anchor)}`,
  retime_segment: (d) => `${segmentTitle(d.segment)} now lasts ${Math.round(d.seconds / 60)} min`,
  amend_segment: (d) => `Edited ${segmentTitle(d.segment)}`,
  move_segment: (d) => `Moved ${segmentTitle(d.segment)} ${d.place} ${segmentTitle(d.anchor)}`,
  remove_segment: (d) => `Removed ${segmentTitle(d.segment)}`,
};

function segmentTitle(id) {
  return app.state?.segments.find((s) => s.id === id)?.title || id;
}

function actionTitle(row) {
  const words = ACTION_WORDS[row.kind];
  return words ? words(row.data || {}) : row.kind;
}

/** Undone actions: marked `undone_by` in the log, and named (`target`) by the undo entries. */
function undoneSeqs(log) {
  return new Set([...log.filter((r) => r.undone_by != null).map((r) => r.seq),
    ...log.filter((r) => r.kind === 'undo').map((r) => r.data?.target).filter((seq) => seq != null)]);
}

// `superseded`: a host action overtook the cue, never posted. `withdrawn`: posted, then taken back by an
// undo (its targets got a correction). `cancelled` cues simply left the plan and stay out of the log.
const WITHDRAWN = new Set(['superseded', 'withdrawn']);

function cueStatusText(cue) {
  if (cue.status === 'skipped') return `SKIPPED: ${cue.note || ''}`;
  if (cue.status === 'withdrawn') return `TAKEN BACK (${cue.note || 'by an undo'}; correction sent)`;
  if (cue.status === 'superseded') {
    const by = cue.superseded_by ? ` by #${cue.superseded_by}` : '';
    return `WITHDRAWN (overtaken${by}, never posted)`;
  }
  const late = cue.late_ms > 1500 ? ` · late ${Math.round(cue.late_ms / 1000)} s` : '';
  return `sent${late}`;
}

function renderCues(cues, log = []) {
  const f = app.fmt;
  if (!f) return;
  const shown = (c) => c.status === 'fired' || c.status === 'skipped' || WITHDRAWN.has(c.status);
  const undone = undoneSeqs(log);
  const nowIso = app.state?.now || '';
  // A withdrawn cue sits at the moment it was due, or now if that moment has not come yet.
  const when = (cue) => cue.fired_at || (cue.due_at && cue.due_at < nowIso ? cue.due_at : nowIso);
  const entries = [
    ...cues.filter(shown).map((cue) => ({ at: when(cue), cue })),
    ...log.map((row) => ({ at: row.at, action: row })),
  ].sort((a, b) => b.at.localeCompare(a.at) || (b.action ? 1 : 0) - (a.action ? 1 : 0)).slice(0, 40);
  const now = app.state ? Date.parse(app.state.now) : 0;
  const upcoming = cues.filter((c) => (c.status === 'pending' && Date.parse(c.due_at) >= now)
    || c.status === 'held').slice(0, 5);
  const failedTotal = cues.flatMap((c) => c.deliveries).filter((d) => FAILED.has(d.status)).length;
  const badge = $('failed-count');
  badge.hidden = failedTotal === 0;
  badge.textContent = `${failedTotal} failed`;

  $('cues').replaceChildren(...entries.map(({ cue, action }) => {
    if (action) {
      const isUndone = undone.has(action.seq);
      return h('li', { class: `cue action${isUndone ? ' undone' : ''}`, dataset: { seq: String(action.seq) } },
        h('div', { class: 'cue-head' },
          h('span', { class: 'cue-time' }, f.seconds(action.at)),
          h('span', { class: 'cue-title' }, `#${action.seq} ${actionTitle(action)}${isUndone ? ' (undone)' : ''}`),
          h('span', { class: 'cue-actor' }, `by ${action.actor || 'the schedule'}`)));
    }
    const failed = cue.deliveries.filter((d) => FAILED.has(d.status));
    const withdrawn = WITHDRAWN.has(cue.status);
    return h('li', { class: `cue ${cue.status}${withdrawn ? ' withdrawn' : ''}${failed.length ? ' has-failed' : ''}` },
      h('div', { class: 'cue-head' },
        h('span', { class: 'cue-time' }, f.seconds(cue.fired_at || cue.due_at || nowIso)),
        h('span', { class: 'cue-title' }, cue.title),
        h('span', { class: 'cue-status' }, cueStatusText(cue))),
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
        await post(`/api/deliveries/${encodeURIComponent(d.id)}/resend`); // with an Idempotency-Key
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
    showPack();
  } catch (error) {
    if (error.status === 404) $('attendance-card').hidden = true;
  }
}

/** Hosts download the post-event pack; the token goes in a header, so the file comes through fetch. */
function showPack() {
  const box = $('pack');
  if (RANK[app.me.role] < RANK.host || !box.hidden) return;
  box.hidden = false;
  $('pack-download').addEventListener('click', async () => {
    const format = $('pack-format').value;
    const button = $('pack-download');
    button.disabled = true;
    try {
      const res = await fetch(`${base}/pack?format=${encodeURIComponent(format)}`, {
        headers: { Authorization: `Bearer ${app.token}` }, cache: 'no-store' });
      if (!res.ok) {
        const data = await res.json().catch(() => null);
        throw new ApiError(res.status, data?.reason || `HTTP ${res.status}`, data);
      }
      const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') || '')?.[1] || `report.${format}`;
      const link = h('a', { href: URL.createObjectURL(await res.blob()), download: name });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      toast(`Downloaded ${name}`);
    } catch (error) {
      toast(`Could not make the report: ${error.message}`, 'error');
    } finally {
      button.disabled = false;
    }
  });
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
  if (r.open === false) {
    box.replaceChildren(readinessNotYet(r, when, who));
    return;
  }
  box.replaceChildren(...[
    h('p', {}, `Readiness for ${r.title || r.segment}${when}`),
    r.missing?.length
      ? h('ul', { class: 'missing' }, r.missing.map((p) => h('li', {}, `MISSING: ${who(p)}`)))
      : h('p', { class: 'all-here' }, '✓ Everyone expected is here'),
    r.present?.length ? h('p', { class: 'muted' }, `Here: ${r.present.map(who).join(', ')}`) : null,
  ].filter(Boolean));
}

/** Before the readiness check's window (schedule readiness.before) nobody is missing yet: say when it opens. */
function readinessNotYet(r, when, who) {
  const f = app.fmt;
  const today = f && app.state && f.day(app.state.now) === f.day(r.checks_at);
  const opens = f ? `${today ? '' : `${f.day(r.checks_at)} `}${f.label(r.checks_at)}` : r.checks_at;
  return h('div', { class: 'readiness-later', dataset: { testid: 'readiness-later' } },
    h('p', {}, `Readiness for ${r.title || r.segment}${when}`),
    h('p', { class: 'muted' }, `Checked from ${opens}; who is missing shows then.`),
    r.present?.length ? h('p', { class: 'muted' }, `Here: ${r.present.map(who).join(', ')}`) : null);
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
    if (error.status === 404) $('zoom-card').hidden = $('zoom-live').hidden; // the live part may show without a meeting
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

