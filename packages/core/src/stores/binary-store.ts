// PLACEHOLDER (lead): replaced by the real binary store; safe to overwrite entirely.
import { HushError } from "../errors.ts";
import type { Store } from "./store.ts";

const missing = (): never => {
  throw new HushError("FORMAT_UNSUPPORTED", "binary is not supported yet");
};
export const binaryStore: Store = { format: "binary", parse: missing, renderEncrypted: missing, renderPlaintext: missing, appendMetadata: missing, toTree: missing, emitTree: missing };
