// The connection to one Showcaller event's deck surface (docs/stream-deck.md), without Companion.
//
// - State: a WebSocket to /api/events/{id}/deck/ws, opened with a single-use ticket from
//   POST .../deck/ticket (the deck token goes only in that request's Authorization header, never in
//   a URL). Each frame is the whole deck object; between frames `view()` counts down locally from
//   its deadlines (src/clock.js). A closed socket reconnects with a doubling back-off; a frame resets it.
// - Actions: one POST per key press, echoing what the key showed (`from` = current_id for Next, `seq`
//   for the rest), so a double press acts once. Every HTTP call is aborted after `timeoutMs` (3 s by
//   default), under Companion's 5 s limit for an action call.

import { EventEmitter } from 'node:events'
import { backoff, ticked } from './clock.js'

export const DEFAULT_TIMEOUT_MS = 3000

/** The module's HTTP calls: one per press, plus the ticket before each connection. */
export class DeckClient extends EventEmitter {
	/**
	 * @param {object} options
	 * @param {string} options.url the service, e.g. http://127.0.0.1:8000
	 * @param {string} options.eventId the schedule's event id
	 * @param {string} options.token a deck token (`showcaller token create --role deck`)
	 * @param {number} [options.timeoutMs] abort every HTTP call after this long
	 * @param {typeof globalThis.WebSocket} [options.WebSocket] a WHATWG-style WebSocket class (`ws`'s works)
	 * @param {typeof globalThis.fetch} [options.fetch]
	 * @param {() => number} [options.now] this machine's clock in ms
	 * @param {object} [options.backoff] see clock.js `backoff`
	 * @param {{set: typeof setTimeout, clear: typeof clearTimeout}} [options.timers] the reconnect's timers (tests)
	 */
	constructor({ url, eventId, token, timeoutMs = DEFAULT_TIMEOUT_MS, WebSocket, fetch, now, backoff: retry, timers } = {}) {
		super()
		if (!url || !eventId || !token) throw new Error('the service URL, the event id and a deck token are all needed')
		this.base = `${String(url).replace(/\/+$/, '')}/api/events/${encodeURIComponent(eventId)}/deck`
		this.token = token
		this.timeoutMs = timeoutMs
		this.WebSocket = WebSocket ?? globalThis.WebSocket
		this.fetch = fetch ?? globalThis.fetch
		this.now = now ?? Date.now
		this.retry = retry ?? {}
		this.timers = timers ?? { set: setTimeout, clear: clearTimeout }
		/** @type {Record<string, any> | null} the last frame */
		this.deck = null
		this.receivedAt = 0
		this.connected = false
		this.lastError = ''
		this.attempt = 0
		this.socket = null
		this.reconnectTimer = null
		this.stopped = true
	}

	/** Connect, and keep reconnecting until stop(). */
	start() {
		this.stopped = false
		this.#connect()
	}

	/** Close the socket and stop reconnecting. */
	stop() {
		this.stopped = true
		this.timers.clear(this.reconnectTimer)
		this.reconnectTimer = null
		const socket = this.socket
		this.socket = null
		if (socket) socket.close(1000)
		this.#status(false, 'stopped')
	}

	/** The deck object now, counted down locally since the last frame (null before the first). */
	view(localNow = this.now()) {
		return ticked(this.deck, this.receivedAt, localNow)
	}

	/** A frame whose seq differs from `seq` (or any frame that `accept` takes), within `ms`. */
	waitFor(accept, ms = 5000) {
		return new Promise((resolve, reject) => {
			if (this.deck && accept(this.deck)) return resolve(this.deck)
			const timer = setTimeout(() => {
				this.off('deck', listener)
				reject(new Error(`no matching deck frame within ${ms} ms (last: ${JSON.stringify(this.deck)})`))
			}, ms)
			const listener = (deck) => {
				if (accept(deck)) {
					clearTimeout(timer)
					this.off('deck', listener)
					resolve(deck)
				}
			}
			this.on('deck', listener)
		})
	}

	// --- the deck verbs (docs/stream-deck.md, "What a key presses") ------------------------------

