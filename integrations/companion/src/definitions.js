// What the module declares to Companion: variables, actions, feedbacks and presets, as plain data
// over a DeckClient (src/deck.js), so the tests build and press them without Companion's host.
// Shapes follow @companion-module/base 1.x (CompanionActionDefinitions, CompanionFeedbackDefinitions,
// CompanionPresetDefinitions); colours are 0xRRGGBB numbers, as base's combineRgb makes them.

/** @param {number} r @param {number} g @param {number} b */
export const rgb = (r, g, b) => ((r & 0xff) << 16) | ((g & 0xff) << 8) | (b & 0xff)

export const COLOURS = {
	white: rgb(255, 255, 255),
	black: rgb(0, 0, 0),
	normal: rgb(0, 110, 40),
	warning: rgb(230, 150, 0),
	danger: rgb(200, 0, 0),
	over: rgb(110, 0, 0),
	held: rgb(0, 70, 160),
	disconnected: rgb(70, 70, 70),
}

// Every field of the deck object (app/views/deck.py, docs/stream-deck.md), plus the connection.
export const DECK_FIELDS = {
	event_id: 'Event id',
	event_title: 'Event title',
	timezone: 'Event time zone',
	now: "Server's time in the event's zone",
	status: 'Status (scheduled, live, ended)',
	held: 'Held (true/false)',
	current_id: 'Current segment id',
	current_title: 'Current segment title',
	remaining: 'Time left in the segment (ticks locally)',
	phase: 'Segment phase (normal, warning, danger, over)',
	next_id: 'Next segment id',
	next_title: 'Next segment title',
	next_start: 'Next segment start',
	timer_id: 'Timer id',
	timer_label: 'Timer label',
	timer_status: 'Timer status (running, paused)',
	timer_remaining: 'Timer remaining (ticks locally)',
	timer_phase: 'Timer phase (normal, warning, danger, over)',
	delay: 'Reported delay',
	projected_end: 'Projected end',
	message: 'Stage message shown',
	seq: 'Run log sequence (echoed by the actions)',
	server_time_ms: "Server's time at the last update (Unix ms)",
	segment_ends_ms: 'Segment deadline (Unix ms)',
	next_starts_ms: 'Next start (Unix ms)',
	timer_ends_ms: 'Timer deadline (Unix ms)',
}

export const VARIABLES = [
	...Object.entries(DECK_FIELDS).map(([variableId, name]) => ({ variableId, name })),
	{ variableId: 'connected', name: 'Connected to Showcaller (true/false)' },
]

/**
 * The variable values for a deck view: every field as a string ("" for none), `connected` as "true"/"false".
 * @param {Record<string, any> | null} view
 * @param {boolean} connected
 */
export function variableValues(view, connected) {
	const values = {}
	for (const field of Object.keys(DECK_FIELDS)) {
		const value = view ? view[field] : undefined
		values[field] = value === null || value === undefined ? '' : String(value)
	}
	values.connected = connected ? 'true' : 'false'
	return values
}

/** The values that differ from `before` (what to send with setVariableValues). */
export function changedValues(before, after) {
	return Object.fromEntries(Object.entries(after).filter(([key, value]) => before[key] !== value))
}

/**
 * The actions, one per deck verb. Each callback answers the press's result ({ok, status, reason});
 * a refused press (409 after a double press, 404 for an unknown message id) is reported through `log`.
 * @param {import('./deck.js').DeckClient} client
 * @param {(level: string, message: string) => void} [log]
 */
