/**
 * The built receiver (`dist/`, see `build`) in a child process on a free loopback port, and the
 * PostgreSQL server the tests may use.
 */
import { freePort, type Spawned, spawnGroup } from "./process.js"

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

const databaseUrl = process.env["DATABASE_URL"]

/** The PostgreSQL server `DATABASE_URL` names, if it names one. */
export const postgresUrl: string | undefined = databaseUrl !== undefined && /^postgres(ql)?:\/\//.test(databaseUrl)
  ? databaseUrl
  : undefined

/**
 * Whether `file`'s PostgreSQL tests are skipped: only outside CI, when `DATABASE_URL` names no PostgreSQL
 * server, and then it says so. In CI they run, and fail without a server ({@link requirePostgres}).
 */
export const skipPostgres = (file: string): boolean => {
  const skip = postgresUrl === undefined && process.env["CI"] !== "true"
  if (skip) {
    console.warn(
      `${file}: the PostgreSQL tests are SKIPPED: DATABASE_URL is not a postgres:// URL. Set it ` +
        "(DATABASE_URL=postgres://user:password@127.0.0.1:5432/database) to run them; in CI they are required."
    )
  }
  return skip
}

/** The PostgreSQL URL, or a failure: in CI the PostgreSQL tests run, and fail without a server. */
export const requirePostgres = (): string => {
  if (postgresUrl === undefined) {
    throw new Error("CI=true but DATABASE_URL is not a postgres:// URL: the PostgreSQL tests must run")
  }
  return postgresUrl
}
