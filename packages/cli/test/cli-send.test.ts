/**
 * `openai-webhooks send` doing what was meant: a port fetch refuses (6000) reached all the same, `--data` merged
 * over the sample's data, and `--fail`, the documented way to make the development receiver fail a delivery: sent,
 * seen failed in `inbox list`, recovered. Real HTTP servers on loopback, the built command, a real SQLite file.
 */
import * as http from "node:http"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, afterEach, assert, beforeAll, describe, it } from "@effect/vitest"
import { Events } from "openai-webhooks-engine"
import {
  build,
  freePort,
  killGroups,
  linesOf,
  PATIENCE,
  type Run,
  runToEnd,
  spawnGroup,
  within
} from "../../engine/test/support/process.js"
import { CLI } from "./support/apps.js"

const secret = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const directory = mkdtempSync(join(tmpdir(), "cli-send-"))

beforeAll(build, PATIENCE)
afterEach(killGroups)
afterAll(() => rmSync(directory, { recursive: true, force: true }))

const cli = (args: ReadonlyArray<string>): Promise<Run> => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" }
  delete env["OPENAI_WEBHOOK_SECRET"]
  delete env["DATABASE_URL"]
  return runToEnd(["node", CLI, ...args], env)
}

interface Received {
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

/** A plain HTTP server on `port` (0: any) that answers 200 and hands over each request it got. */
const listen = async (port: number) => {
  const received: Array<Received> = []
  const server = http.createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") })
      response.writeHead(200, { "content-type": "application/json" }).end("{\"ok\":true}")
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => resolve())
  })
  const { port: bound } = server.address() as import("node:net").AddressInfo
  return { received, url: `http://127.0.0.1:${bound}/webhooks/openai`, close: () => server.close() }
}

describe("send, to what it was pointed at", () => {
  it("reaches a receiver on a port fetch refuses as a \"bad port\" (6000, else another of fetch's list)", async () => {
    let server: Awaited<ReturnType<typeof listen>> | undefined
    // fetch's bad ports (https://fetch.spec.whatwg.org/#port-blocking): one of them is free here.
    for (const port of [6000, 6665, 6666, 6667, 6668, 6669, 10080]) {
      server = await listen(port).catch(() => undefined)
      if (server !== undefined) break
    }
    assert.isDefined(server, "none of fetch's bad ports is free")
    try {
      const run = await cli(["send", "batch.completed", "--url", server!.url, "--secret", secret])
      assert.strictEqual(run.code, 0, run.stderr)
      assert.match(run.stdout, /^200 batch\.completed msg_[0-9a-f]{32} \{"ok":true\}\n$/)
      assert.strictEqual(server!.received.length, 1)
      assert.match(String(server!.received[0]!.headers["webhook-signature"]), /^v1,/)
    } finally {
      server!.close()
    }
  })

  it("merges --data over the sample's data, key by key at every depth, and keeps the rest", async () => {
    const server = await listen(0)
    try {
      const type = "realtime.call.incoming"
      const run = await cli(["send", type, "--url", server.url, "--secret", secret, "--data", "{\"call_id\":\"c1\"}"])
      assert.strictEqual(run.code, 0, run.stderr)
      const sent = JSON.parse(server.received[0]!.body)
      const sample = Events.get(type).sample.data
      assert.deepStrictEqual(sent.data, { ...sample, call_id: "c1" })
      assert.isAbove(Object.keys(sample).length, 1)
    } finally {
      server.close()
    }
  })

  it("points a --data that does not fit at the type's fields, which events <type> shows", async () => {
    const run = await cli(["send", "realtime.call.incoming", "--secret", secret, "--data", "{\"call_id\":5}"])
    assert.strictEqual(run.code, 2, run.stderr)
    const [error, hint] = linesOf(run.stderr)
    assert.match(error!, /^error: --data does not fit realtime\.call\.incoming: .*call_id/)
    assert.strictEqual(
      hint,
      "hint: see realtime.call.incoming's fields and sample: openai-webhooks events realtime.call.incoming"
    )
    const events = await cli(["events", "realtime.call.incoming"])
    assert.strictEqual(events.code, 0, events.stderr)
    assert.match(events.stdout, /^ {2}call_id: string {2}\S/m)
    assert.include(events.stdout, "\"call_id\": \"rtc_")
  })
})

describe("send --fail: a failure to look at, with the development receiver", () => {
  it("fails in the example handler, shows as failed in inbox list, and is queued again by inbox recover", {
    timeout: 3 * PATIENCE
  }, async () => {
    const port = await freePort()
    const database = `sqlite:${join(directory, "fail.sqlite")}`
    const env: NodeJS.ProcessEnv = { ...process.env, OPENAI_WEBHOOK_SECRET: secret, HOST: "127.0.0.1", NO_COLOR: "1" }
    delete env["DATABASE_URL"]
    const receiver = spawnGroup(
      ["node", CLI, "serve", "--port", String(port), "--mode", "inline", "--database", database],
      env
    )
    const url = `http://127.0.0.1:${port}/webhooks/openai`
    await receiver.stdout.waitFor("the receiver to listen", (output) => output.text.includes("listening on") || undefined)

    const sent = await cli(["send", "response.failed", "--fail", "--url", url, "--secret", secret])
    assert.strictEqual(sent.code, 1, sent.stdout + sent.stderr)
    const id = /^500 response\.failed (fail_[0-9a-f]{32}) /.exec(sent.stdout)?.[1]
    assert.isDefined(id, sent.stdout)
    assert.match(sent.stderr, /^hint: expected with --fail: .*inbox list --status failed/m)

    const list = await cli(["inbox", "list", "--status", "failed", "--type", "response", "--json", "--database", database])
    assert.strictEqual(list.code, 0, list.stderr)
    const failed = JSON.parse(list.stdout).deliveries
    assert.deepStrictEqual(failed.map((delivery: { webhookId: string }) => delivery.webhookId), [id])
    assert.match(failed[0].lastError, /fail_/)

    // An ordinary delivery beside it is not failed: the mark is in the id only.
    const ok = await cli(["send", "response.failed", "--url", url, "--secret", secret])
    assert.strictEqual(ok.code, 0, ok.stderr)

    const recovered = await cli(["inbox", "recover", "--since", "1h", "--json", "--database", database])
    assert.strictEqual(recovered.code, 0, recovered.stderr)
    assert.strictEqual(JSON.parse(recovered.stdout).recovered, 1)
    // The receiver's worker runs it again, and the handler fails it again: a second attempt.
    await within(
      (async () => {
        for (;;) {
          const show = await cli(["inbox", "show", id!, "--json", "--database", database])
          const detail = JSON.parse(show.stdout)
          if (detail.attempts >= 2 || (detail.history ?? []).length >= 2) return detail
          await new Promise((resolve) => setTimeout(resolve, 250))
        }
      })(),
      "the recovered delivery's second attempt"
    )
  })
})
