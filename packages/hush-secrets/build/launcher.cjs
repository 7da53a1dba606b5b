#!/usr/bin/env node
"use strict";
/*
 * hush's launcher. It loads the bundled CLI (dist/*.cjs: CommonJS modules that only require each
 * other and Node's built-in modules) with V8's code cache: the first run of a module compiles it
 * and saves what V8 compiled to a per-user cache directory; later runs start from that instead of
 * parsing and compiling again. Start-up time is what `git diff` (one hush per file revision) and
 * deploy scripts pay for every run.
 *
 * A cache file is keyed by a hash of everything that went into it: the module's source, this
 * launcher (which wraps the source), Node's version and the architecture, so an upgrade or a
 * changed file never meets a stale cache. Its contents become code, unchecked: V8 takes a cache
 * made from any other source of the same length and runs what the cache holds. So it is used only
 * in a private directory of the user's (0700, as hush makes it) and only from private files
 * (0600): a directory others may merely read, such as one checked out from a repository (0755,
 * files 0644) that XDG_CACHE_HOME could point at, is not hush's. HUSH_CODE_CACHE=0 turns it off.
 * Any problem with the cache only costs its benefit: the CLI runs the same without it.
 *
 * The same text, built as an ES module, is the env loader (`hush-secrets/config`, dist/config.mjs):
 * `node --import` needs an ES module, which cannot `require`, so Node's own modules come from
 * `process.getBuiltinModule` there (the bundle depends on nothing else). Being the launcher itself,
 * rather than an ES module that requires a CommonJS launcher, spares the loader a second module
 * system at every start of the application. For CommonJS programs (`node -r hush-secrets/config`,
 * `require`) it is dist/config.cjs, and dist/config-worker.cjs in the worker thread that
 * build/config-require.cjs may wait for.
 */
/** Node's module `id` (the only modules outside the bundle). */
const builtin =
  typeof require === "function"
    ? require
    : (id) => {
        const found = process.getBuiltinModule(id);
        if (found === undefined) throw Object.assign(new Error(`Cannot find module '${id}'`), { code: "MODULE_NOT_FOUND" });
        return found;
      };
const fs = builtin("node:fs");
const path = builtin("node:path");
const vm = builtin("node:vm");
const { createHash } = builtin("node:crypto");

