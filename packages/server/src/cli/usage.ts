/** The CLI's help text, printed by `help`, `--help` and a bare invocation. */
export const USAGE = `Portcullis server CLI

Usage:
  npm run cli -- <command> [options]

Commands:
  users create --email <email> --role <user|moderator|admin>
      Create a user. The password is read from stdin: the first line of piped
      input, or typed twice at a hidden prompt. It must be 12 to 128 characters.
      Never pass it as an argument: arguments land in shell history and in
      process listings.
  users unlock --email <email>
      Clear the login lockout of an email (after repeated failed sign-ins),
      so its owner can sign in again at once.
  routes [--json] [--strict]
      List every route: method, path, authorization policy, rate-limit
      policies, which inputs a schema checks, and any gap. Builds the app on
      a throwaway in-memory database. --strict exits 1 when a route has a gap.
  audit verify [--json] [--expect-head <seq>:<mac>]
      Walk the audit trail's hash chain and report the first row that was
      modified, deleted, reordered or inserted (exit 1, naming its sequence
      number and what is wrong). Needs the server's APP_SECRET. Rows cut off
      the end with the head rewound are only caught against a head kept
      outside the database: --expect-head takes the seq and mac of an
      audit.checkpoint log line (or an earlier verify's head). --json prints
      the verdict as one JSON line.
  help
      Show this text.

The database is the server's: DATABASE_URL (postgres://..., or sqlite:<file>),
otherwise <DATA_DIR>/portcullis.sqlite with DATA_DIR defaulting to ./data.
Relative paths are resolved from the directory you ran npm in.

Examples:
  printf '%s\\n' "$ADMIN_PASSWORD" | npm run cli -- users create --email admin@example.com --role admin
  npm run cli -- users create --email admin@example.com --role admin   (prompts)
  npm run cli -- users unlock --email someone@example.com
  npm run cli -- audit verify

Exit status: 0 success, 1 failure, 2 invalid usage or input.
`;
