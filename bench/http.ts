/**
 * Requests per second and p99 latency of each way to receive deliveries over HTTP, in one run:
 * each server in its own process, loaded in turn (rounds alternate) by autocannon from this one,
 * 32 connections, a freshly signed `response.completed` per request.
 *
 * - floor: bare node:http + node:crypto HMAC + JSON.parse
 * - openai@6.49.0: bare node:http + the official SDK's webhooks.unwrap
 * - listener: what `npm start` runs without an inbox (the receiver, on Effect 4, from its compiled dist:
 *   packages/cli/bench/http-server.mjs;
 *   its WebhookHttp.makeNodeListener on node:http), logging a line
 *   per delivery (bench/inbox.ts measures the receiver with its inbox)
 * - layer-router / http-app: WebhookHttp.layerRoute and toHttpApp on @effect/platform-node
 * - platform floors: a route on the same router that answers 200 without reading the body, what
 *   @effect/platform-node costs before any of our work; "vs platform" is each platform style against its floor
 *
 * - hand-written platform route: the same router, a route that reads the body, checks its HMAC and parses it (what a
 *   user writing it by hand gets on this platform; the ceiling for our platform styles)
 * - the Effect 4 edition (on Node.js 22.19 and later): its platform floor, hand-written route, layerRoute, toHttpApp
 *   on effect/http with @effect/platform-node 4, and makeNodeListener (packages/effect4/bench/http-server.ts)
 *
 * Before and after in one run: BENCH_BEFORE=<dir>[,<dir>...] names other checkouts (each with its node_modules); their
 * listener, layer-router and http-app servers (their own bench/http-server.ts) are loaded in the same rounds, labelled
 * by their short commit.
 *
 * Only some rows: BENCH_KINDS=<kind>[,<kind>...] keeps those kinds (`e4:layer-router,e4:platform-hand`; the kinds are
 * the second column of `base` and `effect4` below); the ratios whose reference row is left out are left blank.
 *
 * Run: npm run bench (or: [BENCH_BEFORE=../base] [BENCH_KINDS=...] npx tsx bench/http.ts [seconds] [rounds])
 */
import { fileURLToPath } from "node:url"
import {
  benchTrees,
  buildTrees,
  CONNECTIONS,
  freePort,
  load,
  machine,
  median,
  runsEffect4,
  start,
  stop,
  type Tree
} from "./lib.js"

const SECONDS = Number(process.argv[2] ?? 6)
const ROUNDS = Number(process.argv[3] ?? 3)

const base = [
  ["floor: node:http + node:crypto + JSON.parse", "floor"],
  ["openai@6.49.0 webhooks.unwrap on node:http", "sdk"],
  ["npm start without inbox: the receiver's WebhookHttp.makeNodeListener on node:http", "listener"],
  ["platform floor: an HttpLayerRouter route answering 200, body unread", "platform-layer-router"],
  ["WebhookHttp.layerRoute on @effect/platform-node", "layer-router"],
  ["platform floor: an HttpRouter route answering 200, body unread", "platform-http-router"],
  ["hand-written HttpRouter route: body read, HMAC checked, JSON parsed", "platform-hand"],
  ["WebhookHttp.toHttpApp on @effect/platform-node", "http-app"]
] as const

/** The Effect 4 edition's servers, on its own effect (kinds of packages/effect4/bench/http-server.ts). */
const EFFECT4_SERVER = "packages/effect4/bench/http-server.ts"
const effect4: ReadonlyArray<readonly [name: string, kind: string]> = runsEffect4()
  ? [
    ["Effect 4: WebhookHttp.makeNodeListener on node:http", "e4:listener"],
    ["Effect 4 platform floor: an effect/http HttpRouter route answering 200, body unread", "e4:platform-floor"],
    ["Effect 4: hand-written HttpRouter route: body read, HMAC checked, JSON parsed", "e4:platform-hand"],
    ["Effect 4: WebhookHttp.layerRoute on @effect/platform-node 4", "e4:layer-router"],
    ["Effect 4: WebhookHttp.toHttpApp on @effect/platform-node 4", "e4:http-app"]
  ]
  : []
if (effect4.length === 0) {
  console.log(`(the Effect 4 edition needs Node.js 22.19 or newer; this is ${process.version}: its rows are left out)`)
}

