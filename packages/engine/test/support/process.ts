/**
 * Child processes for end-to-end tests: each in its own process group (so a test can signal npm, sh and
 * node together, and a failed test can kill them all), their output accumulated with a way to wait for a
 * line, and deadlines instead of delays. Effect-free, so that both editions' tests use it (from vitest's `assert`,
 * which each edition's runner resolves to its own vitest).
 */
import { assert } from "vitest"
import { type ChildProcess, execFile, spawn } from "node:child_process"
import * as net from "node:net"
import { resolve } from "node:path"
import { promisify } from "node:util"

/** The repository: children run here, as a user runs `npm start` or `npx openai-webhooks`. */
export const root = resolve(import.meta.dirname, "..", "..", "..", "..")

/** How long a build, a start or an awaited log line may take before the test gives up. */
export const PATIENCE = 60_000

/** Rejects when `promise` has not settled within `ms`: a deadline, not a delay. */
export const within = <A>(promise: Promise<A>, what: string, ms: number = PATIENCE): Promise<A> => {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after ${ms} ms waiting for ${what}`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

/** `npm run build`, for the tests that run `dist/`. */
export const build = () =>
  within(promisify(execFile)("npm", ["run", "build", "--silent"], { cwd: root }), "npm run build")

export type LogLine = Readonly<Record<string, string>>

/** One logfmt line (Effect's `Logger.logFmt` quotes values with JSON). */
export const parseLogfmt = (line: string): LogLine => {
  const fields: Record<string, string> = {}
  for (const [, key, value] of line.matchAll(/([\w.]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    // A value cut by a line break (a multi-line message on stderr) is kept as it is, not a parse error.
    fields[key!] = value!.startsWith("\"") && value!.length > 1 && value!.endsWith("\"")
      ? JSON.parse(value!) as string
      : value!
  }
  return fields
}

/** A child's output stream, accumulated, with a way to wait for something to appear in it. */
export class Output {
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

/** A port nobody listens on right now (the receiver refuses PORT=0). */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })

export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface Spawned {
  readonly child: ChildProcess
  readonly stdout: Output
  readonly stderr: Output
  readonly exit: Promise<Exit>
}

const running = new Set<ChildProcess>()

/** Starts `command` in `cwd` (default: the repository), in a process group of its own, with no stdin. */
export const spawnGroup = (command: ReadonlyArray<string>, env: NodeJS.ProcessEnv, cwd: string = root): Spawned => {
  const child = spawn(command[0]!, command.slice(1), {
    cwd,
    env,
    // Its own process group, so that the test can signal npm, sh and node together.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"]
  })
  running.add(child)
  const exit = new Promise<Exit>((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child)
      resolve({ code, signal })
    })
  )
  return { child, stdout: new Output(child.stdout!), stderr: new Output(child.stderr!), exit }
}

export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `command` in `cwd` (default: the repository) to its end: its exit code and its whole output. */
export const runToEnd = async (
  command: ReadonlyArray<string>,
  env: NodeJS.ProcessEnv,
  cwd: string = root
): Promise<Run> => {
  const spawned = spawnGroup(command, env, cwd)
  const [exit] = await within(
    Promise.all([spawned.exit, spawned.stdout.ended, spawned.stderr.ended]),
    `${command.join(" ")} to exit`
  )
  return { code: exit.code, stdout: spawned.stdout.text, stderr: spawned.stderr.text }
}

/** Complete lines of an output. */
export const linesOf = (text: string): ReadonlyArray<string> => text.split("\n").slice(0, -1)

/**
 * The CLI's one way of failing: exit `code`, nothing on stdout, and on stderr exactly an `error:` line like `error`
 * and a `hint:` line like `hint`.
 */
export const assertExplained = (run: Run, code: number, error: RegExp, hint: RegExp): void => {
  assert.strictEqual(run.code, code, run.stdout + run.stderr)
  assert.strictEqual(run.stdout, "")
  const [first, second, ...rest] = linesOf(run.stderr)
  assert.match(first ?? "", /^error: /)
  assert.match(first ?? "", error)
  assert.match(second ?? "", /^hint: /)
  assert.match(second ?? "", hint)
  assert.deepStrictEqual(rest, [])
}

/**
 * Kills the process group of every child still running. For `afterEach`: a failed test must not leave a
 * receiver behind.
 */
export const killGroups = () => {
  for (const child of running) {
    try {
      process.kill(-child.pid!, "SIGKILL")
    } catch (error) {
      // The group ended between its exit and our look: nothing left to kill.
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error
    }
  }
  running.clear()
}
