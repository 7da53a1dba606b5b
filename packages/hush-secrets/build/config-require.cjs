"use strict";
/*
 * `node -r hush-secrets/config app.js` and `require("hush-secrets/config")`: the env loader for
 * CommonJS programs, as dotenv's `-r dotenv/config` habit expects. dist/config.cjs is the
 * launcher (the bundle, with its code cache) ending in a call of `loadEnvForCommonJs`, here
 * (dist/config-require.cjs).
 *
 * Decryption is asynchronous (key backends, WebCrypto) and `require` cannot wait for a promise:
 * - Preloaded (`-r`, also through NODE_OPTIONS) before a program file, the loader runs in this
 *   thread and the program's entry waits for it: Node starts the entry through `Module.runMain`,
 *   which is public and wrapped here (as APM agents and module loaders wrap it), so the program
 *   starts once the variables are set, or not at all. This costs what `--import` costs. The
 *   preloads named after it wait with the entry.
 * - Anywhere else (`require` from the program's own code or its own preload, `-e`, standard
 *   input, the REPL), the
 *   program is already running: this thread starts the loader in a worker thread
 *   (dist/config-worker.cjs) and blocks until it answers through shared memory, which costs a
 *   worker thread's start more. The worker answers on every path (config-worker.cjs catches even
 *   a failure to load the bundle), so the wait ends.
 * On failure both print the loader's one line (`hush: …`, naming the file, never a value) and exit
 * with hush's status.
 */
const Module = require("node:module");
const path = require("node:path");

/**
 * Loads the files into `process.env` before the program goes on. `startup` gives the bundle's
 * env-startup module (`loadEnvAtStartup`), loaded by the launcher.
 */
function loadEnvForCommonJs(startup) {
  if (preloadingBeforeEntry() && preloadedItself()) {
    const loading = startup().loadEnvAtStartup();
    const stopHolding = holdLaterPreloads();
    const runMain = Module.runMain;
    Module.runMain = function runMainOnceLoaded(...args) {
      Module.runMain = runMain;
      const held = stopHolding();
      // The entry runs in a tick of its own, so that what it throws is an uncaught exception, as
      // without the loader, not a rejected promise; so do the held preloads, before it. A held
      // preload may wrap runMain in turn (as this file does): the entry starts through its wrapper.
      loading.then(() =>
        process.nextTick(() => {
          for (const preload of held) preload();
          Module.runMain.apply(this, args);
        }),
      );
    };
    return;
  }
  // node:worker_threads costs a few milliseconds to load, so only this path loads it.
  const threads = require("node:worker_threads");
  // Worker threads copy the environment of the thread that starts them: when that one loaded the
  // files, a `-r` that reaches the worker too (NODE_OPTIONS, execArgv) must not load them again.
  // A worker whose starting thread loaded nothing (a worker pool's setup file requiring this)
  // loads, as --import does there.
  if (threads.isMainThread || !startup().loadedByStartingThread()) loadEnvSynchronously(threads);
}

/** The parent Node gives every `-r` preload (Module._preloadModules). */
const PRELOAD_PARENT_ID = "internal/preload";

/**
 * Holds back the preloads named after this one (`-r hush-secrets/config -r ./agent.cjs`, also
 * through NODE_OPTIONS, whose preloads come first): with dotenv's `-r dotenv/config` they find
 * the variables set, and an agent or a register hook reads its settings from them. Node loads each
 * preload through `Module._load` with the preload parent and does not use what it returns, so a
 * later one is only noted here. Returns, for when Node starts the entry (all preloads seen), the
 * function that stops holding and gives the loaders of the held ones, in their order.
 */
function holdLaterPreloads() {
  const load = Module._load;
  const held = [];
  // A worker thread (one created with `argv` gets here) starts without runMain, which would never
  // let its preloads go: they load as they come. Asked only when a later preload comes, since
  // node:worker_threads costs a few milliseconds to load.
  let inMainThread;
  const loadOrHoldPreload = function (request, parent, isMain) {
    if (parent?.id !== PRELOAD_PARENT_ID) return load.apply(this, arguments);
    inMainThread ??= require("node:worker_threads").isMainThread;
    if (!inMainThread) {
      if (Module._load === loadOrHoldPreload) Module._load = load;
      return load.apply(this, arguments);
    }
    held.push(() => load.call(this, request, parent, isMain));
    return undefined;
  };
  Module._load = loadOrHoldPreload;
  return () => {
    if (Module._load === loadOrHoldPreload) Module._load = load;
    return held;
  };
}

/**
 * Whether the launcher (dist/config.cjs, which requires this file) is itself the preload
 * (`-r hush-secrets/config`), not required by the code of another preload (`-r ./setup.cjs` that
 * requires it and reads the variables next, as `require` promises): that one waits in this
 * thread. `module.parent` is the module that first required this one.
 */
function preloadedItself() {
  return module.parent?.parent?.id === PRELOAD_PARENT_ID;
}

/**
 * Whether this is a preload (`-r`) and Node will start a program file after it. A worker
 * thread's `process.argv` holds no program file (unless its creator passes `argv`: then a worker
 * that inherited `-r` loads the files again, and finds its variables set).
 */
function preloadingBeforeEntry() {
  return require.main === undefined && process.argv[1] !== undefined && process.argv[1] !== "-" && typeof Module.runMain === "function" && !("_eval" in process && process._eval !== undefined);
}

function loadEnvSynchronously({ MessageChannel, receiveMessageOnPort, Worker }) {
  const answered = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  let worker;
  try {
    worker = new Worker(path.join(__dirname, "config-worker.cjs"), {
      workerData: { port: port2, answered },
      transferList: [port2],
      // The worker is the loader only: none of the program's preloads (this file included).
      execArgv: [],
    });
  } catch (err) {
    // Node's permission model without --allow-worker refuses worker threads: the program would
    // stop with Node's stack trace instead of the loader's line, and no way round named.
    process.stderr.write(`hush: the env loader cannot start its worker thread (${err?.code ?? err?.message ?? err}); preload it instead, which needs none: node -r hush-secrets/config app.js, or --import hush-secrets/config\n`);
    process.exit(1);
  }
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

module.exports = { loadEnvForCommonJs };
