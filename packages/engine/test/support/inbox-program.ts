/**
 * The README's inbox example run as a user runs it (`npx tsx inbox.ts`), for both editions' examples tests: in a
 * folder of its own, where its SQLite file goes, on a free port. Effect-free: each edition signs the delivery with
 * its own `WebhookTesting` and names its own file.
 */
import { existsSync, mkdtempSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { assert } from "vitest"
import { type Exit, freePort, spawnGroup, within } from "./process.js"

export interface InboxProgram {
  /** The example's file. */
  readonly file: string
  /** The secret it reads from OPENAI_WEBHOOK_SECRET. */
  readonly secret: string
  /** A `batch.completed` delivery signed with `secret`. */
  readonly delivery: { readonly headers: Readonly<Record<string, string>>; readonly body: string }
  /** How the program ends after Ctrl-C. */
  readonly interrupted: Exit
}

/**
 * Its server answers the delivery `queued`, its workers run the handler (which logs `handling batch.completed`)
 * once, a second copy is answered `duplicate`, the SQLite file is there, and Ctrl-C stops both, ending as
 * `interrupted` says. On the Node.js that runs the test.
 */
export const inboxProgramRuns = async (program: InboxProgram): Promise<void> => {
  const cwd = mkdtempSync(join(tmpdir(), "inbox-example-"))
  const port = await freePort()
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href
  const running = spawnGroup(
    [process.execPath, "--import", tsx, program.file],
    { ...process.env, OPENAI_WEBHOOK_SECRET: program.secret, PORT: String(port) },
    cwd
  )
  const output = () => running.stdout.text + running.stderr.text
  await running.stdout.waitFor("the server to listen", (out) => out.text.includes("Listening on") || undefined)
  const send = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/webhooks/openai`, {
      method: "POST",
      headers: program.delivery.headers,
      body: program.delivery.body
    })
    return { status: response.status, body: await response.json() }
  }
  assert.deepStrictEqual(await send(), { status: 200, body: { received: true, queued: true } })
  await running.stdout.waitFor("the workers to run the handler", (out) =>
    out.text.includes("handling batch.completed") || undefined)
  assert.deepStrictEqual(await send(), { status: 200, body: { received: true, duplicate: true } })
  assert.isTrue(existsSync(join(cwd, "openai-webhooks.sqlite")), output())

  process.kill(-running.child.pid!, "SIGINT")
  const exit = await within(running.exit, "the program to stop")
  assert.deepStrictEqual(exit, program.interrupted, output())
  assert.strictEqual(running.stdout.text.split("handling batch.completed").length - 1, 1, output())
}
