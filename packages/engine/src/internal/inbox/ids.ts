import type { Problem } from "../../Result.js"

/**
 * The bound on the key the inbox stores a delivery under, its `webhook-id`: the same on every database, checked
 * before any write.
 *
 * @internal
 */

/**
 * 1,024 bytes of UTF-8. OpenAI's ids are about 30 characters (`wh_` and a random part), and Standard Webhooks
 * senders' about as long (`msg_` and 27); neither OpenAI's SDK nor the Standard Webhooks libraries bound them. The
 * bound is the databases': PostgreSQL cannot index a key of about 2,700 bytes (a btree entry is at most a third of
 * a page), which SQLite stores: without one the same delivery was kept on SQLite and failed on PostgreSQL at every
 * retry. A quarter of that leaves room for the indexes that hold the id beside another column.
 */
export const MAX_ID_BYTES = 1024


/** The bytes of `text` in UTF-8, counted without encoding it (a lone surrogate is U+FFFD: 3 bytes). */
const utf8Length = (text: string): number => {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) bytes += 1
    else if (unit < 0x800) bytes += 2
    else if (unit >= 0xd800 && unit < 0xdc00 && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next < 0xe000) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}

/**
 * Why the inbox refuses `id`, or undefined. Short ids (at most a third of the bound in UTF-16 units, so at most
 * the bound in bytes) are taken without counting: the delivery path pays one comparison.
 */
export const idTooLong = (id: string): Problem<"WebhookIdTooLong"> | undefined => {
  if (id.length <= MAX_ID_BYTES / 3) return undefined
  const bytes = utf8Length(id)
  if (bytes <= MAX_ID_BYTES) return undefined
  return {
    reason: "WebhookIdTooLong",
    message: `the webhook-id is ${bytes} bytes long; the inbox keys deliveries on it and takes at most ` +
      `${MAX_ID_BYTES} bytes (UTF-8) on every database: refused before anything was stored`,
    header: "webhook-id"
  }
}
