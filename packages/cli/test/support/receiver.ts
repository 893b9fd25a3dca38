/**
 * The receiver in a child process, as the end-to-end tests start and stop it: its own process group, its
 * "listening on" line awaited, SIGTERM to stop it.
 */
import { freePort, type Spawned, spawnGroup, within } from "../../../engine/test/support/process.js"

export interface Receiver extends Spawned {
  /** The webhook endpoint. */
  readonly url: string
  readonly origin: string
  readonly port: number
}

/** The receiver's environment in a test: this process's, a free loopback port, an in-memory inbox, then `extra`. */
export const receiverEnv = async (extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> => ({
  ...process.env,
  HOST: "127.0.0.1",
  PORT: String(await freePort()),
  DATABASE_URL: "memory",
  LOG_LEVEL: "info",
  ...extra
})

/** Starts `command` with exactly `env` (its `PORT` on 127.0.0.1) and waits for the receiver's "listening on" line. */
export const startReceiver = async (command: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Promise<Receiver> => {
  const port = Number(env["PORT"])
  const spawned = spawnGroup(command, env)
  const { exit, stderr, stdout } = spawned
  const origin = `http://127.0.0.1:${port}`
  const url = `${origin}${env["WEBHOOK_PATH"] ?? "/webhooks/openai"}`
  await Promise.race([
    stdout.waitFor("the receiver to listen", (output) =>
      output.lines.find((line) => line["message"] === `listening on ${url}`)),
    exit.then(({ code, signal }) => {
      throw new Error(`${command.join(" ")} exited (${code ?? signal}) before listening:\n${stdout.text}${stderr.text}`)
    })
  ])
  return { ...spawned, url, origin, port }
}

/** SIGTERM to the receiver's whole process group (`npm start` is npm, then sh, then node), as Ctrl-C does. */
export const stopReceiver = async (receiver: Receiver): Promise<void> => {
  process.kill(-receiver.child.pid!, "SIGTERM")
  await receiver.stdout.waitForLine({ message: "stopped" })
  // Every process that held the pipe, the receiver included, has exited.
  await within(receiver.stdout.ended, "the receiver to exit")
}
