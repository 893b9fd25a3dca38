/**
 * The receiver as a user runs it: `npm start` in a child process on a loopback port, real signed
 * deliveries, its logfmt lines on stdout, and SIGTERM to stop it.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import * as http from "node:http"
import * as net from "node:net"
import { resolve } from "node:path"
import { promisify } from "node:util"
import { afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { WebhookEvent, WebhookTesting } from "../src/index.js"

const root = resolve(import.meta.dirname, "..")
const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const otherSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

/** How long a build, a start or an awaited log line may take before the test gives up. */
const PATIENCE = 60_000

/** Rejects when `promise` has not settled within `ms`: a deadline, not a delay. */
const within = <A>(promise: Promise<A>, what: string, ms: number = PATIENCE): Promise<A> => {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

type LogLine = Readonly<Record<string, string>>

/** One logfmt line (Effect's `Logger.logFmt` quotes values with JSON). */
const parseLogfmt = (line: string): LogLine => {
  const fields: Record<string, string> = {}
  for (const [, key, value] of line.matchAll(/([\w.]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    fields[key!] = value!.startsWith("\"") ? JSON.parse(value!) as string : value!
  }
  return fields
}

/** A child's output stream, accumulated, with a way to wait for something to appear in it. */
class Output {
  text = ""
  readonly ended: Promise<void>
  private readonly listeners = new Set<() => void>()

  constructor(stream: NodeJS.ReadableStream) {
    stream.setEncoding("utf8")
    stream.on("data", (chunk: string) => {
      this.text += chunk
      for (const listener of this.listeners) listener()
    })
    this.ended = new Promise((resolve) => stream.once("end", () => resolve()))
  }

  /** Every complete line, parsed as logfmt. */
  get lines(): ReadonlyArray<LogLine> {
    return this.text.split("\n").slice(0, -1).map(parseLogfmt)
  }

  /** Resolves with the first result of `find` that is not undefined, checked on every chunk. */
  waitFor<A>(what: string, find: (output: Output) => A | undefined): Promise<A> {
    return within(
      new Promise<A>((resolve) => {
        const check = () => {
          const found = find(this)
          if (found === undefined) return
          this.listeners.delete(check)
          resolve(found)
        }
        this.listeners.add(check)
        check()
      }),
      what
    )
  }

  /** Waits for the log line with these fields. */
  waitForLine(fields: LogLine): Promise<LogLine> {
    const matches = (line: LogLine) => Object.entries(fields).every(([key, value]) => line[key] === value)
    return this.waitFor(`a log line ${JSON.stringify(fields)}`, (output) => output.lines.find(matches))
  }
}

interface Receiver {
  readonly child: ChildProcess
  /** The webhook endpoint. */
  readonly url: string
  readonly origin: string
  readonly stdout: Output
  readonly stderr: Output
  readonly exit: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
}

const running = new Set<ChildProcess>()

afterEach(() => {
  // A failed test must not leave a receiver behind: kill its whole process group.
  for (const child of running) process.kill(-child.pid!, "SIGKILL")
  running.clear()
})

/** A port nobody listens on right now (the receiver refuses PORT=0). */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })

/** Starts `command` in its own process group and waits for the receiver's "listening on" line. */
const start = async (command: ReadonlyArray<string>, secretEnv: string | undefined): Promise<Receiver> => {
  const port = await freePort()
  const env: Record<string, string | undefined> = { ...process.env, HOST: "127.0.0.1", PORT: String(port) }
  env["LOG_LEVEL"] = "info"
  if (secretEnv === undefined) delete env["OPENAI_WEBHOOK_SECRET"]
  else env["OPENAI_WEBHOOK_SECRET"] = secretEnv
  const child = spawn(command[0]!, command.slice(1), {
    cwd: root,
    env,
    // Its own process group, so that the test can signal npm, sh and node together.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"]
  })
  running.add(child)
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child)
      resolve({ code, signal })
    })
  )
  const stdout = new Output(child.stdout!)
  const stderr = new Output(child.stderr!)
  const origin = `http://127.0.0.1:${port}`
  const url = `${origin}/webhooks/openai`
  await Promise.race([
    stdout.waitFor("the receiver to listen", (output) =>
      output.lines.find((line) => line["message"] === `listening on ${url}`)),
    exit.then(({ code, signal }) => {
      throw new Error(`${command.join(" ")} exited (${code ?? signal}) before listening:\n${stdout.text}${stderr.text}`)
    })
  ])
  return { child, url, origin, stdout, stderr, exit }
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
    await within(promisify(execFile)("npm", ["run", "build", "--silent"], { cwd: root }), "npm run build")
  }, PATIENCE)

  for (const keepAlive of [false, true]) {
  it(`on SIGTERM stops accepting, answers the delivery in flight (${keepAlive ? "keep-alive" : "connection: close"}), logs stopped and exits 0`, {
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
