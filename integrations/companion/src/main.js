// The Companion entry point: glue between Companion's host (@companion-module/base) and the plain
// modules (src/deck.js, src/definitions.js), which the tests use without this file.

import { InstanceBase, InstanceStatus, runEntrypoint } from '@companion-module/base'
import WebSocket from 'ws'
import { DeckClient } from './deck.js'
import { actionDefinitions, CONFIG_FIELDS, feedbackDefinitions, presetDefinitions, VARIABLES } from './definitions.js'
import { VariableSync } from './sync.js'

class ShowcallerInstance extends InstanceBase {
	async init(config, _isFirstInit, secrets) {
		this.client = null
		this.sync = null
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
		})
		this.sync = new VariableSync(this.client, this)
		this.updateStatus(InstanceStatus.Connecting)
		this.sync.start()
		this.client.start()
	}

	getConfigFields() {
		return CONFIG_FIELDS
	}

	async destroy() {
		this.#disconnect()
	}

	#disconnect() {
		this.sync?.stop()
		this.sync = null
		this.client?.stop()
		this.client = null
	}
}

runEntrypoint(ShowcallerInstance, [])
