/**
 * The receiver in this process, composed as `npm start` composes it (its server, its inbox on a SQLite file in a
 * temporary folder, its secret, the inspector), with a handler of the test's own and its log lines kept: for the
 * inspector's tests, which need a handler they can make fail and succeed.
 */
import { mkdtemp, rm, rmdir } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ConfigProvider, Effect, Exit, Layer, Logger, Scope } from "effect"
import { type WebhookEvent, WebhookTesting } from "effect4-openai-webhooks"
import { load } from "../../src/receiver/config.js"
import * as ReceiverLogger from "../../src/receiver/logger.js"
import { type Handler, InboxLive, ServerLive } from "../../src/receiver/server.js"
import { SecretLive } from "../../src/receiver/secret.js"
import { freePort, linesOf, type LogLine, parseLogfmt, within } from "../../../engine/test/support/process.js"

export const SECRET = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="

export interface Inspected {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** A temporary folder for what a test saves (screenshots), left in place; the inbox is in a folder of its own. */
  readonly dir: string
  /** Every log line so far, logfmt, as the receiver writes them. */
  readonly logs: () => string
  /** Resolves when a log line has these fields (the n-th such line, default the first); rejects past a deadline. */
  readonly waitForLine: (fields: LogLine, nth?: number) => Promise<LogLine>
  /** Posts a signed delivery of `event` or `payload` with `id`, as OpenAI would. */
  readonly deliver: (options: {
    readonly id: string
    readonly event?: WebhookEvent.UnwrapWebhookEvent
    readonly payload?: string
  }) => Promise<Response>
  readonly close: () => Promise<void>
}

/**
 * Starts the receiver with `handle`, `env` over its settings (`WEBHOOK_INSPECTOR_TOKEN`, `WEBHOOK_MODE`, ...) and
 * the test secret, on 127.0.0.1 and a free port, with its inbox in a new temporary folder.
 */
export const startInspected = async (
  handle: Handler,
  env: Readonly<Record<string, string>> = {}
): Promise<Inspected> => {
  const dir = await mkdtemp(join(tmpdir(), "effect-openai-webhooks-inspector-"))
  const store = await mkdtemp(join(tmpdir(), "effect-openai-webhooks-inspector-inbox-"))
  const port = await freePort()
  const provider = ConfigProvider.fromEnv({
    env: {
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL: `sqlite:${join(store, "inbox.sqlite")}`,
      OPENAI_WEBHOOK_SECRET: SECRET,
      ...env
    },
    preserveEmptyStrings: true
  })
  let logs = ""
  const listeners = new Set<() => void>()
  const logger = Logger.layer([
    ReceiverLogger.make((chunk) => {
      logs += chunk
      for (const listener of listeners) listener()
    })
  ])
  const waitForLine = (fields: LogLine, nth = 1) =>
    within(
      new Promise<LogLine>((resolve) => {
        const check = () => {
          const found = linesOf(logs).map(parseLogfmt).filter((line) =>
            Object.entries(fields).every(([key, value]) => line[key] === value)
          )[nth - 1]
          if (found === undefined) return
          listeners.delete(check)
          resolve(found)
        }
        listeners.add(check)
        check()
      }),
      `log line ${nth} with ${JSON.stringify(fields)}`
    )
  const scope = Effect.runSync(Scope.make())
  await Effect.runPromise(
    Effect.gen(function*() {
      const settings = yield* load
      const main = ServerLive(settings, handle).pipe(
        Layer.provide(SecretLive(settings).pipe(Layer.provideMerge(InboxLive(settings, handle))))
      )
      yield* Layer.buildWithScope(main, scope)
    }).pipe(Effect.provideService(ConfigProvider.ConfigProvider, provider), Effect.provide(logger))
  )
  const origin = `http://127.0.0.1:${port}`
  return {
    origin,
    dir,
    logs: () => logs,
    waitForLine,
    deliver: ({ event, id, payload }) => {
      const signed = WebhookTesting.unsafeSign(
        event === undefined ? { payload: payload ?? "", secret: SECRET, id } : { event, secret: SECRET, id }
      )
      return fetch(`${origin}/webhooks/openai`, { method: "POST", body: signed.body, headers: signed.headers })
    },
    close: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await rm(store, { recursive: true, force: true })
      // Kept when a test saved something there.
      await rmdir(dir).catch(() => undefined)
    }
  }
}
