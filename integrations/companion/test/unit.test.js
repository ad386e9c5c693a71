// The module's plain parts without a service: the clock, the local countdown, the back-off, the
// definitions' consistency, the manifest, and the client's connection handling over fakes.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { backoff, clock, ticked } from '../src/clock.js'
import { TICK_MS, VariableSync } from '../src/sync.js'
import { DeckClient } from '../src/deck.js'
import {
	actionDefinitions,
	changedValues,
	DECK_FIELDS,
	feedbackDefinitions,
	PAGE_LAYOUT,
	presetDefinitions,
	variableValues,
	VARIABLES,
} from '../src/definitions.js'

const here = (path) => new URL(path, import.meta.url)

test('clock writes a countdown exactly as the service does (app/views/deck.py)', () => {
	// The same cases as tests/stage/test_deck.py test_clock_text.
	assert.deepEqual(
		[299.2, 300, 0, -0.5, -65, 3899, null].map(clock),
		['05:00', '05:00', '00:00', '-00:01', '-01:05', '1:04:59', ''],
	)
})

const FRAME = {
	current_id: 'session-1',
	remaining: '09:00',
	phase: 'danger',
	timer_id: 't1',
	timer_status: 'running',
	timer_remaining: '00:05',
	timer_phase: 'danger',
	server_time_ms: 1_000_000,
	segment_ends_ms: 1_000_000 + 540_000,
	timer_ends_ms: 1_000_000 + 5_000,
}

test('the view counts down from the deadlines against the server time, not this machine’s clock', () => {
	// Received at local time 50 (this machine's clock is far from the server's): 1.5 s later...
	const later = ticked(FRAME, 50, 1_550)
	assert.equal(later.remaining, '08:59') // 538.5 s, rounded up
	assert.equal(later.timer_remaining, '00:04')
	assert.equal(later.server_time_ms, 1_000_000) // the frame's, not ticked
	// ... and at each whole second the text changes (a key updates within a second).
	const texts = [0, 250, 500, 750, 1000, 1250].map((ms) => ticked(FRAME, 0, ms).remaining)
	assert.deepEqual(texts, ['09:00', '09:00', '09:00', '09:00', '08:59', '08:59'])
	// Past the deadlines: the segment stops at 00:00 and is over; a timer goes negative.
	const over = ticked(FRAME, 0, 541_000)
	assert.deepEqual([over.remaining, over.phase, over.timer_remaining, over.timer_phase], ['00:00', 'over', '-08:56', 'over'])
	// A paused timer (no deadline) and no segment keep the service's text.
	const paused = ticked({ ...FRAME, current_id: '', timer_status: 'paused', timer_ends_ms: null }, 0, 10_000)
	assert.deepEqual([paused.remaining, paused.timer_remaining], ['09:00', '00:05'])
	assert.equal(ticked(null, 0, 1), null)
})

test('back-off doubles up to its ceiling, with bounded jitter', () => {
	const flat = { random: () => 0 }
	assert.deepEqual([0, 1, 2, 3, 10].map((n) => backoff(n, flat)), [500, 1000, 2000, 4000, 15000])
	assert.equal(backoff(0, { random: () => 1 }), 600)
})

