/**
 * The Effect 4 edition's contestant in the repository's `bench/unwrap.ts`: `Webhooks.unwrap` of every delivery inside
 * one `Effect.forEach`, exactly as the Effect 3 edition's row runs, on this package's own effect 4. It lives here so
 * that `effect` resolves to 4 (the root's is 3); the root bench imports it on Node.js 22.19 and later.
 */
import { Effect, Layer } from "effect"
import { Webhooks, WebhookSecret } from "../src/index.js"

/** What the root bench hands each contestant: a body and its three Standard Webhooks headers. */
export interface Delivery {
  readonly body: string
  readonly headers: Record<string, string>
}

/** A runner for `secret`: unwraps a batch and resolves to how many were unwrapped (the batch's length, or it fails). */
export const contestant = (secret: string): (batch: ReadonlyArray<Delivery>) => Promise<number> => {
  const context = Effect.runSync(Layer.build(WebhookSecret.layer(secret)).pipe(Effect.scoped))
  return (batch) =>
    Effect.runPromise(
      Effect.forEach(batch, ({ body, headers }) => Webhooks.unwrap(body, headers), { discard: true }).pipe(
        Effect.as(batch.length),
        Effect.provide(context)
      )
    )
}
