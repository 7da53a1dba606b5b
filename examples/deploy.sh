#!/usr/bin/env bash
# Example deploy step: decrypt what the app needs at start-up, never writing plaintext to disk.
#   ENVIRONMENT=prod ./deploy.sh
# The age identity comes from SOPS_AGE_KEY_FILE: here always the committed demo key, so that the
# example opens even in a shell that exports your own key (a real deploy takes it from its
# environment, or from ~/.config/sops/age/keys.txt).
set -euo pipefail
cd "$(dirname "$0")"
ENVIRONMENT="${ENVIRONMENT:-dev}"
HUSH="${HUSH:-../node_modules/.bin/hush}"
export SOPS_AGE_KEY_FILE=keys/demo.agekey

# One value, printed raw (no trailing newline), straight into a variable.
DB_PASSWORD="$("$HUSH" decrypt --extract '["database"]["password"]' "secrets/$ENVIRONMENT/app.yaml")"
export DB_PASSWORD

# The whole file converted to JSON for a tool that only reads JSON, through a pipe.
"$HUSH" decrypt --output-type json "secrets/$ENVIRONMENT/app.yaml" | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    const cfg = JSON.parse(s);
    console.log(`deploying with database ${cfg.database.user}@${cfg.database.host}:${cfg.database.port} (password: ${process.env.DB_PASSWORD.length} chars)`);
  });'
