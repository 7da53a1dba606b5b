// PLACEHOLDER (lead): replaced by the real dotenv store; safe to overwrite entirely.
import { HushError } from "../errors.ts";
import type { Store } from "./store.ts";

const missing = (): never => {
  throw new HushError("FORMAT_UNSUPPORTED", "dotenv is not supported yet");
};
export const dotenvStore: Store = { format: "dotenv", parse: missing, renderEncrypted: missing, renderPlaintext: missing, appendMetadata: missing, toTree: missing, emitTree: missing };