/** Ours, measured in the trees BENCH_BEFORE names too. */
const OURS: ReadonlyArray<string> = ["listener", "layer-router", "http-app"]

// The receiver (`listener`) runs on Effect 4 since the applications moved there: left out on an older Node.js.
const trees = benchTrees(fileURLToPath(new URL("..", import.meta.url)))
const here = trees[0]!
if (here.effect === 4 && !runsEffect4()) {
  console.log(`(the receiver runs on Effect 4: its listener row is left out on ${process.version} too)`)
}

/** The kinds BENCH_KINDS keeps; none said: every row. */
const only = (process.env["BENCH_KINDS"] ?? "").split(",").map((kind) => kind.trim()).filter((kind) => kind !== "")
const kept = (kind: string) => only.length === 0 || only.includes(kind)
const known = new Set<string>([...base, ...effect4].map(([, kind]) => kind))
for (const kind of only) {
  if (!known.has(kind)) throw new Error(`BENCH_KINDS: no row of kind ${kind} (one of: ${[...known].join(", ")})`)
}

const contestants: ReadonlyArray<readonly [name: string, kind: string, tree?: Tree]> = [
  ...base.filter(([, kind]) => kind !== "listener" || here.effect === 3 || runsEffect4()),
  ...effect4,
  ...trees.slice(1).flatMap((tree) =>
    base
      .filter(([, kind]) => OURS.includes(kind))
      .map(([name, kind]) => [`${name}, at ${tree.label} (before)`, kind, tree] as const)
  )
].filter(([, kind]) => kept(kind))
buildTrees(trees)

/** The platform floor each platform style is measured against. */
const platformFloor: Partial<Record<string, string>> = {
  "platform-layer-router": "platform-layer-router",
  "layer-router": "platform-layer-router",
  "platform-http-router": "platform-http-router",
  "platform-hand": "platform-http-router",
  "http-app": "platform-http-router",
  "e4:platform-floor": "e4:platform-floor",
  "e4:platform-hand": "e4:platform-floor",
  "e4:layer-router": "e4:platform-floor",
  "e4:http-app": "e4:platform-floor"
}

const results = new Map<string, Array<{ rps: number; p99: number; errors: number }>>()
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, kind, tree] of contestants) {
    const port = await freePort()
    const child = kind.startsWith("e4:")
      ? await start(kind.slice(3), port, {}, { script: EFFECT4_SERVER, label: "the Effect 4 edition" })
      : await start(kind, port, {}, tree === undefined ? {} : { cwd: tree.cwd, label: tree.label })
    await load(port, 2) // warm-up
    const result = await load(port, SECONDS)
    await stop(child)
    const bad = result.non2xx + result.errors + result.timeouts
    if (!results.has(name)) results.set(name, [])
    results.get(name)!.push({ rps: result.requests.average, p99: result.latency.p99, errors: bad })
  }
}

console.log(machine())
console.log(`${CONNECTIONS} connections, ${SECONDS} s per measurement after 2 s warm-up, median of ${ROUNDS} rounds`)
console.log("| server | req/s | p99 ms | vs SDK | vs floor | vs platform | non-2xx | req/s of each round |")
console.log("|---|---:|---:|---:|---:|---:|---:|---|")
/** The median req/s of this tree's row of `kind`; undefined when BENCH_KINDS left it out. */
const rpsOf = (kind: string): number | undefined => {
  const row = contestants.find(([, k, tree]) => k === kind && tree === undefined)
  return row === undefined ? undefined : median(results.get(row[0])!.map((r) => r.rps))
}
const ratio = (rps: number, kind: string | undefined) => {
  const reference = kind === undefined ? undefined : rpsOf(kind)
  return reference === undefined ? "" : `${(rps / reference).toFixed(2)}x`
}
for (const [name, kind] of contestants) {
  const runs = results.get(name)!
  const rps = median(runs.map((r) => r.rps))
  const p99 = median(runs.map((r) => r.p99))
  const errors = runs.reduce((sum, r) => sum + r.errors, 0)
  console.log(
    `| ${name} | ${Math.round(rps).toLocaleString("en-US")} | ${p99} | ${ratio(rps, "sdk")} | ${
      ratio(rps, "floor")
    } | ${ratio(rps, platformFloor[kind])} | ${errors} | ${
      runs.map((r) => Math.round(r.rps).toLocaleString("en-US")).join(", ")
    } |`
  )
}
