/**
 * `import "hush-secrets/config"` (or `node --import hush-secrets/config app.js`): loads HUSH_ENV_FILE
 * (default `.env.enc`) into `process.env` before the program's own modules run. It exports nothing.
 */
export {};
