/**
 * The inspector at `/inbox` on the receiver's own `node:http` server: the library's `WebhookInspector` (its page,
 * its JSON API, its token rule), mounted as any app mounts it. Served only when a token is configured
 * (`WEBHOOK_INSPECTOR_TOKEN`) or made for a development run; every request must carry it, else 401. The API and
 * the rule are documented on `WebhookInspector`.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import { WebhookInbox, WebhookInspector } from "effect4-openai-webhooks"
import type { IncomingMessage, ServerResponse } from "node:http"

/** Where the inspector lives: the page at `/inbox`, everything else under `/inbox/`. */
export const PREFIX = WebhookInspector.defaultPath

/** Whether `path` is the inspector's. */
export const owns = (path: string): boolean => WebhookInspector.owns(path, PREFIX)

/** The inspector's token for this run: the configured one, one made for a development run, or none (no inspector). */
export class Token extends Context.Service<Token, Option.Option<Redacted.Redacted<string>>>()(
  "effect-openai-webhooks/bin/receiver/InspectorToken"
) {}

/** Answers a request on an inspector path (see {@link owns}): the page, its files, or the API. */
export type Listener = (request: IncomingMessage, response: ServerResponse, path: string) => void

/**
 * The inspector, when there is a token for this run ({@link Token}) and an inbox: none otherwise, and then
 * `/inbox` is a 404 like any other unknown path. Reads the page's files once, here.
 */
export const make: Effect.Effect<Option.Option<Listener>> = Effect.gen(function*() {
  const token = Option.flatten(yield* Effect.serviceOption(Token))
  const inbox = yield* Effect.serviceOption(WebhookInbox.WebhookInbox)
  if (Option.isNone(token) || Option.isNone(inbox)) return Option.none()
  const listener = yield* WebhookInspector.makeNodeListener({ path: PREFIX, token: token.value }).pipe(
    Effect.provideService(WebhookInbox.WebhookInbox, inbox.value),
    // The path is ours and well-formed: a failure here is a bug of this module.
    Effect.orDie
  )
  return Option.some<Listener>((request, response) => listener(request, response))
})