/** dist/, where the bundle's modules are (the build fills in how to find it from this file). */
const DIST = @@DIST@@;
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname) { "use strict";';
const WRAPPER_TAIL = "\n})";
/** Changes whenever this file changes (the build fills it in), so old caches do not match. */
const LAUNCHER_ID = "@@LAUNCHER_ID@@";
/**
 * The hot packs (see build/hot-pack.mjs; the build fills this in): `chunks` names the pack file in
 * dist/ that holds a chunk, `packs` each pack's content hash, which keys its code cache.
 */
const HOT_PACKS = @@HOT_PACKS@@;

/**
 * The command this run is, for the code caches of the hot packs. V8 caches the functions a run has
 * compiled; the packs are shared by the commands (and by the full program), so each hot command
 * keeps a cache of its own: one written by another command would leave this command's functions
 * to be compiled again at every run. The build sets PROFILED (false for the env loader).
 */
const PROFILED = @@PROFILED@@;
const profile = PROFILED ? runProfile(process.argv.slice(2)) : "env";
const cacheDir = codeCacheDir();
const modules = new Map();
const packs = new Map();
const unsaved = [];

/** The per-user cache directory, made private on first use; undefined when it cannot be trusted. */
function codeCacheDir() {
  const env = process.env;
  if (env.HUSH_CODE_CACHE === "0" || typeof process.getuid !== "function") return undefined;
  const home = env.HOME;
  const base =
    env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)
      ? env.XDG_CACHE_HOME
      : home && path.isAbsolute(home)
        ? path.join(home, process.platform === "darwin" ? "Library/Caches" : ".cache")
        : undefined;
  if (base === undefined) return undefined;
  const dir = path.join(base, "hush", "v8");
  try {
    // Made on the first run only: a stat is all later runs pay. Only below a directory that is
    // there already: a home that does not exist (HOME=/nonexistent for a service) is not made.
    // Followed if a link (a home on another disk): only `dir` itself must be the user's own.
    let st = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (st === undefined) {
      if (!fs.statSync(path.dirname(base), { throwIfNoEntry: false })?.isDirectory()) return undefined;
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      st = fs.lstatSync(dir);
    }
    if (!st.isDirectory() || st.uid !== process.getuid() || (st.mode & 0o077) !== 0) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

function runProfile([first, second]) {
  if (first === "decrypt" || first === "-d" || first === "--decrypt") return "decrypt";
  if (first === "git" && second === "textconv") return "textconv";
  if (first === "exec-env") return "exec-env";
  return "other";
}

function cacheFileFor(source) {
  const key = createHash("sha256").update(`${LAUNCHER_ID}\0${process.version}\0${process.arch}\0`).update(source).digest("hex").slice(0, 32);
  return path.join(cacheDir, `${key}.v8`);
}

/** A cache file's bytes, when it is a private regular file of this user (see codeCacheDir). */
function readCache(file) {
  let fd;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.uid !== process.getuid() || (st.mode & 0o077) !== 0) return undefined;
    return fs.readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Compiles a file of dist/ with the code cache and runs it: `source` is its text inside a function
 * expression (a CommonJS wrapper, or a hot pack's object of them), whose value is returned.
 * `cacheKey` is what identifies the text besides this launcher and Node: by default its hash.
 */
function compile(filename, source, cacheKey) {
  const cacheFile = cacheDir === undefined ? undefined : cacheFileFor(cacheKey ?? source);
  const cachedData = cacheFile === undefined ? undefined : readCache(cacheFile);
  const script = new vm.Script(source, { filename, ...(cachedData === undefined ? {} : { cachedData }) });
  if (cacheFile !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) unsaved.push({ script, cacheFile });
  return script.runInThisContext();
}

/** The module function of dist/`name` from its hot pack, or undefined when no pack holds it. */
function packedModule(name) {
  if (!Object.hasOwn(HOT_PACKS.chunks, name)) return undefined;
  const packName = HOT_PACKS.chunks[name];
  let pack = packs.get(packName);
  if (pack === undefined) {
    const filename = path.join(DIST, packName);
    const source = fs.readFileSync(filename, "utf8");
    // The build hashed the pack; its length guards against a file changed since.
    pack = compile(filename, source, `${HOT_PACKS.packs[packName]}\0${source.length}\0${profile}`);
    packs.set(packName, pack);
  }
  return pack[name];
}

/** Loads dist/`name` once, as Node would load a CommonJS file, with the code cache. */
function load(name) {
  const known = modules.get(name);
  if (known !== undefined) return known.exports;
  const filename = path.join(DIST, name);
  const wrapper = packedModule(name) ?? compile(filename, WRAPPER_HEAD + fs.readFileSync(filename, "utf8") + WRAPPER_TAIL);
  const module = { exports: {} };
  modules.set(name, module);
  wrapper.call(module.exports, module.exports, requireFromBundle, module, filename, DIST);
  return module.exports;
}

function requireFromBundle(id) {
  return id.startsWith("./") ? load(id.slice(2)) : builtin(id);
}

/** Saves the code V8 compiled during this run (so it covers the functions the command used). */
function saveCaches() {
  for (const { script, cacheFile } of unsaved) {
    const temp = `${cacheFile}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600, flag: "wx" });
      fs.renameSync(temp, cacheFile);
    } catch {
      try {
        fs.unlinkSync(temp);
      } catch {
        // nothing was written
      }
    }
  }
  unsaved.length = 0;
}

process.once("exit", saveCaches);
@@START@@
