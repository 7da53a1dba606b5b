"use strict";
/*
 * age-plugin-hushtest: a small, real age plugin for hush's tests (C2SP age-plugin.md).
 *
 * Recipient `age1hushtest1…` = an X25519 public key; identity `AGE-PLUGIN-HUSHTEST-1…` = its
 * private scalar. A file key is wrapped in a `hushtest <ephemeral share>` stanza: X25519 with a
 * fresh ephemeral key, HKDF-SHA256, ChaCha20-Poly1305. Speaks recipient-v1 and identity-v1 as
 * age's client drives them (any grease ignored), so age itself can use it too.
 *
 * `--keygen` prints an identity and its recipient. Test behaviour comes from the environment
 * (the plugin runs with its client's environment):
 *   HUSHTEST_PLUGIN_LOG      append "<protocol> <pid>" for every run, and the stanza types received
 *   HUSHTEST_PLUGIN_MODE     comma list: error, crash, hang, garbage, msg, pin, confirm
 *   HUSHTEST_PLUGIN_PIDFILE  where "hang" writes its pid
 *   HUSHTEST_PLUGIN_PIN      the PIN "pin" expects (default 123456)
 */
const crypto = require("node:crypto");
const fs = require("node:fs");

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values) {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i];
  }
  return chk >>> 0;
}
const expand = (hrp) => [...[...hrp].map((c) => c.charCodeAt(0) >>> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31)];

function convert(data, from, to, pad) {
  let acc = 0;
  let bits = 0;
  const out = [];
  for (const v of data) {
    acc = (acc << from) | v;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >>> bits) & ((1 << to) - 1));
    }
  }
  if (pad && bits > 0) out.push((acc << (to - bits)) & ((1 << to) - 1));
  if (!pad && (bits >= from || ((acc << (to - bits)) & ((1 << to) - 1)) !== 0)) throw new Error("bad padding");
  return out;
}

