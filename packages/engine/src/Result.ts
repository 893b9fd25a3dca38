/**
 * The engine's answers as plain values: what a check found, or why it failed, never a throw. Each edition turns
 * a failure into its own typed error (`SignatureError`, `SecretError`, ...) with the same `reason` and `message`.
 *
 * @since 0.3.0
 */

/**
 * A success: the value found.
 *
 * @since 0.3.0
 * @category models
 */
export interface Ok<A> {
  readonly ok: true
  readonly value: A
}

/**
 * A failure: a plain object whose `reason` literal says what went wrong and whose `message` says how to fix it.
 *
 * @since 0.3.0
 * @category models
 */
export interface Fail<E> {
  readonly ok: false
  readonly error: E
}

/**
 * What a check of the engine gives: `ok` tells which.
 *
 * @since 0.3.0
 * @category models
 */
export type Result<A, E> = Ok<A> | Fail<E>

/**
 * A success.
 *
 * @since 0.3.0
 * @category constructors
 */
export const ok = <A>(value: A): Ok<A> => ({ ok: true, value })

/**
 * A failure.
 *
 * @since 0.3.0
 * @category constructors
 */
export const fail = <E>(error: E): Fail<E> => ({ ok: false, error })

/**
 * The failure every engine check describes itself with: a `reason` literal of its own module's, a `message` for a
 * person, and the header it concerns where there is one. Never holds a secret.
 *
 * @since 0.3.0
 * @category models
 */
export interface Problem<Reason extends string> {
  readonly reason: Reason
  readonly message: string
  readonly header?: string
}
