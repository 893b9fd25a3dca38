/**
 * Throughput of verify + parse, in one run, alternating contestants round by round:
 *
 * - floor: node:crypto createHmac + timingSafeEqual + JSON.parse, inline, no checks beyond that;
 * - effect-openai-webhooks: `Webhooks.unwrap` (verify + decode into tagged classes), all deliveries
 *   inside one Effect (`Effect.forEach`); and the Effect 4 edition's, the same way on effect 4 (Node.js 22.19+);
 * - openai@6.49.0: the official SDK's `webhooks.unwrap` (async, WebCrypto);
 * - standardwebhooks: the reference library's `Webhook#verify` (pure-JS SHA-256).
 *
 * Each delivery is unique (its own id and body), signed with the current time. BENCH_BEFORE=<dir>[,<dir>...] adds
 * the `Webhooks.unwrap` of other checkouts (their built dist/, on their own effect), for a before and after in one run.
 * Run: npm run bench (or: [BENCH_BEFORE=../base] npx tsx bench/unwrap.ts [deliveries] [rounds])
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import { readFileSync } from "node:fs"
import os from "node:os"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { Effect, Either, Layer } from "effect"
import OpenAI from "openai"
import { Webhook } from "standardwebhooks"
import { Webhooks, WebhookSecret, WebhookSignature } from "../src/index.js"
import { benchTrees, runsEffect4, SECRET } from "./lib.js"

const N = Number(process.argv[2] ?? 10_000)
const ROUNDS = Number(process.argv[3] ?? 7)

interface Delivery {
  readonly body: string
  readonly headers: Record<string, string>
}

const key = Either.getOrThrow(WebhookSignature.key(SECRET))
const now = Math.floor(Date.now() / 1000)

const small = (i: number): string =>
  JSON.stringify({ id: `evt_${i}`, object: "event", created_at: now, type: "response.completed", data: { id: `resp_${i}` } })

/** A `realtime.call.incoming` of about 2 KB: a SIP INVITE's worth of headers. */
const large = (i: number): string => {
  const sipHeaders = [
    { name: "Via", value: `SIP/2.0/TLS 203.0.113.10:5061;branch=z9hG4bK-${i}-776asdhds` },
    { name: "Max-Forwards", value: "63" },
    { name: "From", value: `"Alice" <sip:+15551230000@carrier.example.com>;tag=${i}a8sd7f` },
    { name: "To", value: "<sip:+15559870000@sip.api.openai.com>" },
    { name: "Call-ID", value: `${i}-a84b4c76e66710@pc33.carrier.example.com` },
    { name: "CSeq", value: "851287 INVITE" },
    { name: "Contact", value: "<sip:+15551230000@203.0.113.10:5061;transport=tls>" },
    { name: "Content-Type", value: "application/sdp" },
    { name: "User-Agent", value: "ExampleCarrier-SBC/4.2.1 (build 20261101)" },
    { name: "Allow", value: "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY" },
    { name: "Supported", value: "replaces, timer, 100rel" },
    { name: "Session-Expires", value: "1800;refresher=uac" },
    { name: "P-Asserted-Identity", value: "<sip:+15551230000@carrier.example.com>" },
    { name: "X-Carrier-Trace", value: "a".repeat(600) },
    { name: "X-Account", value: `acct_${i}_${"b".repeat(300)}` }
  ]
  const data = { call_id: `rtc_u0_${i.toString(16).padStart(32, "0")}`, sip_media_security: "srtp", sip_headers: sipHeaders }
  return JSON.stringify({ id: `evt_${i}`, object: "event", created_at: now, type: "realtime.call.incoming", data })
}

const deliveries = (make: (i: number) => string): ReadonlyArray<Delivery> =>
  Array.from({ length: N }, (_, i) => {
    const body = make(i)
    const id = `wh_${i.toString(16).padStart(32, "0")}`
    const timestamp = String(now)
    return {
      body,
      headers: {
        "webhook-id": id,
        "webhook-timestamp": timestamp,
        "webhook-signature": WebhookSignature.sign(key, { id, timestamp, payload: body })
      }
    }
  })

const rawKey = Buffer.from(SECRET.slice("whsec_".length), "base64")