	next() {
		return this.press('advance', { from: this.deck?.current_id ?? '' }, false)
	}
	holdToggle() {
		return this.press('hold/toggle')
	}
	delay(minutes) {
		return this.press(`delay/${Math.trunc(Number(minutes))}`)
	}
	timerSlot(slot) {
		return this.press(`timers/slot/${Math.trunc(Number(slot))}`)
	}
	/** pause, resume, stop, or add `seconds` (negative: remove) to the timer the presenter view shows. */
	timer(verb, seconds = 30) {
		return this.press(`timers/current/${verb}`, verb === 'add' ? { seconds: Math.trunc(Number(seconds)) } : {})
	}
	stageMessage(id, { flash = false, blackout = false } = {}) {
		const params = {}
		if (flash) params.flash = 'true'
		if (blackout) params.blackout = 'true'
		return this.press(`stage/messages/${encodeURIComponent(id)}`, params)
	}
	stageClear() {
		return this.press('stage/clear')
	}
	/** Black out with message `id`; a second press (a message is shown) clears the stage. */
	blackoutToggle(id) {
		return this.deck?.message ? this.stageClear() : this.stageMessage(id, { blackout: true })
	}
	undo() {
		return this.press('undo')
	}

	/**
	 * One key press: POST .../deck/{path} with no body, echoing `seq` unless `withSeq` is false.
	 * Never throws: answers {ok, status, reason, body}; status 0 when the service did not answer in time.
	 */
	async press(path, params = {}, withSeq = true) {
		const query = new URLSearchParams(params)
		if (withSeq) query.set('seq', this.deck?.seq ?? '0')
		const suffix = query.toString() ? `?${query}` : ''
		return this.#request('POST', `/${path}${suffix}`)
	}

	/** The deck object by plain HTTP (GET .../deck), for a client that does not keep a socket. */
	async fetchState() {
		const answer = await this.#request('GET', '')
		if (answer.ok) this.#frame(answer.body)
		return answer
	}

	async #request(method, path) {
		// A timer of our own rather than AbortSignal.timeout(), whose timer does not keep the process alive.
		const abort = new AbortController()
		const timer = setTimeout(() => abort.abort(new DOMException('timed out', 'TimeoutError')), this.timeoutMs)
		try {
			const response = await this.fetch(`${this.base}${path}`, {
				method,
				headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json' },
				signal: abort.signal,
			})
			const text = await response.text()
			let body = {}
			try {
				body = text ? JSON.parse(text) : {}
			} catch {
				body = { reason: text }
			}
			return { ok: response.ok, status: response.status, reason: response.ok ? '' : body.reason || '', body }
		} catch (error) {
			const timedOut = error?.name === 'TimeoutError' || error?.name === 'AbortError'
			const reason = timedOut ? `no answer within ${this.timeoutMs} ms` : `${error?.cause?.code || error?.message}`
			return { ok: false, status: 0, reason, body: {} }
		} finally {
			clearTimeout(timer)
		}
	}

	async #connect() {
		if (this.stopped) return
		const ticket = await this.#request('POST', '/ticket')
		if (this.stopped) return
		if (!ticket.ok || !ticket.body.ticket) {
			this.#lost(`ticket refused: ${ticket.status} ${ticket.reason}`)
			return
		}
		const wsUrl = `${this.base.replace(/^http/, 'ws')}/ws?ticket=${encodeURIComponent(ticket.body.ticket)}`
		let socket
		try {
			socket = new this.WebSocket(wsUrl)
		} catch (error) {
			this.#lost(`cannot open the WebSocket: ${error.message}`)
			return
		}
		this.socket = socket
		let refusal = ''
		socket.addEventListener('message', (event) => {
			let frame
			try {
				frame = JSON.parse(String(event.data))
			} catch {
				return
			}
			if (frame && frame.error) {
				refusal = `${frame.error}: ${frame.reason}`
				return
			}
			this.attempt = 0
			this.#status(true, '')
			this.#frame(frame)
		})
		socket.addEventListener('error', () => {}) // 'close' follows and reconnects
		socket.addEventListener('close', (event) => {
			if (this.socket !== socket) return
			this.socket = null
			const why = refusal || (event.code === 1012 ? 'the service restarted' : `closed (${event.code})`)
			this.#lost(why)
		})
	}

	#frame(frame) {
		this.deck = frame
		this.receivedAt = this.now()
		this.emit('deck', frame)
	}

	#lost(reason) {
		this.#status(false, reason)
		if (this.stopped) return
		const wait = backoff(this.attempt++, this.retry)
		this.timers.clear(this.reconnectTimer)
		this.reconnectTimer = this.timers.set(() => this.#connect(), wait)
	}

	#status(connected, reason) {
		const changed = connected !== this.connected || reason !== this.lastError
		this.connected = connected
		this.lastError = reason
		if (changed) this.emit('status', { connected, reason })
	}
}
