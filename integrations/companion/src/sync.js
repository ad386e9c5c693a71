// Keeps Companion's variables and feedbacks in step with a DeckClient: on every frame, on every
// change of connection, and on a timer for the local countdown (TICK_MS), sending only the values
// that changed (setVariableValues) and re-checking feedbacks when anything did.

import { changedValues, variableValues } from './definitions.js'

// Four times a second: a key's remaining time moves within 250 ms of the second it shows changing.
export const TICK_MS = 250

export class VariableSync {
	/**
	 * @param {import('./deck.js').DeckClient} client
	 * @param {{setVariableValues: (values: Record<string, string>) => void, checkFeedbacks: () => void}} host
	 * @param {{tickMs?: number, timers?: {every: typeof setInterval, cancel: typeof clearInterval}}} [options]
	 */
	constructor(client, host, { tickMs = TICK_MS, timers } = {}) {
		this.client = client
		this.host = host
		this.tickMs = tickMs
		this.timers = timers ?? { every: setInterval, cancel: clearInterval }
		this.values = {}
		this.ticker = null
		this.onChange = () => this.refresh()
	}

	start() {
		this.client.on('deck', this.onChange)
		this.client.on('status', this.onChange)
		this.ticker = this.timers.every(() => this.refresh(), this.tickMs)
		this.refresh()
	}

	stop() {
		this.client.off('deck', this.onChange)
		this.client.off('status', this.onChange)
		this.timers.cancel(this.ticker)
		this.ticker = null
	}

	/** Send what changed since the last call; answers the changed values. */
	refresh(localNow) {
		const values = variableValues(this.client.view(localNow), this.client.connected)
		const changed = changedValues(this.values, values)
		if (Object.keys(changed).length === 0) return changed
		this.values = values
		this.host.setVariableValues(changed)
		this.host.checkFeedbacks()
		return changed
	}
}