const floor = (batch: ReadonlyArray<Delivery>): number => {
  let ok = 0
  for (const { body, headers } of batch) {
    const expected = createHmac("sha256", rawKey)
      .update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`)
      .digest()
    const received = Buffer.from(headers["webhook-signature"]!.slice(3), "base64")
    if (received.length === expected.length && timingSafeEqual(received, expected)) {
      if (JSON.parse(body) !== null) ok++
    }
  }
  return ok
}

const SecretLive = WebhookSecret.layer(SECRET)
const runtimeContext = Effect.runSync(Layer.build(SecretLive).pipe(Effect.scoped))

const ours = (batch: ReadonlyArray<Delivery>): Promise<number> =>
  Effect.runPromise(
    Effect.forEach(batch, ({ body, headers }) => Webhooks.unwrap(body, headers), { discard: true }).pipe(
      Effect.as(batch.length),
      Effect.provide(runtimeContext)
    )
  )

const client = new OpenAI({ apiKey: "unused", webhookSecret: SECRET })
const sdk = async (batch: ReadonlyArray<Delivery>): Promise<number> => {
  let ok = 0
  for (const { body, headers } of batch) {
    if ((await client.webhooks.unwrap(body, headers)) !== null) ok++
  }
  return ok
}

const standard = new Webhook(SECRET)
const standardwebhooks = (batch: ReadonlyArray<Delivery>): number => {
  let ok = 0
  for (const { body, headers } of batch) {
    if (standard.verify(body, headers) !== null) ok++
  }
  return ok
}

type Contestant = readonly [name: string, run: (batch: ReadonlyArray<Delivery>) => number | Promise<number>]

/** The ES module entry of package `name` installed in `dir`: the copy that tree's own dist/ imports. */
const esmEntry = (dir: string, name: string): string => {
  const manifest = JSON.parse(readFileSync(join(dir, "node_modules", name, "package.json"), "utf8"))
  return pathToFileURL(join(dir, "node_modules", name, manifest.exports["."].import)).href
}

/** Another checkout's `Webhooks.unwrap`, from its built dist/, run on its own effect as ours is run on ours. */
const before = async (dir: string): Promise<Contestant[1]> => {
  const effect = await import(esmEntry(dir, "effect"))
  const library = await import(pathToFileURL(join(dir, "dist", "index.js")).href)
  const context = effect.Effect.runSync(effect.Layer.build(library.WebhookSecret.layer(SECRET)).pipe(effect.Effect.scoped))
  return (batch) =>
    effect.Effect.runPromise(
      effect.Effect.forEach(batch, ({ body, headers }: Delivery) => library.Webhooks.unwrap(body, headers), {
        discard: true
      }).pipe(effect.Effect.as(batch.length), effect.Effect.provide(context))
    )
}

/**
 * The Effect 4 edition's `Webhooks.unwrap` (packages/effect4/bench/unwrap.ts, on its own effect 4), where this Node.js
 * runs it (22.19 and later); the specifier is computed so that this file's type-check (Effect 3's) does not follow it.
 */
const effect4 = async (): Promise<ReadonlyArray<Contestant>> => {
  if (!runsEffect4()) {
    console.log(`(the Effect 4 edition needs Node.js 22.19 or newer; this is ${process.version}: its row is left out)`)
    return []
  }
  const module = new URL("../packages/effect4/bench/unwrap.ts", import.meta.url).href
  const { contestant } = (await import(module)) as { contestant: (secret: string) => Contestant[1] }
  return [["effect4-openai-webhooks unwrap (the Effect 4 edition)", contestant(SECRET)]]
}

const contestants: ReadonlyArray<Contestant> = [
  ["floor (node:crypto + JSON.parse)", floor],
  ["effect-openai-webhooks unwrap", ours],
  ...await effect4(),
  ...await Promise.all(
    benchTrees(fileURLToPath(new URL("..", import.meta.url))).slice(1).map(async (tree): Promise<Contestant> => [
      `effect-openai-webhooks unwrap at ${tree.label} (before)`,
      await before(tree.cwd)
    ])
  ),
  ["openai@6.49.0 webhooks.unwrap", sdk],
  ["standardwebhooks verify", standardwebhooks]
]

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

const measure = async (label: string, batch: ReadonlyArray<Delivery>) => {
  const times = new Map<string, Array<number>>(contestants.map(([name]) => [name, []]))
  for (let round = -2; round < ROUNDS; round++) {
    for (const [name, run] of contestants) {
      const start = performance.now()
      const ok = await run(batch)
      const elapsed = performance.now() - start
      if (ok !== batch.length) throw new Error(`${name} verified ${ok} of ${batch.length} deliveries`)
      if (round >= 0) times.get(name)!.push(elapsed)
    }
  }
  const floorOps = (N * 1000) / median(times.get(contestants[0]![0])!)
  console.log(`\n${label}: ${N} deliveries, median of ${ROUNDS} rounds (after 2 warm-up rounds)`)
  console.log("| contestant | ops/s | µs/op | time vs floor |")
  console.log("|---|---:|---:|---:|")
  for (const [name] of contestants) {
    const ms = median(times.get(name)!)
    const ops = (N * 1000) / ms
    console.log(`| ${name} | ${Math.round(ops).toLocaleString("en-US")} | ${((ms * 1000) / N).toFixed(2)} | ${(floorOps / ops).toFixed(2)}x |`)
  }
}

console.log(`${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus()[0]?.model ?? "unknown CPU"} (${os.cpus().length} cores)`)
await measure("response.completed (small)", deliveries(small))
await measure(`realtime.call.incoming (${Buffer.byteLength(large(0))} bytes)`, deliveries(large))
