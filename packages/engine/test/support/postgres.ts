/**
 * The PostgreSQL server the tests of every package may use (`DATABASE_URL`), and the one rule for when their
 * PostgreSQL tests are skipped: only outside CI, and then saying so. Effect-free: both editions' tests import it.
 */

const databaseUrl = process.env["DATABASE_URL"]

/** The PostgreSQL server `DATABASE_URL` names, if it names one. */
export const postgresUrl: string | undefined = databaseUrl !== undefined && /^postgres(ql)?:\/\//.test(databaseUrl)
  ? databaseUrl
  : undefined

/**
 * Whether `file`'s PostgreSQL tests are skipped: only outside CI, when `DATABASE_URL` names no PostgreSQL
 * server, and then it says so. In CI they run, and fail without a server ({@link requirePostgres}).
 */
export const skipPostgres = (file: string): boolean => {
  const skip = postgresUrl === undefined && process.env["CI"] !== "true"
  if (skip) {
    console.warn(
      `${file}: the PostgreSQL tests are SKIPPED: DATABASE_URL is not a postgres:// URL. Set it ` +
        "(DATABASE_URL=postgres://user:password@127.0.0.1:5432/database) to run them; in CI they are required."
    )
  }
  return skip
}

/** The PostgreSQL URL, or a failure: in CI the PostgreSQL tests run, and fail without a server. */
export const requirePostgres = (): string => {
  if (postgresUrl === undefined) {
    throw new Error("CI=true but DATABASE_URL is not a postgres:// URL: the PostgreSQL tests must run")
  }
  return postgresUrl
}

/** A schema name no other test uses: `t_` and 12 hex digits. */
export const freshSchema = (): string =>
  `t_${Array.from(globalThis.crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, "0")).join("")}`
