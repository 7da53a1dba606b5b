/**
 * `require("hush-secrets/config")` (or `node -r hush-secrets/config app.js`): loads HUSH_ENV_FILE
 * (default `.env.enc`) into `process.env` before `require` returns. It exports nothing.
 */
export {};
