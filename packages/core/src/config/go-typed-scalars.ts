import { visit, type Document } from "yaml";
import { resolvePlainScalar } from "../stores/yaml-resolve.ts";

/**
 * SOPS reads `.sops.yaml` with go-yaml v3, whose plain scalars are typed neither as YAML 1.2 core
 * (the `yaml` package's default) nor as YAML 1.1. Every plain scalar value is given go-yaml's
 * type here, as the YAML store types file values (yaml-resolve.ts), before the document becomes
 * plain data: `pgp: 0x85D7…3F21` is a 160-bit hex number to YAML 1.2 but, too large for Go's
 * 64-bit integers, the text of a fingerprint to SOPS.
 *
 * Fields Go declares as strings take any scalar's text; where that text is not what hush's value
 * prints as (`context: {version: 010}`), config-readings.ts has already refused it, naming the line.
 * Map keys are left as they are: they name settings, compared as text.
 */
export function typeScalarsAsGo(doc: Document): void {
  visit(doc, {
    Scalar(key, node) {
      if (key === "key" || node.type !== "PLAIN" || typeof node.source !== "string") return;
      const typed = resolvePlainScalar(node.source);
      // A value only uint64 holds (go-yaml: a number; SOPS refuses it in a key list) stays the
      // `yaml` package's number, refused by hush the same way.
      if (typed === "uint64") return;
      if (typed === null) node.value = null;
      else if (typed.type === "bool") node.value = typed.text === "True";
      else if (typed.type === "int") node.value = Number(typed.text);
      // `.inf`/`.nan` keep the package's reading; Go's rendering of them is not a JS number text.
      else if (typed.type === "float") node.value = Number.isNaN(Number(typed.text)) ? node.value : Number(typed.text);
      // A timestamp is text to every setting that takes one.
      else node.value = node.source;
    },
  });
}