test('variables cover every deck field; presets are the 15-key page and use only defined actions and feedbacks', () => {
	const client = new DeckClient({ url: 'http://x', eventId: 'e', token: 't' })
	const actions = actionDefinitions(client)
	const feedbacks = feedbackDefinitions(() => null, () => false)
	const presets = presetDefinitions('showcaller')
	assert.equal(Object.keys(presets).length, 15)
	assert.deepEqual(PAGE_LAYOUT.flat().sort(), Object.keys(presets).sort())
	const variableIds = new Set(VARIABLES.map((v) => v.variableId))
	for (const [id, preset] of Object.entries(presets)) {
		for (const action of preset.steps[0].down) assert.ok(actions[action.actionId], `${id}: ${action.actionId}`)
		for (const feedback of preset.feedbacks) assert.ok(feedbacks[feedback.feedbackId], `${id}: ${feedback.feedbackId}`)
		for (const [, name] of preset.style.text.matchAll(/\$\(showcaller:(\w+)\)/g)) assert.ok(variableIds.has(name), name)
	}
	const names = Object.values(presets).map((p) => p.name)
	for (const wanted of ['Next', 'Hold', '+1 min', '+5 min', 'Timer 1', 'Timer 2', 'Timer 3', 'Timer 4', 'Stop timer', 'Wrap up', 'Blackout', 'Undo', 'Current title', 'Remaining']) {
		assert.ok(names.includes(wanted), wanted)
	}
	const values = variableValues({ ...FRAME, held: 'true', timer_ends_ms: null }, true)
	assert.deepEqual(Object.keys(values).sort(), [...variableIds].sort())
	assert.deepEqual([values.held, values.timer_ends_ms, values.connected, values.segment_ends_ms], ['true', '', 'true', '1540000'])
	assert.deepEqual(changedValues(values, { ...values, remaining: '08:59' }), { remaining: '08:59' })
	assert.ok(Object.keys(DECK_FIELDS).includes('seq'))
})

test('feedbacks: phase colours, held, over time, connected', () => {
	let view = { ...FRAME, held: 'false' }
	let up = false
	const fb = feedbackDefinitions(() => view, () => up)
	const phase = (what, p) => fb.phase.callback({ options: { what, phase: p } })
	assert.deepEqual(['normal', 'warning', 'danger', 'over'].map((p) => phase('segment', p)), [false, false, true, false])
	assert.equal(fb.held.callback({ options: {} }), false)
	view = { ...view, held: 'true', phase: 'over', timer_phase: 'normal' }
	assert.equal(fb.held.callback({ options: {} }), true)
	assert.equal(fb.over_time.callback({ options: { what: 'segment' } }), true)
	assert.equal(fb.over_time.callback({ options: { what: 'timer' } }), false)
	assert.equal(fb.connected.callback({ options: {} }), false)
	assert.equal(fb.connected.callback({ options: { invert_to_disconnected: true } }), true)
	up = true
	assert.equal(fb.connected.callback({ options: {} }), true)
})

test('the manifest is valid for @companion-module/base and points at the entry point', () => {
	const require = createRequire(import.meta.url)
	const Ajv = require('ajv')
	const schema = JSON.parse(readFileSync(require.resolve('@companion-module/base/assets/manifest.schema.json'), 'utf8'))
	const manifest = JSON.parse(readFileSync(here('../companion/manifest.json'), 'utf8'))
	const validate = new Ajv({ strict: false }).compile(schema)
	assert.ok(validate(manifest), JSON.stringify(validate.errors))
	assert.equal(new URL(manifest.runtime.entrypoint, here('../companion/')).href, here('../src/main.js').href)
	const pkg = JSON.parse(readFileSync(here('../package.json'), 'utf8'))
	assert.equal(manifest.runtime.apiVersion, pkg.dependencies['@companion-module/base'])
})

/** A WHATWG-like WebSocket fake: records the URL, lets the test deliver frames and closes. */
class FakeSocket extends EventEmitter {
	static made = []
	constructor(url) {
		super()
		this.url = url
		FakeSocket.made.push(this)
	}
	addEventListener(type, listener) {
		this.on(type, listener)
	}
	close(code = 1000) {
		this.emit('close', { code })
	}
}

/** A manual clock for the reconnect timer: tick(ms) runs what falls due. */
function manualTimers() {
	let now = 0
	let pending = []
	return {
		set: (fn, ms) => {
			const handle = { at: now + ms, fn }
			pending.push(handle)
			return handle
		},
		clear: (handle) => {
			pending = pending.filter((p) => p !== handle)
		},
		tick(ms) {
			now += ms
			const due = pending.filter((p) => p.at <= now)
			pending = pending.filter((p) => p.at > now)
			for (const p of due) p.fn()
		},
	}
}

