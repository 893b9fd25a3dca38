/**
 * Node's own modules, imported where they are needed and never by a literal name: bundlers for edge runtimes
 * (wrangler, Next.js, Vercel) follow `import("node:fs")` and refuse a module graph with it, although only a
 * feature that needs a file system (a SQLite store, a secret file, the inspector's page) ever reaches the import.
 * `test/edge.test.ts` walks the built graph and fails on any literal `node:` import.
 *
 * @internal
 */

/** `node:fs`, `node:fs/promises`: the module, imported at the first call (then the runtime's cached one). */
export const importNode = <A>(id: "node:fs" | "node:fs/promises"): Promise<A> =>
  import(/* webpackIgnore: true */ /* @vite-ignore */ id as string) as Promise<A>
