/**
 * Reads a Node request body once, bounded by a limit, without destroying the connection.
 *
 * @internal
 */
import type { IncomingMessage } from "node:http"

export interface BodyCallbacks {
  readonly body: (body: Uint8Array) => void
  readonly tooLarge: () => void
  /** The body was read by someone else (a body parser) and its raw bytes are gone. */
  readonly consumed: () => void
}

export const isIncomingMessage = (u: unknown): u is IncomingMessage =>
  typeof u === "object" && u !== null && typeof (u as IncomingMessage).on === "function" &&
  typeof (u as IncomingMessage).headers === "object" && "readableEnded" in u

/**
 * Over the limit, `tooLarge` is called at once (before the rest arrives) and the rest is read and
 * dropped: destroying the request would destroy the socket, and the client would never see the 413.
 * Node drains whatever is still unread once the response ends, so a keep-alive connection stays usable.
 */
export const read = (request: IncomingMessage, limit: number, on: BodyCallbacks): void => {
  if (request.readableEnded) {
    // Express and friends: `express.raw()` leaves the bytes in req.body, parsers leave an object.
    const parsed = (request as { readonly body?: unknown }).body
    if (!(parsed instanceof Uint8Array)) return on.consumed()
    return parsed.byteLength > limit ? on.tooLarge() : on.body(parsed)
  }
  const declared = request.headers["content-length"]
  if (declared !== undefined && Number(declared) > limit) return on.tooLarge()
  const chunks: Array<Buffer> = []
  let size = 0
  let over = false
  request.on("data", (chunk: Buffer) => {
    if (over) return
    size += chunk.length
    if (size > limit) {
      over = true
      chunks.length = 0
      on.tooLarge()
      return
    }
    chunks.push(chunk)
  })
  request.on("end", () => {
    if (!over) on.body(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size))
  })
  request.on("error", () => {
    over = true
  })
}