export function actionDefinitions(client, log = () => {}) {
	const report = (name) => async (result) => {
		const answer = await result
		if (!answer.ok) log('warn', `${name}: ${answer.status || 'no answer'} ${answer.reason}`)
		return answer
	}
	const int = (id, label, fallback, min, max) => ({ type: 'number', id, label, default: fallback, min, max })
	return {
		next: {
			name: 'Next segment (advance from the one the key shows)',
			options: [],
			callback: () => report('Next')(client.next()),
		},
		hold_toggle: {
			name: 'Hold / resume auto-advance',
			options: [],
			callback: () => report('Hold')(client.holdToggle()),
		},
		delay: {
			name: 'Report a delay (minutes; negative: running early)',
			options: [int('minutes', 'Minutes', 1, -1440, 1440)],
			callback: (action) => report('Delay')(client.delay(action.options.minutes)),
		},
		timer_slot: {
			name: 'Start the timer of respondent slot n (current segment)',
			options: [int('slot', 'Slot', 1, 1, 100)],
			callback: (action) => report('Timer')(client.timerSlot(action.options.slot)),
		},
		timer_current: {
			name: 'Pause, resume, stop or add time to the current timer',
			options: [
				{
					type: 'dropdown',
					id: 'verb',
					label: 'Do',
					default: 'stop',
					choices: ['pause', 'resume', 'stop', 'add'].map((id) => ({ id, label: id })),
				},
				int('seconds', 'Seconds to add (add only; negative removes)', 30, -3600, 3600),
			],
			callback: (action) =>
				report('Timer')(client.timer(action.options.verb, action.options.seconds)),
		},
		stage_message: {
			name: "Show a stage message by its schedule id (stage.messages)",
			options: [
				{ type: 'textinput', id: 'message_id', label: 'Message id', default: 'wrap_up' },
				{ type: 'checkbox', id: 'flash', label: 'Flash', default: false },
				{ type: 'checkbox', id: 'blackout', label: 'Black out the presenter view', default: false },
			],
			callback: (action) =>
				report('Stage message')(
					client.stageMessage(action.options.message_id, {
						flash: action.options.flash,
						blackout: action.options.blackout,
					}),
				),
		},
		blackout_toggle: {
			name: 'Blackout: show a message alone on a black screen; press again to clear',
			options: [{ type: 'textinput', id: 'message_id', label: 'Message id', default: 'blackout' }],
			callback: (action) => report('Blackout')(client.blackoutToggle(action.options.message_id)),
		},
		stage_clear: {
			name: 'Clear the stage message',
			options: [],
			callback: () => report('Clear stage')(client.stageClear()),
		},
		undo: {
			name: 'Undo the last host action (within 2 minutes)',
			options: [],
			callback: () => report('Undo')(client.undo()),
		},
	}
}

const PHASES = ['normal', 'warning', 'danger', 'over']

/**
 * Boolean feedbacks over the locally ticked view.
 * @param {() => Record<string, any> | null} view
 * @param {() => boolean} connected
 */
export function feedbackDefinitions(view, connected) {
	return {
		phase: {
			type: 'boolean',
			name: 'Segment or timer phase is ...',
			defaultStyle: { bgcolor: COLOURS.warning, color: COLOURS.black },
			options: [
				{
					type: 'dropdown',
					id: 'what',
					label: 'Of',
					default: 'segment',
					choices: [
						{ id: 'segment', label: 'the segment' },
						{ id: 'timer', label: 'the timer' },
					],
				},
				{
					type: 'dropdown',
					id: 'phase',
					label: 'Phase',
					default: 'warning',
					choices: PHASES.map((id) => ({ id, label: id })),
				},
			],
			callback: (feedback) => {
				const deck = view()
				if (!deck) return false
				const field = feedback.options.what === 'timer' ? 'timer_phase' : 'phase'
				return deck[field] === feedback.options.phase
			},
		},
		held: {
			type: 'boolean',
			name: 'Auto-advance is held',
			defaultStyle: { bgcolor: COLOURS.held, color: COLOURS.white },
			options: [],
			callback: () => view()?.held === 'true',
		},
		over_time: {
			type: 'boolean',
			name: 'The segment (or timer) is over time',
			defaultStyle: { bgcolor: COLOURS.over, color: COLOURS.white },
			options: [
				{
					type: 'dropdown',
					id: 'what',
					label: 'Of',
					default: 'segment',
					choices: [
						{ id: 'segment', label: 'the segment' },
						{ id: 'timer', label: 'the timer' },
					],
				},
			],
			callback: (feedback) => view()?.[feedback.options.what === 'timer' ? 'timer_phase' : 'phase'] === 'over',
		},
		connected: {
			type: 'boolean',
			name: 'Connected to Showcaller',
			defaultStyle: { bgcolor: COLOURS.normal, color: COLOURS.white },
			options: [{ type: 'checkbox', id: 'invert_to_disconnected', label: 'True when disconnected', default: false }],
			callback: (feedback) => (feedback.options.invert_to_disconnected ? !connected() : connected()),
		},
	}
}

