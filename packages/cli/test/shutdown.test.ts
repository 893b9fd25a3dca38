/**
 * The receiver stopped as Kubernetes stops a pod: SIGTERM, then SIGKILL after the grace period (30 s by default).
 * The receiver runs in a child process (`packages/cli/src/receiver.ts` through tsx); clients are raw sockets. With
 * the defaults it must exit inside the grace period, keep every deadline meanwhile (a sender stalled mid-body gets
 * its 408 at the request timeout, as without the signal), answer what it has begun with `Connection: close`, close
 * idle connections, and say it is stopping on `/healthz`.
 */
import * as http from "node:http"
import * as net from "node:net"
import { afterEach, assert, describe, it } from "@effect/vitest"
import { WebhookTesting } from "effect4-openai-webhooks"
import { killGroups, PATIENCE, within } from "../../engine/test/support/process.js"
import { RECEIVER_SOURCE } from "./support/apps.js"
import { type Receiver, receiverEnv, startReceiver } from "./support/receiver.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const RECEIVER = ["node", "--import", "tsx", RECEIVER_SOURCE]
/** Kubernetes' default `terminationGracePeriodSeconds`: SIGKILL comes this long after SIGTERM. */
const GRACE = 30_000

afterEach(killGroups)

const start = async (extra: NodeJS.ProcessEnv = {}): Promise<Receiver> =>
  startReceiver(RECEIVER, await receiverEnv({ OPENAI_WEBHOOK_SECRET: secret, ...extra }))

/** A raw connection: what it received, and its close. */
const open = (port: number) =>
  within(
    new Promise<{
      socket: net.Socket
      text: () => string
      closed: Promise<number>
      received: (what: string) => Promise<void>
    }>((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1")
      let text = ""
      socket.setEncoding("latin1")
      socket.on("data", (chunk: string) => (text += chunk))
      /** Resolves once `what` has been received. */
      const received = (what: string) =>
        within(
          new Promise<void>((done) => {
            const check = () => {
              if (!text.includes(what)) return
              socket.off("data", check)
              done()
            }
            socket.on("data", check)
            check()
          }),
          `${JSON.stringify(what)} from the receiver`
        )
      const closed = new Promise<number>((done) => socket.once("close", () => done(Date.now())))
      socket.once("error", reject)
      socket.once("connect", () => {
        socket.off("error", reject)
        socket.on("error", () => undefined)
        resolve({ socket, text: () => text, closed, received })
      })
    }),
    "a connection to the receiver"
  )

