/**
 * The receiver's servers of the repository's bench/http.ts and bench/inbox.ts, in their own process, run from a
 * tree's compiled dist as `npm start` runs it (not through tsx, whose helpers cost the source a little per request):
 * `node packages/cli/bench/http-server.mjs <kind> <port> [tree]`. `tree` is the checkout whose dist is measured (this
 * one by default; bench/lib.ts passes each BENCH_BEFORE tree, built as `npm ci` leaves it), and `effect` and the
 * edition are resolved from there, so that its receiver runs on its own copy of Effect. The secret is
 * `WEBHOOK_SECRET`. Prints "ready" on stderr once it listens. Both answer a valid delivery 200 and a bad one 401,
 * logging one logfmt line per delivery (to stdout, which the bench discards), as `npm start` does.
 *
 * - listener: what `npm start` runs without an inbox (`WebhookHttp.makeNodeListener` on node:http, the receiver's
 *   limits, /healthz, /metrics);
 * - receiver: `npm start` itself, inbox included: DATABASE_URL and WEBHOOK_MODE come from the environment.
 *
 * A tree from before the applications moved to Effect 4 has these kinds in its own bench/http-server.ts (the Effect 3
 * receiver): bench/lib.ts picks that file for such a tree.
 */
import { createRequire } from "node:module"
import { join, resolve } from "node:path"
import { pathToFileURL } from "node:url"

const [kind = "receiver", portArg = "8788", treeArg] = process.argv.slice(2)
if (kind !== "listener" && kind !== "receiver") throw new Error(`unknown server kind: ${kind}`)
const secret = process.env["WEBHOOK_SECRET"]
if (secret === undefined || secret === "") throw new Error("WEBHOOK_SECRET is unset: the bench sets it")
const tree = treeArg === undefined ? resolve(import.meta.dirname, "..", "..", "..") : resolve(treeArg)
const cli = join(tree, "packages", "cli")
const from = createRequire(join(cli, "package.json"))
const load = (path) => import(pathToFileURL(path).href)

const { Effect, Layer } = await load(from.resolve("effect"))
const { WebhookSecret } = await load(from.resolve("effect4-openai-webhooks"))
const config = await load(join(cli, "dist", "receiver", "config.js"))
const ReceiverLogger = await load(join(cli, "dist", "receiver", "logger.js"))
const { InboxLive, ServerLive } = await load(join(cli, "dist", "receiver", "server.js"))

// The receiver reads its address from the environment, as npm start does.
process.env["PORT"] = portArg
process.env["HOST"] = "127.0.0.1"
// Exit cleanly on SIGTERM, so that node --cpu-prof writes its profile.
process.once("SIGTERM", () => process.exit(0))

const SecretLive = WebhookSecret.layer(secret)
const ready = Layer.effectDiscard(Effect.sync(() => process.stderr.write("ready\n")))

const server = (inbox) =>
  Layer.unwrap(Effect.map(config.load, (settings) =>
    inbox
      ? ServerLive(settings).pipe(Layer.provide(Layer.merge(SecretLive, InboxLive(settings))))
      : ServerLive(settings).pipe(Layer.provide(SecretLive))))

Layer.launch(server(kind === "receiver").pipe(Layer.provideMerge(ready))).pipe(
  Effect.provide(ReceiverLogger.layer),
  Effect.runFork
)