function bech32Encode(hrp, bytes) {
  const words = convert(bytes, 8, 5, true);
  const mod = polymod([...expand(hrp.toLowerCase()), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = Array.from({ length: 6 }, (_, i) => (mod >>> (5 * (5 - i))) & 31);
  const s = `${hrp.toLowerCase()}1${[...words, ...checksum].map((w) => CHARSET[w]).join("")}`;
  return hrp === hrp.toUpperCase() ? s.toUpperCase() : s;
}

function bech32Decode(s) {
  const lower = s.toLowerCase();
  const sep = lower.lastIndexOf("1");
  const hrp = lower.slice(0, sep);
  const words = [...lower.slice(sep + 1)].map((c) => CHARSET.indexOf(c));
  if (words.includes(-1) || polymod([...expand(hrp), ...words]) !== 1) throw new Error("bad bech32");
  return { hrp, bytes: Buffer.from(convert(words.slice(0, -6), 5, 8, false)) };
}

const PKCS8_X25519 = Buffer.from("302e020100300506032b656e04220420", "hex");
const privateKeyOf = (scalar) => crypto.createPrivateKey({ key: Buffer.concat([PKCS8_X25519, scalar]), format: "der", type: "pkcs8" });
const publicBytes = (key) => Buffer.from(crypto.createPublicKey(key).export({ format: "jwk" }).x, "base64url");
const publicKeyOf = (bytes) => crypto.createPublicKey({ key: { kty: "OKP", crv: "X25519", x: Buffer.from(bytes).toString("base64url") }, format: "jwk" });
const b64 = (bytes) => Buffer.from(bytes).toString("base64").replace(/=+$/, "");

function wrapKey(shared, share, recipient) {
  return Buffer.from(crypto.hkdfSync("sha256", shared, Buffer.concat([share, recipient]), "hushtest", 32));
}

function seal(key, plaintext) {
  const cipher = crypto.createCipheriv("chacha20-poly1305", key, Buffer.alloc(12), { authTagLength: 16 });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function open(key, sealed) {
  const decipher = crypto.createDecipheriv("chacha20-poly1305", key, Buffer.alloc(12), { authTagLength: 16 });
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
}

// --- the stanza framing -------------------------------------------------------------------------

let buffered = Buffer.alloc(0);
let ended = false;
let wake = null;
process.stdin.on("data", (chunk) => {
  buffered = Buffer.concat([buffered, chunk]);
  if (wake) wake();
});
process.stdin.on("end", () => {
  ended = true;
  if (wake) wake();
});

async function readLine() {
  for (;;) {
    const nl = buffered.indexOf(10);
    if (nl !== -1) {
      const line = buffered.subarray(0, nl).toString("latin1");
      buffered = buffered.subarray(nl + 1);
      return line;
    }
    if (ended) process.exit(0);
    await new Promise((r) => (wake = r));
    wake = null;
  }
}

async function readStanza() {
  const parts = (await readLine()).split(" ");
  if (parts[0] !== "->") throw new Error("bad stanza");
  const chunks = [];
  for (;;) {
    const line = await readLine();
    const bytes = Buffer.from(line, "base64");
    chunks.push(bytes);
    if (line.length < 64) break;
  }
  return { type: parts[1], args: parts.slice(2), body: Buffer.concat(chunks) };
}

function send(type, args = [], body = Buffer.alloc(0)) {
  const encoded = b64(body);
  const lines = encoded.match(/.{1,64}/g) || [];
  if (encoded.length % 64 === 0) lines.push("");
  process.stdout.write(`-> ${[type, ...args].join(" ")}\n${lines.join("\n")}\n`);
}

async function ask(type, args, body) {
  send(type, args, Buffer.from(body));
  return readStanza();
}

// --- behaviour ----------------------------------------------------------------------------------

const modes = new Set((process.env.HUSHTEST_PLUGIN_MODE || "").split(",").filter(Boolean));
const log = (line) => process.env.HUSHTEST_PLUGIN_LOG && fs.appendFileSync(process.env.HUSHTEST_PLUGIN_LOG, `${line}\n`);

async function phase1() {
  const stanzas = [];
  for (;;) {
    const s = await readStanza();
    if (s.type === "done") return stanzas;
    stanzas.push(s);
  }
}

/** Runs the interactive and failure modes; returns an error text to send, or undefined. */
async function interact() {
  if (modes.has("crash")) {
    process.stderr.write("hushtest: simulated crash\n");
    process.exit(3);
  }
  if (modes.has("garbage")) {
    process.stdout.write("this is not the age plugin protocol\n");
    await new Promise((r) => setTimeout(r, 50));
    process.exit(0);
  }
  if (modes.has("hang")) {
    if (process.env.HUSHTEST_PLUGIN_PIDFILE) fs.writeFileSync(process.env.HUSHTEST_PLUGIN_PIDFILE, String(process.pid));
    process.on("SIGINT", () => undefined);
    setInterval(() => undefined, 1000);
    await new Promise(() => undefined);
  }
  if (modes.has("msg")) {
    const r = await ask("msg", [], "touch the hushtest key");
    if (r.type !== "ok") return "msg was not acknowledged";
  }
  if (modes.has("pin")) {
    const r = await ask("request-secret", [], "Enter the hushtest PIN:");
    if (r.type !== "ok") return "no PIN was given";
    if (r.body.toString("utf8") !== (process.env.HUSHTEST_PLUGIN_PIN || "123456")) return "wrong PIN";
  }
  if (modes.has("confirm")) {
    const r = await ask("confirm", [b64(Buffer.from("go")), b64(Buffer.from("stop"))], "Use the hushtest key?");
    if (r.type !== "ok") return "not confirmed";
    if (r.args[0] !== "yes") return "the user said no";
  }
  if (modes.has("error")) return "hushtest refuses (test)";
  return undefined;
}

async function recipientV1() {
  const stanzas = await phase1();
  log(`received ${stanzas.map((s) => s.type).join(" ")}`);
  const recipients = stanzas.filter((s) => s.type === "add-recipient").map((s) => bech32Decode(s.args[0]).bytes);
  const fileKeys = stanzas.filter((s) => s.type === "wrap-file-key").map((s) => s.body);
  const failure = await interact();
  if (failure !== undefined) {
    await ask("error", ["internal"], failure);
    return;
  }
  for (const [index, fileKey] of fileKeys.entries()) {
    for (const recipient of recipients) {
      const ephemeral = crypto.generateKeyPairSync("x25519");
      const share = publicBytes(ephemeral.privateKey);
      const shared = crypto.diffieHellman({ privateKey: ephemeral.privateKey, publicKey: publicKeyOf(recipient) });
      await ask("recipient-stanza", [String(index), "hushtest", b64(share)], seal(wrapKey(shared, share, recipient), fileKey));
    }
  }
  send("done");
}

async function identityV1() {
  const stanzas = await phase1();
  log(`received ${stanzas.map((s) => s.type).join(" ")}`);
  const identities = stanzas.filter((s) => s.type === "add-identity").map((s) => bech32Decode(s.args[0]).bytes);
  const ours = stanzas.filter((s) => s.type === "recipient-stanza" && s.args[1] === "hushtest");
  if (ours.length > 0) {
    const failure = await interact();
    if (failure !== undefined) {
      await ask("error", ["internal"], failure);
      return;
    }
  }
  for (const s of ours) {
    const share = Buffer.from(s.args[2], "base64");
    for (const scalar of identities) {
      const privateKey = privateKeyOf(scalar);
      const recipient = publicBytes(privateKey);
      const shared = crypto.diffieHellman({ privateKey, publicKey: publicKeyOf(share) });
      try {
        const fileKey = open(wrapKey(shared, share, recipient), s.body);
        await ask("file-key", [s.args[0]], fileKey);
        send("done");
        return;
      } catch {
        // not this identity
      }
    }
  }
  send("done");
}

async function main() {
  const arg = process.argv[2] || "";
  if (arg === "--keygen") {
    const { privateKey } = crypto.generateKeyPairSync("x25519");
    const scalar = privateKey.export({ format: "der", type: "pkcs8" }).subarray(PKCS8_X25519.length);
    process.stdout.write(`${bech32Encode("AGE-PLUGIN-HUSHTEST-", scalar)}\n${bech32Encode("age1hushtest", publicBytes(privateKey))}\n`);
    return;
  }
  log(`${arg} ${process.pid}`);
  if (arg === "--age-plugin=recipient-v1") await recipientV1();
  else if (arg === "--age-plugin=identity-v1") await identityV1();
  else {
    process.stderr.write(`age-plugin-hushtest: unknown state machine ${arg}\n`);
    process.exit(1);
  }
  process.stdin.destroy();
}

main().catch((err) => {
  process.stderr.write(`age-plugin-hushtest: ${err.message}\n`);
  process.exit(1);
});