const delivery = () => {
  const signed = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("response.completed"), secret })
  const body = String(signed.body)
  const head = `POST /webhooks/openai HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
    Object.entries(signed.headers).map(([name, value]) => `${name}: ${value}\r\n`).join("") +
    `content-length: ${Buffer.byteLength(body)}\r\n\r\n`
  return { id: signed.headers["webhook-id"], head, body }
}

const statusOf = (text: string) => /^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1]

describe("the receiver on SIGTERM", () => {
  it(
    "with the defaults, a sender stalled mid-body gets its 408 at the request timeout and the receiver exits " +
      "inside Kubernetes' grace period",
    { timeout: 2 * PATIENCE },
    async () => {
      const receiver = await start()
      const stalled = await open(receiver.port)
      const { body, head } = delivery()
      const sent = Date.now()
      stalled.socket.write(head + body.slice(0, 40))
      receiver.child.kill("SIGTERM")
      const signalled = Date.now()
      await receiver.stdout.waitForLine({ message: "stopping: no new deliveries; waiting for those in flight" })
      const closedAt = await within(stalled.closed, "the stalled connection to be closed", GRACE)
      const exit = await within(receiver.exit, "the receiver to exit", GRACE)
      const exitedAt = Date.now()
      assert.strictEqual(statusOf(stalled.text()), "408", stalled.text())
      // WEBHOOK_REQUEST_TIMEOUT (15 s), counted from the first byte, noticed within a second.
      assert.isAtLeast(closedAt - sent, 15_000)
      assert.isBelow(closedAt - sent, 17_000)
      assert.deepStrictEqual(exit, { code: 0, signal: null })
      assert.isBelow(exitedAt - signalled, GRACE)
      await receiver.stdout.waitForLine({ message: "stopped" })
      assert.notInclude(receiver.stdout.text, "connections cut")
    }
  )

  it(
    "answers a delivery half sent at the signal with Connection: close, says 503 on /healthz, closes idle " +
      "keep-alive connections, and exits 0",
    { timeout: PATIENCE },
    async () => {
      const receiver = await start()
      // Answered once, then idle: a keep-alive connection.
      const idle = await open(receiver.port)
      idle.socket.write("GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
      await idle.received("{\"status\":\"ok\"}")
      // The next two are answered once first, so that the server has accepted them: a connection still in the
      // listening socket's backlog when the server stops listening is reset by the kernel and answered by nobody
      // (under load, SIGTERM can come before the accept). What they say after the signal is what follows `seen`.
      const accepted = async () => {
        const connection = await open(receiver.port)
        connection.socket.write("GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        await connection.received("{\"status\":\"ok\"}")
        const seen = connection.text().length
        return { ...connection, text: () => connection.text().slice(seen) }
      }
      const half = await accepted()
      const { body, head, id } = delivery()
      half.socket.write(head + body.slice(0, 40))
      // A health check whose request is on the wire when the signal comes.
      const health = await accepted()
      health.socket.write("GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n")

      receiver.child.kill("SIGTERM")
      await receiver.stdout.waitForLine({ message: "stopping: no new deliveries; waiting for those in flight" })
      half.socket.write(body.slice(40))
      health.socket.write("\r\n")

      const [idleClosed] = await Promise.all([
        within(idle.closed, "the idle connection to be closed"),
        within(half.closed, "the delivery's connection to be closed"),
        within(health.closed, "the health check's connection to be closed")
      ])
      assert.isNumber(idleClosed)
      // Nothing more was said on the idle connection than its one answer.
      assert.lengthOf(idle.text().match(/HTTP\/1\.1 /g) ?? [], 1)
      assert.strictEqual(statusOf(half.text()), "200", half.text())
      assert.match(half.text(), /\r\nconnection: close\r\n/i)
      assert.strictEqual(statusOf(health.text()), "503", health.text())
      assert.match(health.text(), /\r\nconnection: close\r\n/i)
      assert.include(health.text(), "{\"status\":\"stopping\"}")
      await receiver.stdout.waitForLine({ message: "processed", webhook_id: id })
      assert.deepStrictEqual(await within(receiver.exit, "the receiver to exit"), { code: 0, signal: null })
      const refused = await new Promise<string>((resolve) => {
        const socket = net.connect(receiver.port, "127.0.0.1")
        socket.once("connect", () => resolve("connected"))
        socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
      })
      assert.strictEqual(refused, "ECONNREFUSED")
    }
  )

  it(
    "under load with keep-alive, answers every delivery it processed, those after the signal with Connection: close, " +
      "and resets none",
    { timeout: PATIENCE },
    async () => {
      const receiver = await start()
      const agent = new http.Agent({ keepAlive: true, maxSockets: 16 })
      const outcomes = new Map<string, string>()
      let refused = false
      let answered = 0
      const client = async () => {
        while (!refused) {
          const signed = WebhookTesting.unsafeSign({ event: WebhookTesting.sample("response.completed"), secret })
          const id = signed.headers["webhook-id"]
          const outcome = await new Promise<string>((resolve) => {
            const request = http.request(receiver.url, {
              method: "POST",
              agent,
              headers: { ...signed.headers, "content-type": "application/json" }
            }, (response) => {
              response.resume()
              response.on("end", () => resolve(`${response.statusCode} ${response.headers.connection}`))
            })
            request.on("error", (error: NodeJS.ErrnoException) => resolve(`error ${error.code}`))
            request.end(String(signed.body))
          })
          outcomes.set(id, outcome)
          if (outcome.startsWith("200 ")) answered++
          if (outcome === "error ECONNREFUSED") refused = true
        }
      }
      const clients = Array.from({ length: 16 }, client)
      // Well under way: every connection has carried deliveries.
      await within(
        new Promise<void>((resolve) => {
          const check = () => (answered >= 200 ? resolve() : setImmediate(check))
          check()
        }),
        "200 deliveries answered"
      )
      receiver.child.kill("SIGTERM")
      await Promise.all(clients)
      agent.destroy()
      assert.deepStrictEqual(await within(receiver.exit, "the receiver to exit"), { code: 0, signal: null })
      await within(receiver.stdout.ended, "the receiver's output to end")
      const counts: Record<string, number> = {}
      for (const outcome of outcomes.values()) counts[outcome] = (counts[outcome] ?? 0) + 1
      // The only failures are new connections refused once it stopped listening: no reset, no hang-up.
      assert.deepStrictEqual(
        Object.keys(counts).filter((outcome) => !/^200 (keep-alive|close)$/.test(outcome)),
        ["error ECONNREFUSED"],
        JSON.stringify(counts)
      )
      assert.isAtLeast(counts["200 close"] ?? 0, 1)
      // Each delivery it processed was answered whole.
      const processed = receiver.stdout.lines.filter((line) => line["message"] === "processed")
      assert.isAtLeast(processed.length, answered)
      for (const line of processed) assert.match(outcomes.get(line["webhook_id"]!) ?? "", /^200 /)
    }
  )
})
