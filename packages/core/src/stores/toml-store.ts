// PLACEHOLDER (lead): replaced by the real toml store; safe to overwrite entirely.
import { HushError } from "../errors.ts";
import type { Store } from "./store.ts";

const missing = (): never => {
  throw new HushError("FORMAT_UNSUPPORTED", "toml is not supported yet");
};
export const tomlStore: Store = { format: "toml", parse: missing, renderEncrypted: missing, renderPlaintext: missing, appendMetadata: missing, toTree: missing, emitTree: missing };