test('the client opens the socket with a ticket, keeps the token in the header, and reconnects with back-off', async () => {
	const timers = manualTimers()
	FakeSocket.made = []
	const calls = []
	let answer = { status: 200, body: { ticket: 'tk1', expires_in: 30 } }
	const fetch = async (url, init) => {
		calls.push({ url, method: init.method, auth: init.headers.Authorization })
		return { ok: answer.status < 400, status: answer.status, text: async () => JSON.stringify(answer.body) }
	}
	const client = new DeckClient({ url: 'http://svc:8000/', eventId: 'ev', token: 'sc_secret', fetch, WebSocket: FakeSocket, backoff: { random: () => 0 }, timers })
	const statuses = []
	client.on('status', (s) => statuses.push(s))
	client.start()
	await new Promise((resolve) => setImmediate(resolve))
	assert.deepEqual(calls, [{ url: 'http://svc:8000/api/events/ev/deck/ticket', method: 'POST', auth: 'Bearer sc_secret' }])
	assert.equal(FakeSocket.made[0].url, 'ws://svc:8000/api/events/ev/deck/ws?ticket=tk1')
	assert.ok(!FakeSocket.made[0].url.includes('sc_secret'))
	FakeSocket.made[0].emit('message', { data: JSON.stringify({ ...FRAME, seq: '3' }) })
	assert.equal(client.connected, true)
	assert.equal(client.deck.seq, '3')

	// The service restarts (1012): reconnect after 500 ms with a new ticket.
	answer = { status: 200, body: { ticket: 'tk2' } }
	FakeSocket.made[0].emit('close', { code: 1012 })
	assert.equal(client.connected, false)
	assert.equal(statuses.at(-1).reason, 'the service restarted')
	timers.tick(499)
	await new Promise((resolve) => setImmediate(resolve))
	assert.equal(FakeSocket.made.length, 1)
	timers.tick(1)
	await new Promise((resolve) => setImmediate(resolve))
	assert.equal(FakeSocket.made.length, 2)
	assert.ok(FakeSocket.made[1].url.endsWith('ticket=tk2'))

	// A refused socket (its frame names why), then refused tickets: the waits double.
	FakeSocket.made[1].emit('message', { data: JSON.stringify({ error: 'forbidden', reason: 'token revoked' }) })
	answer = { status: 403, body: { error: 'forbidden', reason: 'revoked' } }
	FakeSocket.made[1].emit('close', { code: 4403 })
	assert.equal(statuses.at(-1).reason, 'forbidden: token revoked')
	timers.tick(1000) // attempt 1: 1000 ms
	await new Promise((resolve) => setImmediate(resolve))
	assert.match(statuses.at(-1).reason, /ticket refused: 403 revoked/)
	const before = calls.length
	timers.tick(1999) // attempt 2: 2000 ms
	await new Promise((resolve) => setImmediate(resolve))
	assert.equal(calls.length, before)
	timers.tick(1)
	await new Promise((resolve) => setImmediate(resolve))
	assert.equal(calls.length, before + 1)
	client.stop()
	assert.equal(client.connected, false)
})

