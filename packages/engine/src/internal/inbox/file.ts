/**
 * The SQLite file under a running store: whether the file at its path is still the one its connection opened (a
 * deleted or replaced file takes every later commit with it, with no error), and making the last commits durable
 * with one `fdatasync` of the write-ahead log. `node:fs` is imported when a store with a file asks, and never by a
 * literal name: bundlers for edge runtimes follow `import("node:fs")` and refuse a module graph with it, and the
 * engine loads on every runtime.
 *
 * @internal
 */

/** A module by a name it is given: no bundler sees a literal `import("node:...")` to refuse. */
const importByName = <A>(id: string): Promise<A> => import(/* webpackIgnore: true */ /* @vite-ignore */ id) as Promise<A>

/** `node:fs`, imported at the first call (then the runtime's cached one). */
export const nodeFs = (): Promise<typeof import("node:fs")> => importByName("node:fs")

/** A file as `stat` names it: its device and inode. */
export interface FileIdentity {
  readonly dev: bigint
  readonly ino: bigint
}

export type Health = { readonly healthy: true } | { readonly healthy: false; readonly reason: string }

export const HEALTHY: Health = { healthy: true }

/** `node:fs`'s `statSync`, as the watch calls it: bigint numbers, no throw for a missing file. */
export type StatSync = (
  path: string,
  options: { readonly bigint: true; readonly throwIfNoEntry: false }
) => FileIdentity | undefined

/** A look at the store's file: its health, and whether this look is the one that found it lost (to log once). */
export interface Look {
  readonly health: Health
  readonly lost: boolean
}

export interface FileWatch {
  /** One synchronous `stat`; once lost, lost until the process restarts (its connection writes the old file). */
  readonly check: () => Look
}

/**
 * Watches `file`, just opened and migrated: the file at its path now is the store's. Undefined when there is none to
 * watch (no file at the path, or it cannot be looked at).
 */
export const watchFile = (file: string, statSync: StatSync): FileWatch | undefined => {
  const look = (): FileIdentity | undefined | Error => {
    try {
      return statSync(file, { bigint: true, throwIfNoEntry: false })
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error))
    }
  }
  const opened = look()
  if (opened === undefined || opened instanceof Error) return undefined
  let lost: Health | undefined
  return {
    check: () => {
      if (lost !== undefined) return { health: lost, lost: false }
      const now = look()
      // Not a verdict: the file may be there, and the store's (a permission changed, a disk busy).
      if (now instanceof Error) {
        return {
          health: { healthy: false, reason: `the inbox's database file ${file} cannot be looked at: ${now.message}` },
          lost: false
        }
      }
      if (now !== undefined && now.dev === opened.dev && now.ino === opened.ino) return { health: HEALTHY, lost: false }
      lost = {
        healthy: false,
        reason: `the inbox's database file ${file} was ${now === undefined ? "deleted" : "replaced by another"} ` +
          "while the receiver ran: what it writes now would be lost at the next start, so deliveries are answered " +
          "500 (OpenAI retries them) until it restarts on the file it should use"
      }
      return { health: lost, lost: true }
    }
  }
}

/** {@link watchFile} with `node:fs`'s own `statSync`, imported now. */
export const watch = (file: string): Promise<FileWatch | undefined> =>
  nodeFs().then(({ statSync }) => watchFile(file, statSync as StatSync))

/** The callback functions of `node:fs` a sync uses. */
export interface SyncFileSystem {
  readonly open: (path: string, flags: "r", callback: (error: Error | null, fd: number) => void) => void
  readonly fdatasync: (fd: number, callback: (error: Error | null) => void) => void
  readonly close: (fd: number, callback: (error: Error | null) => void) => void
}

export interface FileSync {
  /** Resolves once every write committed before the call is on disk. */
  readonly sync: () => Promise<void>
  /** Closes the file, if open. */
  readonly close: () => Promise<void>
}

/**
 * `fdatasync` of `file` on the runtime's thread pool: the event loop serves requests meanwhile. The file is opened
 * at the first sync and kept open until `close` (SQLite keeps its log file while a connection is open: the same
 * file, truncated or rewritten, never replaced); after a failed open or sync it is opened again. `fs` (by default
 * `node:fs`) is called at the first sync, not before: only a store with a file to sync needs a file system.
 */
export const syncFile = (file: string, fs: () => Promise<SyncFileSystem> = nodeFs): FileSync => {
  let fd: Promise<number> | undefined
  let loaded: Promise<SyncFileSystem> | undefined
  const system = () => (loaded ??= fs())
  const close = (): Promise<void> => {
    const open = fd
    fd = undefined
    return open === undefined ? Promise.resolve() : open.then(
      (descriptor) => system().then(({ close }) => close(descriptor, () => undefined)),
      () => undefined
    )
  }
  return {
    close,
    sync: async () => {
      const { fdatasync, open } = await system()
      // A failed open is forgotten too: the next sync tries again (the log may not exist yet).
      const opening = fd ??= new Promise<number>((resolve, reject) =>
        open(file, "r", (error, descriptor) => error === null ? resolve(descriptor) : reject(error))
      ).catch((error: unknown) => {
        if (fd === opening) fd = undefined
        return Promise.reject(error)
      })
      const descriptor = await opening
      await new Promise<void>((resolve, reject) =>
        fdatasync(descriptor, (error) => error === null ? resolve() : reject(error))
      ).catch((error: unknown) => close().then(() => Promise.reject(error)))
    }
  }
}

/** What a sync that failed is reported as. */
export const syncFailed = (file: string): string =>
  `Failed to make the inbox's last commits durable (fdatasync ${file})`
