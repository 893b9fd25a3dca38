/**
 * The receiver as a user runs it: `npm start` in a child process on a loopback port, real signed
 * deliveries, its logfmt lines on stdout, and SIGTERM to stop it.
 */
import { mkdtempSync, rmSync } from "node:fs"
import * as http from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { WebhookEvent, WebhookTesting } from "../src/index.js"
import { build, freePort, killGroups, PATIENCE, type Spawned, spawnGroup, within } from "./support/process.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const otherSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

interface Receiver extends Spawned {
  /** The webhook endpoint. */
  readonly url: string
  readonly origin: string
}

// A failed test must not leave a receiver behind: kill its whole process group.
afterEach(killGroups)

// Each receiver gets an inbox of its own: CI exports DATABASE_URL for PostgreSQL, and unset it means .data/.
const databases = mkdtempSync(join(tmpdir(), "receiver-"))
afterAll(() => rmSync(databases, { recursive: true, force: true }))

/** Starts `command` in its own process group and waits for the receiver's "listening on" line. */
const start = async (command: ReadonlyArray<string>, secretEnv: string | undefined): Promise<Receiver> => {
  const port = await freePort()
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: "127.0.0.1",
    PORT: String(port),
    DATABASE_URL: `sqlite:${mkdtempSync(join(databases, "test-"))}/x.sqlite`
  }
  env["LOG_LEVEL"] = "info"
  if (secretEnv === undefined) delete env["OPENAI_WEBHOOK_SECRET"]
  else env["OPENAI_WEBHOOK_SECRET"] = secretEnv
  const spawned = spawnGroup(command, env)
  const { exit, stderr, stdout } = spawned
  const origin = `http://127.0.0.1:${port}`
  const url = `${origin}/webhooks/openai`
  await Promise.race([
    stdout.waitFor("the receiver to listen", (output) =>
      output.lines.find((line) => line["message"] === `listening on ${url}`)),
    exit.then(({ code, signal }) => {
      throw new Error(`${command.join(" ")} exited (${code ?? signal}) before listening:\n${stdout.text}${stderr.text}`)
    })
  ])
  return { ...spawned, url, origin }
}

const post = async (url: string, delivery: WebhookTesting.Signed) => {
  const body = typeof delivery.body === "string" ? delivery.body : new Uint8Array(delivery.body)
  const response = await fetch(url, { method: "POST", headers: delivery.headers, body })
  return { status: response.status, body: await response.text() }
}

/** `npm start` is npm, then sh, then node: signal them all, as a terminal's Ctrl-C does. */
const stopGroup = async (receiver: Receiver) => {
  process.kill(-receiver.child.pid!, "SIGTERM")
  await receiver.stdout.waitForLine({ message: "stopped" })
  // Every process that held the pipe, the receiver included, has exited.
  await within(receiver.stdout.ended, "the receiver to exit")
}

