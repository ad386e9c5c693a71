// The deck's countdown text, ticked locally between WebSocket frames.
//
// The service pushes the deck object (app/views/deck.py) on every change, with deadlines in Unix
// milliseconds and its own time (`server_time_ms`). Between frames the module counts down from
// those deadlines against the service's clock (the frame's server time plus the time elapsed on
// this machine since it arrived), so a key's remaining time moves every second without polling and
// without trusting this machine's clock to agree with the server's.

/**
 * A countdown as a key shows it, exactly as the service writes it (app/views/deck.py `clock`):
 * 04:59, 1:04:59, -00:12 once over, "" for none. Whole seconds round up while counting down and
 * away from zero once over.
 * @param {number | null | undefined} seconds
 * @returns {string}
 */
export function clock(seconds) {
	if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return ''
	const whole = seconds >= 0 ? Math.ceil(seconds) : -Math.ceil(-seconds)
	const sign = whole < 0 ? '-' : ''
	const abs = Math.abs(whole)
	const hours = Math.floor(abs / 3600)
	const minutes = Math.floor((abs % 3600) / 60)
	const secs = abs % 60
	const two = (n) => String(n).padStart(2, '0')
	return hours ? `${sign}${hours}:${two(minutes)}:${two(secs)}` : `${sign}${two(minutes)}:${two(secs)}`
}

/**
 * The deck object as it stands `localNow` milliseconds (this machine's clock), given the frame
 * received at `receivedAt` (this machine's clock). Only the counting fields move: `remaining`
 * (the segment: never below 00:00, as the service shows a held segment past its end),
 * `timer_remaining` (a running timer: may go negative), and the phases once a deadline passes
 * (`over`; warning and danger come from the service, which knows the schedule's thresholds).
 * @param {Record<string, any> | null} deck
 * @param {number} receivedAt
 * @param {number} localNow
 * @returns {Record<string, any> | null}
 */
export function ticked(deck, receivedAt, localNow) {
	if (!deck) return deck
	const serverNow = Number(deck.server_time_ms) + Math.max(0, localNow - receivedAt)
	const out = { ...deck }
	if (deck.current_id && typeof deck.segment_ends_ms === 'number') {
		const left = Math.max(0, (deck.segment_ends_ms - serverNow) / 1000)
		out.remaining = clock(left)
		if (left <= 0) out.phase = 'over'
	}
	if (deck.timer_id && deck.timer_status === 'running' && typeof deck.timer_ends_ms === 'number') {
		const left = (deck.timer_ends_ms - serverNow) / 1000
		out.timer_remaining = clock(left)
		if (left <= 0) out.timer_phase = 'over'
	}
	return out // server_time_ms stays the frame's: a variable that changed every tick would re-check every feedback
}

/**
 * The wait before reconnect attempt `attempt` (0 for the first): doubling from `initial` up to
 * `max`, with up to `jitter` of it added at random so several decks do not reconnect in step
 * after a restart.
 * @param {number} attempt
 * @param {{initial?: number, max?: number, jitter?: number, random?: () => number}} [options]
 */
export function backoff(attempt, { initial = 500, max = 15000, jitter = 0.2, random = Math.random } = {}) {
	const base = Math.min(max, initial * 2 ** Math.max(0, attempt))
	return Math.round(base + base * jitter * random())
}
