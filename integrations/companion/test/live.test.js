// Every preset of the 15-key page pressed against a live `showcaller serve`, the variables read back.
//
// Needs SHOWCALLER_URL, SHOWCALLER_EVENT and SHOWCALLER_DECK_TOKEN: tests/companion/test_companion_module.py
// starts `serve` with a schedule whose current segment runs now (four respondent slots, stage messages
// wrap_up and blackout, a next segment) and a deck token, then runs `npm test` here. Without them this
// file fails, saying what to set: it never passes without a service.

import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { DeckClient } from '../src/deck.js'
import { actionDefinitions, presetDefinitions } from '../src/definitions.js'
import { VariableSync } from '../src/sync.js'
import { ModuleHost } from './host.js'

const { SHOWCALLER_URL: url, SHOWCALLER_EVENT: eventId, SHOWCALLER_DECK_TOKEN: token } = process.env
const FRAME_MS = 5000 // a pushed frame arrives well within this; the wait ends at the frame, not the limit

let client
let actions
let presets
let sync
// What Companion's host receives: the module's variables, as setVariableValues sends them.
const host = {
	variables: {},
	checks: 0,
	setVariableValues(values) {
		Object.assign(this.variables, values)
	},
	checkFeedbacks() {
		this.checks += 1
	},
}

before(async () => {
	assert.ok(
		url && eventId && token,
		'set SHOWCALLER_URL, SHOWCALLER_EVENT and SHOWCALLER_DECK_TOKEN to a running `showcaller serve` ' +
			'(or run tests/companion/test_companion_module.py, which starts one)',
	)
	client = new DeckClient({ url, eventId, token, WebSocket })
	actions = actionDefinitions(client)
	presets = presetDefinitions('showcaller', { wrap_up_id: 'wrap_up', blackout_id: 'blackout' })
	sync = new VariableSync(client, host)
	sync.start()
	client.start()
	await client.waitFor(() => client.connected, FRAME_MS)
})

after(() => {
	sync?.stop()
	client?.stop()
})

/** Press a preset's key as Companion does (its down actions, in order), then wait for the frame it causes. */
async function press(name) {
	const preset = presets[name]
	assert.ok(preset, name)
	const seq = client.deck.seq
	const answers = []
	for (const step of preset.steps[0].down) answers.push(await actions[step.actionId].callback({ options: step.options }))
	for (const answer of answers) assert.ok(answer.ok, `${name}: ${answer.status} ${answer.reason}`)
	await client.waitFor((deck) => deck.seq !== seq, FRAME_MS)
	return values() // the frame has reached the host (the sync hears each frame first)
}

const values = () => ({ ...host.variables })

test('the keys that only show: current title, remaining (ticking locally), timer remaining', () => {
	const now = values()
	assert.equal(now.connected, 'true')
	assert.equal(now.current_id, 'session-1')
	assert.equal(now.current_title, 'Session 1')
	assert.match(now.remaining, /^\d\d:\d\d$/)
	assert.equal(now.phase, 'normal')
	assert.equal(now.timer_remaining, '')
	assert.match(presets.remaining.style.text, /\$\(showcaller:remaining\)/)
	assert.match(presets.current_title.style.text, /\$\(showcaller:current_title\)/)
	// The key's remaining time moves with the clock between frames: two seconds on, two seconds less,
	// sent to the host as a changed variable (the sync refreshes every 250 ms on its own).
	const at = Date.now()
	const seconds = (text) => text.split(':').reduce((total, part) => total * 60 + Number(part), 0)
	sync.refresh(at)
	const a = seconds(host.variables.remaining)
	const checks = host.checks
	assert.deepEqual(Object.keys(sync.refresh(at + 2000)).includes('remaining'), true)
	assert.equal(a - seconds(host.variables.remaining), 2)
	assert.ok(host.checks > checks)
	sync.refresh()
})

test('Timer 1..4 start each respondent slot; Stop timer stops the one shown', async () => {
	for (const slot of [1, 2, 3, 4]) {
		const shown = await press(`timer_${slot}`)
		assert.match(shown.timer_label, new RegExp(`^Respondent ${slot} `))
		assert.equal(shown.timer_status, 'running')
		assert.match(shown.timer_remaining, /^0[12]:\d\d$/) // two-minute slots
		assert.notEqual(client.view(client.receivedAt + 1500).timer_remaining, shown.timer_remaining)
		sync.refresh(client.receivedAt + 1500)
		assert.notEqual(host.variables.timer_remaining, shown.timer_remaining)
		sync.refresh()
	}
	const last = client.deck.timer_id
	const stopped = await press('stop_timer')
	assert.notEqual(stopped.timer_id, last)
	assert.match(stopped.timer_label, /^Respondent 3 /) // the one started last that still runs
})