describe("npm start", () => {
  it("serves /healthz, processes a delivery of every event type, rejects another secret, stops on SIGTERM", {
    timeout: 3 * PATIENCE
  }, async () => {
    const receiver = await start(["npm", "start"], secret)
    assert.notInclude(receiver.stderr.text, "OPENAI_WEBHOOK_SECRET is not set")

    const health = await fetch(`${receiver.origin}/healthz`)
    assert.strictEqual(health.status, 200)
    assert.deepStrictEqual(await health.json(), { status: "ok" })

    const samples = WebhookTesting.samples()
    assert.strictEqual(samples.length, WebhookEvent.EventType.literals.length)
    const deliveries = samples.map((event) => ({ event, signed: WebhookTesting.unsafeSign({ event, secret }) }))
    for (const { signed } of deliveries) {
      const reply = await post(receiver.url, signed)
      assert.strictEqual(reply.status, 200, reply.body)
      assert.deepStrictEqual(JSON.parse(reply.body), { received: true })
    }
    for (const { event, signed } of deliveries) {
      await receiver.stdout.waitForLine({
        message: "processed",
        webhook_id: signed.headers["webhook-id"],
        event_type: event._tag
      })
    }

    const forged = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("video.failed"), secret: otherSecret })
    const rejected = await post(receiver.url, forged)
    assert.strictEqual(rejected.status, 401)
    assert.deepStrictEqual(JSON.parse(rejected.body), {
      error: { type: "SignatureError", reason: "NoMatchingSignature" }
    })
    await receiver.stdout.waitForLine({ message: "rejected", webhook_id: forged.headers["webhook-id"] })

    // One line per delivery, and none of them shows the secret or a signature.
    const perDelivery = receiver.stdout.lines.filter((line) => line["webhook_id"] !== undefined)
    assert.strictEqual(perDelivery.length, deliveries.length + 1)
    for (const shown of [receiver.stdout.text, receiver.stderr.text]) {
      assert.notInclude(shown, secret.slice("whsec_".length))
      assert.notInclude(shown, forged.headers["webhook-signature"].slice("v1,".length))
    }

    await stopGroup(receiver)
  })

  it("without OPENAI_WEBHOOK_SECRET prints a development secret that signs deliveries", {
    timeout: 3 * PATIENCE
  }, async () => {
    const receiver = await start(["npm", "start"], undefined)
    const printed = await receiver.stderr.waitFor("the development secret", (output) => {
      if (!output.text.includes("OPENAI_WEBHOOK_SECRET is not set")) return undefined
      return /whsec_[A-Za-z0-9+/]+=*/.exec(output.text)?.[0]
    })
    assert.notStrictEqual(printed, secret)

    const signed = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("batch.completed"), secret: printed })
    const reply = await post(receiver.url, signed)
    assert.strictEqual(reply.status, 200, reply.body)
    await receiver.stdout.waitForLine({
      message: "processed",
      webhook_id: signed.headers["webhook-id"],
      event_type: "batch.completed"
    })

    // Deliveries signed with any other secret, OpenAI's included, are rejected until one is configured.
    const other = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("batch.completed"), secret })
    assert.strictEqual((await post(receiver.url, other)).status, 401)

    await stopGroup(receiver)
  })
})

describe("the receiver process that npm start runs", () => {
  beforeAll(async () => {
    await build()
  }, PATIENCE)

  for (const keepAlive of [false, true]) {
    const connection = keepAlive ? "keep-alive" : "connection: close"
    it(`on SIGTERM stops accepting, answers the delivery in flight (${connection}), logs stopped and exits 0`, {
      timeout: 2 * PATIENCE
    }, async () => {
      const receiver = await start(["node", "dist/bin/receiver.js"], secret)
      const signed = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("video.completed"), secret })
      const body = Buffer.from(signed.body)

      // `expect: 100-continue` holds the body back until the receiver has taken the request: then it is in
      // flight. `agent: false` asks for `connection: close`, so the receiver need not wait for an idle keep-alive.
      const request = http.request(receiver.url, {
        method: "POST",
        // With keep-alive, the receiver must close the connection after answering, or it would never stop.
        agent: keepAlive ? new http.Agent({ keepAlive: true }) : false,
        headers: { ...signed.headers, "content-length": String(body.length), expect: "100-continue" }
      })
      const continued = within(new Promise<void>((resolve) => request.once("continue", resolve)), "100 Continue")
      const answered = within(
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          request.once("error", reject)
          request.once("response", (response) => {
            if (keepAlive) assert.strictEqual(response.headers["connection"], "close")
            const chunks: Array<Buffer> = []
            response.on("data", (chunk: Buffer) => chunks.push(chunk))
            response.once("end", () =>
              resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }))
          })
        }),
        "the answer to the delivery in flight"
      )
      request.flushHeaders()
      await continued

      receiver.child.kill("SIGTERM")
      await receiver.stdout.waitForLine({ message: "stopping: no new deliveries; waiting for those in flight" })
      request.end(body)

      const reply = await answered
      assert.strictEqual(reply.status, 200, reply.body)
      assert.deepStrictEqual(await within(receiver.exit, "the receiver to exit"), { code: 0, signal: null })
      await within(receiver.stdout.ended, "the end of the receiver's output")
      const messages = receiver.stdout.lines.map((line) => line["message"])
      const processed = receiver.stdout.lines.findIndex((line) =>
        line["message"] === "processed" && line["webhook_id"] === signed.headers["webhook-id"]
      )
      assert.isAbove(processed, messages.indexOf("stopping: no new deliveries; waiting for those in flight"))
      assert.strictEqual(messages.at(-1), "stopped")
    })
  }
})
