// The Companion entry point: glue between Companion's host (@companion-module/base) and the plain
// modules (src/deck.js, src/definitions.js), which the tests use without this file.

import { InstanceBase, InstanceStatus, runEntrypoint } from '@companion-module/base'
import WebSocket from 'ws'
import { DeckClient } from './deck.js'
import {
	actionDefinitions,
	changedValues,
	CONFIG_FIELDS,
	feedbackDefinitions,
	presetDefinitions,
	variableValues,
	VARIABLES,
} from './definitions.js'

// Variables and feedbacks follow the local countdown four times a second: a key's remaining time
// moves within 250 ms of the second it shows changing.
export const TICK_MS = 250

class ShowcallerInstance extends InstanceBase {
	async init(config, _isFirstInit, secrets) {
		this.values = {}
		this.client = null
		this.ticker = null
		await this.configUpdated(config, secrets)
	}

	async configUpdated(config, secrets) {
		this.config = config
		this.token = secrets?.token ?? this.token ?? ''
		this.#disconnect()
		this.setVariableDefinitions(VARIABLES)
		this.setFeedbackDefinitions(
			feedbackDefinitions(
				() => this.client?.view() ?? null,
				() => Boolean(this.client?.connected),
			),
		)
		if (!config.url || !config.event_id || !this.token) {
			this.setActionDefinitions({})
			this.updateStatus(InstanceStatus.BadConfig, 'set the URL, the event id and a deck token')
			return
		}
		this.client = new DeckClient({ url: config.url, eventId: config.event_id, token: this.token, WebSocket })
		this.setActionDefinitions(actionDefinitions(this.client, (level, message) => this.log(level, message)))
		this.setPresetDefinitions(presetDefinitions(this.label, config))
		this.client.on('status', ({ connected, reason }) => {
			this.updateStatus(connected ? InstanceStatus.Ok : InstanceStatus.Connecting, reason || null)
			this.#refresh()
		})
		this.client.on('deck', () => this.#refresh())
		this.updateStatus(InstanceStatus.Connecting)
		this.client.start()
		this.ticker = setInterval(() => this.#refresh(), TICK_MS)
	}

	getConfigFields() {
		return CONFIG_FIELDS
	}

	async destroy() {
		this.#disconnect()
	}

	#refresh() {
		const values = variableValues(this.client?.view() ?? null, Boolean(this.client?.connected))
		const changed = changedValues(this.values, values)
		if (Object.keys(changed).length === 0) return
		this.values = values
		this.setVariableValues(changed)
		this.checkFeedbacks()
	}

	#disconnect() {
		clearInterval(this.ticker)
		this.ticker = null
		this.client?.stop()
		this.client = null
	}
}

runEntrypoint(ShowcallerInstance, [])
