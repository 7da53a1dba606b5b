"use strict";
/*
 * `node -r hush-secrets/config app.js` and `require("hush-secrets/config")` (dist/config.cjs):
 * the env loader for CommonJS programs, as dotenv's `-r dotenv/config` habit expects. Decryption
 * is asynchronous (key backends, WebCrypto) and `require` cannot wait for a promise, so this thread
 * starts the loader in a worker thread (dist/config-worker.cjs: the same launcher and bundle as
 * config.mjs, with its code cache) and blocks until the worker answers through shared memory; the
 * program's own code runs after the variables are set, or not at all: on failure this prints the
 * loader's one line (`hush: …`, naming the file, never a value) and exits with hush's status.
 * `--import hush-secrets/config` does the same without a worker thread (a few milliseconds less).
 *
 * The worker answers on every path (config-worker.cjs catches even a failure to load the bundle),
 * so the wait ends; it is set to 0, not yet answered, then to 1 once the answer is on the port.
 */
const { isMainThread, MessageChannel, receiveMessageOnPort, Worker } = require("node:worker_threads");
const path = require("node:path");

// Worker threads copy the environment of the thread that starts them, which is already loaded; a
// `-r` that reaches them too (NODE_OPTIONS, execArgv) must not load the files again.
if (isMainThread) loadEnvSynchronously();

function loadEnvSynchronously() {
  const answered = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(path.join(__dirname, "config-worker.cjs"), {
    workerData: { port: port2, answered },
    transferList: [port2],
    // The worker is the loader only: none of the program's preloads (this file included).
    execArgv: [],
  });
  // The worker's own event loop may linger (a key service's keep-alive socket); the program does
  // not wait for it.
  worker.unref();
  Atomics.wait(answered, 0, 0);
  const answer = receiveMessageOnPort(port1)?.message;
  port1.close();
  if (answer === undefined || answer.vars === undefined) {
    process.stderr.write(`hush: ${answer?.message ?? "the env loader stopped without an answer"}\n`);
    process.exit(answer?.status ?? 1);
  }
  for (const [name, value] of answer.vars) process.env[name] = value;
}