test('+1 min delays, Undo undoes it, +5 min delays', async () => {
	assert.equal(values().delay, '+00:00')
	const end = client.deck.segment_ends_ms
	assert.equal((await press('delay_1')).delay, '+01:00')
	assert.equal((await press('undo')).delay, '+00:00')
	assert.equal(client.deck.segment_ends_ms, end)
	assert.equal((await press('delay_5')).delay, '+05:00')
})

test('Wrap up shows its message; Blackout shows, and a second press clears', async () => {
	assert.equal((await press('wrap_up')).message, 'Please wrap up')
	assert.equal((await press('blackout')).message, '') // a message was shown: the key clears it
	assert.equal((await press('blackout')).message, 'Back in two minutes')
	assert.equal((await press('blackout')).message, '')
})

test('Hold holds and resumes; Next advances from the segment the key shows', async () => {
	assert.equal((await press('hold')).held, 'true')
	assert.equal((await press('hold')).held, 'false')
	const next = client.deck.next_id
	const moved = await press('next')
	assert.equal(moved.current_id, next)
	assert.equal(moved.current_title, 'Session 2')
	// A second Next built from a stale key (it still shows session-1) is refused: nothing moves twice.
	const stale = await client.press('advance', { from: 'session-1' }, false)
	assert.equal(stale.status, 409)
	assert.equal(values().current_id, next)
})

test('through Companion\'s own host protocol, the entry point runs the rehearsal keys: timer 1, +1 min, Undo, Wrap up, Next', async () => {
	// src/main.js in a child process, as Companion runs a module: registered, initialised with the
	// connection's config and secrets, its presets' actions executed over IPC, its variables read back.
	sync.stop()
	client.stop()
	const companion = new ModuleHost()
	try {
		await companion.start()
		const init = await companion.call('init', {
			label: 'showcaller',
			isFirstInit: false,
			lastUpgradeIndex: -1,
			config: { url, event_id: eventId, wrap_up_id: 'wrap_up', blackout_id: 'blackout' },
			secrets: { token },
		})
		assert.ok(init && 'newUpgradeIndex' in init, JSON.stringify(init))
		await companion.until(() => companion.variables.connected === 'true' && companion.variables.seq)
		assert.equal(companion.status.status, 'ok')
		assert.equal(Object.keys(companion.presets).length, 15)
		assert.equal(companion.variables.current_id, 'session-2')

		let n = 0
		const press = async (name) => {
			const seq = companion.variables.seq
			for (const step of companion.presets[name].steps[0].down) {
				const answer = await companion.call('executeAction', {
					action: { id: `press-${(n += 1)}`, controlId: `bank:${name}`, actionId: step.actionId, options: step.options },
					surfaceId: undefined,
				})
				assert.equal(answer.success, true, JSON.stringify(answer))
			}
			await companion.until(() => companion.variables.seq !== seq)
			return companion.variables
		}
		assert.match((await press('timer_1')).timer_label, /^Respondent 1 /)
		// The show runs early since Next (delay "-37:40"): +1 min moves it a minute, Undo moves it back.
		const signed = (text) => (text.startsWith('-') ? -1 : 1) * text.replace(/^[+-]/, '').split(':').reduce((t, p) => t * 60 + Number(p), 0)
		const delay = companion.variables.delay
		assert.equal(signed((await press('delay_1')).delay) - signed(delay), 60)
		assert.equal((await press('undo')).delay, delay)
		assert.equal((await press('wrap_up')).message, 'Please wrap up')
		// The remaining time on its key moves by itself between frames (the module's own tick).
		const shown = companion.variables.remaining
		await companion.until(() => companion.variables.remaining !== shown)
		assert.equal((await press('next')).current_id, 'session-3')
		// No press was refused, so the module logged no warning.
		assert.deepEqual(companion.logs.filter((l) => l.level === 'warn'), [])
	} finally {
		await companion.stop()
	}
})
