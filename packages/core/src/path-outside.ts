import { isAbsolute, sep } from "node:path";
import { checkString } from "./arguments.ts";

/**
 * Whether `rel`, what `path.relative(dir, target)` gives, leads out of `dir`: `..`, `../…`, or
 * an absolute path (another drive, on Windows). A name that only starts with two dots is inside:
 * `..data.yaml`, or Kubernetes' `..data` volume directories, which `rel.startsWith("..")` took
 * for a way out (a creation rule then matched their absolute path, and the checks passed them by).
 */
export function leadsOutside(rel: string): boolean {
  checkString(rel, "the relative path");
  return rel === ".." || rel.startsWith(`..${sep}`) || rel.startsWith("../") || isAbsolute(rel);
}