test('a press echoes what the key showed, and a service that does not answer in time is a failed press, not a hang', async () => {
	const seen = []
	const fetch = async (url, init) => {
		seen.push(url)
		if (url.includes('undo')) {
			// Never answers until aborted, like a service stuck behind a dead network.
			return new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)))
		}
		return { ok: false, status: 409, text: async () => JSON.stringify({ error: 'conflict', reason: 'already moved' }) }
	}
	const client = new DeckClient({ url: 'http://svc', eventId: 'ev', token: 't', fetch, timeoutMs: 20 })
	client.deck = { current_id: 'session-1', seq: '7', message: '' }
	const logs = []
	const actions = actionDefinitions(client, (level, message) => logs.push([level, message]))
	const next = await actions.next.callback({ options: {} })
	assert.deepEqual([next.ok, next.status, next.reason], [false, 409, 'already moved'])
	await actions.delay.callback({ options: { minutes: 5 } })
	await actions.timer_current.callback({ options: { verb: 'add', seconds: -30 } })
	await actions.stage_message.callback({ options: { message_id: 'wrap up', flash: true, blackout: false } })
	await actions.blackout_toggle.callback({ options: { message_id: 'blackout' } })
	client.deck.message = 'Back soon'
	await actions.blackout_toggle.callback({ options: { message_id: 'blackout' } })
	const undone = await actions.undo.callback({ options: {} })
	assert.deepEqual([undone.ok, undone.status, undone.reason], [false, 0, 'no answer within 20 ms'])
	const base = 'http://svc/api/events/ev/deck'
	assert.deepEqual(seen, [
		`${base}/advance?from=session-1`,
		`${base}/delay/5?seq=7`,
		`${base}/timers/current/add?seconds=-30&seq=7`,
		`${base}/stage/messages/wrap%20up?flash=true&seq=7`,
		`${base}/stage/messages/blackout?blackout=true&seq=7`,
		`${base}/stage/clear?seq=7`,
		`${base}/undo?seq=7`,
	])
	assert.deepEqual(logs[0], ['warn', 'Next: 409 already moved'])
	assert.deepEqual(logs.at(-1), ['warn', 'Undo: no answer no answer within 20 ms'])
})

test('the Companion entry point parses, and base exports what it uses', async () => {
	const { execFileSync } = await import('node:child_process')
	execFileSync(process.execPath, ['--check', new URL('../src/main.js', import.meta.url).pathname])
	const base = await import('@companion-module/base')
	for (const name of ['InstanceBase', 'InstanceStatus', 'runEntrypoint']) assert.ok(base[name], name)
	assert.ok(base.InstanceStatus.BadConfig && base.InstanceStatus.Connecting && base.InstanceStatus.Ok)
	const ws = await import('ws')
	assert.equal(typeof ws.default, 'function')
})

test('the variable sync sends only what changed: on a frame, on the connection, and as the countdown ticks', () => {
	const client = new EventEmitter()
	let localNow = 0
	client.connected = false
	client.view = (at = localNow) => ticked(client.deck, 0, at)
	client.deck = { ...FRAME, held: 'false' }
	const sent = []
	let checks = 0
	const host = { setVariableValues: (v) => sent.push(v), checkFeedbacks: () => (checks += 1) }
	let tick = null
	const timers = { every: (fn, ms) => (tick = { fn, ms }), cancel: () => (tick = null) }
	const sync = new VariableSync(client, host, { timers })
	sync.start()
	assert.equal(tick.ms, TICK_MS)
	assert.ok(TICK_MS <= 1000 / 2) // a key's seconds change well within a second
	assert.equal(sent.length, 1)
	assert.deepEqual([sent[0].remaining, sent[0].connected], ['09:00', 'false'])
	// Ticks within the same second send nothing; the next second sends the countdowns only.
	localNow = 750
	tick.fn()
	assert.equal(sent.length, 1)
	localNow = 1000
	tick.fn()
	assert.deepEqual(sent[1], { remaining: '08:59', timer_remaining: '00:04' })
	// A connection change and a frame are sent at once, without waiting for a tick.
	client.connected = true
	client.emit('status', { connected: true })
	assert.deepEqual(sent[2], { connected: 'true' })
	client.deck = { ...client.deck, held: 'true', seq: '5' }
	client.emit('deck', client.deck)
	assert.deepEqual([sent[3].held, sent[3].seq], ['true', '5'])
	assert.equal(checks, 4)
	sync.stop()
	assert.equal(tick, null)
	client.emit('deck', { ...client.deck, seq: '6' })
	assert.equal(sent.length, 4)
})
