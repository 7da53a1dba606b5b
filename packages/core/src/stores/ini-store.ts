// PLACEHOLDER (lead): replaced by the real ini store; safe to overwrite entirely.
import { HushError } from "../errors.ts";
import type { Store } from "./store.ts";

const missing = (): never => {
  throw new HushError("FORMAT_UNSUPPORTED", "ini is not supported yet");
};
export const iniStore: Store = { format: "ini", parse: missing, renderEncrypted: missing, renderPlaintext: missing, appendMetadata: missing, toTree: missing, emitTree: missing };
