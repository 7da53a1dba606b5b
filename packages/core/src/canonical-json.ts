/** JSON with sorted keys, so that the same value always has the same text (to compare or hash it). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const map = value as Record<string, unknown>;
    return `{${Object.keys(map)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(map[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
