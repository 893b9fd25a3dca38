/**
 * The token rule of the receiver's operator endpoints: one home, so that every endpoint that takes a token reads
 * it alike. `/metrics` checks its token here; the inspector at `/inbox` is the library's `WebhookInspector`, which
 * checks its own (`WEBHOOK_INSPECTOR_TOKEN`, read here) by the same rule, with the cookie its page signs in with.
 *
 * - A token comes from a variable (`WEBHOOK_INSPECTOR_TOKEN`, `WEBHOOK_METRICS_TOKEN`, or a file their `_FILE`
 *   variant names) read by {@link config}:
 *   at least {@link MIN_LENGTH} visible ASCII characters, so that it fits a header, an address and a cookie alike.
 * - A request carries it as `Authorization: Bearer <token>` (RFC 6750 2.1).
 * - Compared in constant time: both sides are hashed with SHA-256, so that they have the same length whatever
 *   was sent, and compared with `timingSafeEqual`. The expected digest is computed once, when the check is made.
 * - Refused with {@link UNAUTHORIZED}, the same answer on every path: nothing about what exists behind it.
 * - No loopback exemption: behind a reverse proxy every request comes from loopback.
 *
 * The token never appears in a log line, a message or an answer (it is a `Redacted` until the check is made).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import type { IncomingMessage } from "node:http"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { Reply } from "openai-webhooks-engine"
import * as Env from "./env.js"

/** The shortest token taken: 16 characters. A token made by {@link generate} has 43. */
export const MIN_LENGTH = 16

/** What a token variable accepts: the hint when its value is wrong. */
export const ACCEPTS = `a random string of at least ${MIN_LENGTH} visible ASCII characters, without spaces ` +
  "(openssl rand -hex 32, say), or unset"

/** Visible ASCII, no space: what a header, a percent-encoded address and an encoded cookie all carry as is. */
const VISIBLE = /^[\x21-\x7e]+$/

/**
 * A token variable: `None` when it is unset, the token when it is usable, a `ConfigError` naming the variable
 * when it is set to something else (too short, spaces, non-ASCII): a token that cannot be typed into a header
 * must not start the receiver with an endpoint nobody can open. Like every secret, it may come from the file
 * `<NAME>_FILE` names (`./env.ts`), and a refusal then names that variable.
 */
export const config = (name: string): Config.Config<Option.Option<Redacted.Redacted<string>>> =>
  Env.secret(name).pipe(
    Config.mapEffect(Option.match({
      onNone: () => Effect.succeed(Option.none()),
      onSome: ({ value, variable }) => {
        const token = Redacted.value(value)
        return token.length >= MIN_LENGTH && VISIBLE.test(token)
          ? Effect.succeed(Option.some(value))
          : Effect.fail(
            Env.invalidAt(variable, `Expected at least ${MIN_LENGTH} visible ASCII characters, without spaces`)
          )
      }
    }))
  )

/** A fresh token for a development run: 32 random bytes, base64url (43 characters, safe in an address). */
export const generate = (): Redacted.Redacted<string> => Redacted.make(randomBytes(32).toString("base64url"))

const digest = (value: string): Buffer => createHash("sha256").update(value).digest()

/** RFC 9110 11.1: the scheme is case-insensitive; RFC 6750 2.1: one space, then the token. */
const BEARER = /^bearer +(\S+) *$/i

/** The token of an `Authorization: Bearer <token>` header, if it is one. */
const bearer = (authorization: string | undefined): string | undefined =>
  authorization === undefined ? undefined : BEARER.exec(authorization)?.[1]

/** How a request carried the token: in `Authorization`. */
export type Carrier = "bearer"

/** A token check, made once per endpoint when the server starts. */
export interface Check {
  /** Whether `candidate` is the token, in constant time. */
  readonly matches: (candidate: string | null | undefined) => boolean
  /** Whether `request` carries the token, as a bearer token. */
  readonly allows: (request: IncomingMessage) => boolean
  /** How `request` carries the token, or undefined when it does not. */
  readonly carrier: (request: IncomingMessage) => Carrier | undefined
}

/** The check of `token`, in the `Authorization` header. */
export const make = (token: Redacted.Redacted<string>): Check => {
  const expected = digest(Redacted.value(token))
  const matches = (candidate: string | null | undefined): boolean =>
    typeof candidate === "string" && timingSafeEqual(digest(candidate), expected)
  const carrier = (request: IncomingMessage): Carrier | undefined =>
    matches(bearer(request.headers.authorization)) ? "bearer" : undefined
  return { matches, carrier, allows: (request) => carrier(request) !== undefined }
}

/**
 * A request without the token, on any path: 401 and nothing else. `WWW-Authenticate` as RFC 9110 11.6.1 asks of
 * a 401; `no-store`, so that no cache keeps even the refusal.
 */
export const UNAUTHORIZED: Reply.Answer = Reply.jsonAnswer(401, { error: { type: "Unauthorized" } }, {
  "www-authenticate": "Bearer",
  "cache-control": "no-store"
})
