/**
 * Start-up time of the `openai-webhooks` command: wall-clock milliseconds from spawning `node dist/cli.js <command>`
 * to its exit, for `--help`, `secret`, `events` and one `send` (to a plain HTTP server in this process answering 200,
 * so that what is measured is the command, not a receiver). Goal: under 400 ms each (issue 18).
 *
 * Beside the wall clock, the CPU time the process used (user + system, from `process.cpuUsage()` at its exit, by a
 * preloaded hook): on a busy machine the wall clock grows with the queue for the CPUs, the CPU time much less.
 *
 * Each tree's built command (packages/cli/dist/cli.js) is run in turn, command by command, round by round, so that
 * a busy moment of the machine falls on every tree alike; the median of the rounds is printed, with the fastest.
 * BENCH_BEFORE=<dir>[,<dir>...] adds other checkouts (their own built dist/), for a before and after in one run.
 * Run: npm run bench (or: [BENCH_BEFORE=../base] npx tsx bench/cli-startup.ts [rounds])
 */
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, writeFileSync } from "node:fs"
import os, { tmpdir } from "node:os"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { benchTrees, machine, median, SECRET } from "./lib.js"

const ROUNDS = Number(process.argv[2] ?? 15)
const GOAL_MS = 400

/** Preloaded into each run: writes the CPU time it used, in ms, to file descriptor 3 as it exits. */
const HOOK = join(mkdtempSync(join(tmpdir(), "cli-startup-")), "cpu.cjs")
writeFileSync(
  HOOK,
  "process.on('exit', () => {\n" +
    "  const u = process.cpuUsage()\n" +
    "  require('node:fs').writeSync(3, String((u.user + u.system) / 1000))\n" +
    "})\n"
)

interface Sample {
  readonly wall: number
  readonly cpu: number
}

const server = http.createServer((request, response) => {
  request.resume()
  request.on("end", () => response.writeHead(200, { "content-type": "application/json" }).end("{\"ok\":true}"))
})
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/openai`

const commands: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
  ["--help", ["--help"]],
  ["secret", ["secret"]],
  ["events", ["events"]],
  ["send (one)", ["send", "response.completed", "--url", url, "--secret", SECRET]]
]

/** Milliseconds from spawn to exit of `node <cli> ...args`, and its CPU time; a failed run is an error. */
const time = (cli: string, args: ReadonlyArray<string>) =>
  new Promise<Sample>((resolve, reject) => {
    const start = performance.now()
    const child = spawn(process.execPath, ["--require", HOOK, cli, ...args], {
      stdio: ["ignore", "ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" }
    })
    let errors = ""
    let cpu = ""
    child.stderr!.on("data", (chunk: Buffer) => (errors += chunk.toString()))
    child.stdio[3]!.on("data", (chunk: Buffer) => (cpu += chunk.toString()))
    child.once("error", reject)
    child.once("close", (code) => {
      const wall = performance.now() - start
      if (code === 0) resolve({ wall, cpu: Number(cpu) })
      else reject(new Error(`${cli} ${args.join(" ")} exited ${code}: ${errors.trim()}`))
    })
  })

const trees = benchTrees(fileURLToPath(new URL("..", import.meta.url))).map((tree) => {
  const cli = join(tree.cwd, "packages", "cli", "dist", "cli.js")
  if (!existsSync(cli)) throw new Error(`${tree.label}: no ${cli} (run npm run build there)`)
  return { ...tree, cli }
})

const samples = new Map<string, Array<Sample>>()
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, args] of commands) {
    for (const tree of trees) {
      const key = `${tree.label}\u0000${name}`
      const list = samples.get(key) ?? []
      list.push(await time(tree.cli, args))
      samples.set(key, list)
    }
  }
}
server.close()

const wall = (label: string, name: string) => samples.get(`${label}\u0000${name}`)!.map((sample) => sample.wall)
const cpu = (label: string, name: string) => samples.get(`${label}\u0000${name}`)!.map((sample) => sample.cpu)

console.log(
  `openai-webhooks start-up, ms: wall clock from spawn to exit, median (fastest), and CPU time (user + system), ` +
    `median, of ${ROUNDS} runs; ${machine()}, load average ${os.loadavg()[0]!.toFixed(1)}`
)
console.log(["command".padEnd(12), ...trees.map((tree) => tree.label.padStart(30))].join(" "))
for (const [name] of commands) {
  const cells = trees.map((tree) => {
    const walls = wall(tree.label, name)
    const cpuTime = median(cpu(tree.label, name)).toFixed(0)
    return `${median(walls).toFixed(0)} (${Math.min(...walls).toFixed(0)}), cpu ${cpuTime}`.padStart(30)
  })
  console.log([name.padEnd(12), ...cells].join(" "))
}
const slow = commands.filter(([name]) => median(wall(trees[0]!.label, name)) >= GOAL_MS)
console.log(
  slow.length === 0
    ? `goal met: every command under ${GOAL_MS} ms (median) in ${trees[0]!.label}`
    : `goal missed in ${trees[0]!.label}: ${slow.map(([name]) => name).join(", ")} at ${GOAL_MS} ms or more (median)`
)
