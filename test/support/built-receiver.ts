/**
 * The built receiver (`dist/`, see `build`) in a child process on a free loopback port, and the
 * PostgreSQL server the tests may use.
 */
import { freePort, type Spawned, spawnGroup } from "../../packages/engine/test/support/process.js"

export interface Receiver extends Spawned {
  readonly port: number
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** The webhook endpoint. */
  readonly url: string
}

/**
 * Starts the receiver, `command(port)` (`node packages/cli/dist/receiver.js`, or `node packages/cli/dist/cli.js
 * serve ...`), on 127.0.0.1 with `env` over this process's environment, and waits for its "listening on" line. Rejects
 * with its output when it exits before.
 */
export const startReceiver = async (
  command: (port: number) => ReadonlyArray<string>,
  env: NodeJS.ProcessEnv
): Promise<Receiver> => {
  const port = await freePort()
  const args = command(port)
  const spawned = spawnGroup(args, { ...process.env, HOST: "127.0.0.1", PORT: String(port), LOG_LEVEL: "info", ...env })
  const { exit, stderr, stdout } = spawned
  const origin = `http://127.0.0.1:${port}`
  const url = `${origin}/webhooks/openai`
  await Promise.race([
    stdout.waitFor("the receiver to listen", (output) =>
      output.lines.find((line) => line["message"] === `listening on ${url}`)),
    exit.then(({ code, signal }) => {
      throw new Error(`${args.join(" ")} exited (${code ?? signal}) before listening:\n${stdout.text}${stderr.text}`)
    })
  ])
  return { ...spawned, port, origin, url }
}

// The PostgreSQL server and when its tests are skipped: one rule for both editions' tests, in the engine's.
export { postgresUrl, requirePostgres, skipPostgres } from "../../packages/engine/test/support/postgres.js"
