// A stand-in for Companion's module host: runs src/main.js as Companion does (a child process over
// Node's IPC channel, @companion-module/base's message protocol) so the tests drive the real entry
// point: register, init with a config and secrets, executeAction, and every call the module makes
// (setVariableValues, setPresetDefinitions, updateStatus, ...) recorded.

import { fork } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const EJSON = require('ejson')

export class ModuleHost extends EventEmitter {
	constructor() {
		super()
		this.variables = {}
		this.presets = {}
		this.actions = {}
		this.status = null
		this.logs = []
		this.pending = new Map()
		this.nextId = 1
	}

	start() {
		this.child = fork(fileURLToPath(new URL('../src/main.js', import.meta.url)), [], {
			env: {
				...process.env,
				CONNECTION_ID: 'showcaller-test',
				VERIFICATION_TOKEN: 'host-test',
				MODULE_MANIFEST: fileURLToPath(new URL('../companion/manifest.json', import.meta.url)),
			},
			stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
		})
		this.output = ''
		this.child.stdout.on('data', (chunk) => (this.output += chunk))
		this.child.stderr.on('data', (chunk) => (this.output += chunk))
		this.child.on('message', (msg) => this.#received(msg))
		return this.#when('register')
	}

	/** Call the module (init, executeAction, destroy): resolves with its answer. */
	call(name, payload, ms = 5000) {
		const callbackId = this.nextId++
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`${name}: no answer within ${ms} ms\n${this.output}`)), ms)
			this.pending.set(callbackId, { resolve, reject, timer })
			this.child.send({ direction: 'call', name, payload: EJSON.stringify(payload), callbackId })
		})
	}

	/** Resolves once `accept()` holds, re-checked after each call from the module (within `ms`). */
	until(accept, ms = 5000) {
		return new Promise((resolve, reject) => {
			if (accept()) return resolve()
			const timer = setTimeout(() => {
				this.off('call', check)
				reject(new Error(`not within ${ms} ms: ${accept}\nvariables: ${JSON.stringify(this.variables)}`))
			}, ms)
			const check = () => {
				if (accept()) {
					clearTimeout(timer)
					this.off('call', check)
					resolve()
				}
			}
			this.on('call', check)
		})
	}

	async stop() {
		if (!this.child || this.child.exitCode !== null) return
		await this.call('destroy', {}).catch(() => {})
		this.child.kill()
	}

	#when(name) {
		return new Promise((resolve) => this.once(`call:${name}`, resolve))
	}

	#received(msg) {
		if (msg.direction === 'response') {
			const waiting = this.pending.get(msg.callbackId)
			if (!waiting) return
			this.pending.delete(msg.callbackId)
			clearTimeout(waiting.timer)
			const data = msg.payload ? EJSON.parse(msg.payload) : undefined
			return msg.success ? waiting.resolve(data) : waiting.reject(new Error(JSON.stringify(data)))
		}
		const payload = msg.payload ? EJSON.parse(msg.payload) : undefined
		if (msg.name === 'setVariableValues' || msg.name === 'setVariableDefinitions') {
			for (const { id, value } of payload.newValues ?? []) this.variables[id] = value
		} else if (msg.name === 'setPresetDefinitions') {
			this.presets = Object.fromEntries(payload.presets.map((p) => [p.id, p]))
		} else if (msg.name === 'setActionDefinitions') {
			this.actions = Object.fromEntries(payload.actions.map((a) => [a.id, a]))
		} else if (msg.name === 'set-status') {
			this.status = payload
		} else if (msg.name === 'log-message') {
			this.logs.push(payload)
		}
		if (msg.callbackId) {
			this.child.send({ direction: 'response', callbackId: msg.callbackId, success: true, payload: EJSON.stringify({}) })
		}
		this.emit(`call:${msg.name}`, payload)
		this.emit('call', msg.name)
	}
}