/** The phase colours a countdown key carries (normal green, warning amber, danger red, over dark red). */
function phaseFeedbacks(what) {
	return PHASES.map((phase) => ({
		feedbackId: 'phase',
		options: { what, phase },
		style: { bgcolor: COLOURS[phase], color: phase === 'warning' ? COLOURS.black : COLOURS.white },
	}))
}

const disconnectedGrey = {
	feedbackId: 'connected',
	options: { invert_to_disconnected: true },
	style: { bgcolor: COLOURS.disconnected, color: COLOURS.white },
}

function key(name, text, down, feedbacks = [], size = '14') {
	return {
		type: 'button',
		category: 'Stream Deck page (15 keys)',
		name,
		style: { text, size, color: COLOURS.white, bgcolor: COLOURS.black },
		steps: [{ down, up: [] }],
		feedbacks: [...feedbacks, disconnectedGrey],
	}
}

/**
 * The 15-key page (a Stream Deck MK.2: 5 x 3), in reading order. `label` is the connection's label
 * (variables read $(label:name)); message ids come from the connection's config.
 * @param {string} label
 * @param {{wrap_up_id?: string, blackout_id?: string}} [config]
 */
export function presetDefinitions(label, config = {}) {
	const v = (name) => `$(${label}:${name})`
	const wrapUp = config.wrap_up_id || 'wrap_up'
	const blackout = config.blackout_id || 'blackout'
	const keys = {
		current_title: key('Current title', v('current_title'), [], [], '7'),
		remaining: key('Remaining', `${v('remaining')}`, [], phaseFeedbacks('segment'), '24'),
		next: key('Next', `NEXT\\n${v('next_title')}`, [{ actionId: 'next', options: {} }], [], '7'),
		hold: key('Hold', 'HOLD', [{ actionId: 'hold_toggle', options: {} }], [
			{ feedbackId: 'held', options: {}, style: { bgcolor: COLOURS.held, color: COLOURS.white } },
		]),
		undo: key('Undo', 'UNDO', [{ actionId: 'undo', options: {} }]),
		delay_1: key('+1 min', '+1 min', [{ actionId: 'delay', options: { minutes: 1 } }]),
		delay_5: key('+5 min', '+5 min', [{ actionId: 'delay', options: { minutes: 5 } }]),
		wrap_up: key('Wrap up', 'WRAP UP', [
			{ actionId: 'stage_message', options: { message_id: wrapUp, flash: true, blackout: false } },
		]),
		blackout: key('Blackout', 'BLACK\\nOUT', [{ actionId: 'blackout_toggle', options: { message_id: blackout } }]),
		stop_timer: key('Stop timer', `STOP\\n${v('timer_remaining')}`, [
			{ actionId: 'timer_current', options: { verb: 'stop', seconds: 30 } },
		], phaseFeedbacks('timer'), '14'),
	}
	for (const slot of [1, 2, 3, 4]) {
		keys[`timer_${slot}`] = key(`Timer ${slot}`, `TIMER ${slot}`, [
			{ actionId: 'timer_slot', options: { slot } },
		])
	}
	keys.timer_remaining = key('Timer remaining', `${v('timer_remaining')}`, [], phaseFeedbacks('timer'), '24')
	return keys
}

/** Where each preset sits on the 15-key page (row, column). */
export const PAGE_LAYOUT = [
	['current_title', 'remaining', 'next', 'hold', 'undo'],
	['delay_1', 'delay_5', 'wrap_up', 'blackout', 'stop_timer'],
	['timer_1', 'timer_2', 'timer_3', 'timer_4', 'timer_remaining'],
]

/** The connection's settings in Companion. */
export const CONFIG_FIELDS = [
	{ type: 'textinput', id: 'url', label: 'Showcaller URL', width: 8, default: 'http://127.0.0.1:8000' },
	{ type: 'textinput', id: 'event_id', label: 'Event id (the schedule’s event.id)', width: 4, default: '' },
	{
		type: 'secret-text',
		id: 'token',
		label: 'Deck token (showcaller token create --role deck): kept in the secrets store, sent only as a header',
		width: 12,
		default: '',
	},
	{ type: 'textinput', id: 'wrap_up_id', label: 'Wrap up: stage message id', width: 6, default: 'wrap_up' },
	{ type: 'textinput', id: 'blackout_id', label: 'Blackout: stage message id', width: 6, default: 'blackout' },
]
