import { createHash } from "node:crypto";
import { sopsAesDecrypt } from "../store-harness.ts";

/**
 * An independent reader of SOPS's INI layout, written from the spec (sections 2, 3, 6.2, 7.4):
 * go-ini's line rules, comments attached to the next key or section, `[sops]` flattened and
 * `\n`-escaped. It shares no code with hush's store, so the INI tests can check what SOPS reads.
 */

export interface GoIniKey {
  name: string;
  value: string;
  comment: string;
}
interface GoIniSection {
  name: string;
  comment: string;
  keys: GoIniKey[];
}

export function goIniLoad(text: string): GoIniSection[] {
  const sections: GoIniSection[] = [{ name: "DEFAULT", comment: "", keys: [] }];
  let current = sections[0]!;
  let comment = "";
  /** go-ini names a key `-` `#1`, `#2`, … within each section. */
  let autoCount = 1;
  const lines = text.split(/(?<=\n)/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/^\s+/, "");
    if (line === "") continue;
    if (line[0] === "#" || line[0] === ";") {
      comment += line;
      continue;
    }
    if (line[0] === "[") {
      const close = line.lastIndexOf("]");
      const after = line.slice(close + 1);
      const ci = after.search(/[#;]/);
      if (ci >= 0) comment += after.slice(ci);
      current = { name: line.slice(1, close), comment: comment.trim(), keys: [] };
      autoCount = 1;
      sections.push(current);
      comment = "";
      continue;
    }
    let name: string;
    let rest: string;
    if (line[0] === '"' || line[0] === "`") {
      const q = line.startsWith('"""') ? '"""' : line[0];
      const close = line.indexOf(q, q.length);
      name = line.slice(q.length, close).trim();
      rest = line.slice(line.slice(close + q.length).search(/[=:]/) + close + q.length + 1);
    } else {
      const d = line.search(/[=:]/);
      name = line.slice(0, d).trim();
      rest = line.slice(d + 1);
    }
    rest = rest.replace(/^\s+/, "");
    let value: string;
    const q = rest.length > 3 && rest.startsWith('"""') ? '"""' : rest[0] === "`" ? "`" : "";
    if (q !== "") {
      const body = rest.slice(q.length);
      const p = body.lastIndexOf(q);
      if (p >= 0) value = body.slice(0, p);
      else {
        value = body;
        for (;;) {
          const next = lines[++i]!;
          const p2 = next.lastIndexOf(q);
          if (p2 >= 0) {
            value += next.slice(0, p2);
            const ci = next.slice(p2).search(/[#;]/);
            if (ci >= 0) comment += next.slice(p2 + ci).trim();
            break;
          }
          value += next;
        }
      }
    } else {
      let v = rest.trim();
      const ci = v.search(/[#;]/);
      if (ci >= 0) {
        comment += v.slice(ci);
        v = v.slice(0, ci).trim();
      }
      // go-ini strips one pair of surrounding quotes, once.
      if (['"', "'"].some((quote) => v.length >= 2 && v.startsWith(quote) && v.endsWith(quote) && v.indexOf(quote, 1) === v.length - 1)) v = v.slice(1, -1);
      value = v;
    }
    current.keys.push({ name: name === "-" ? `#${autoCount++}` : name, value, comment: comment.trim() });
    comment = "";
  }
  return sections;
}


function stripCommentChar(c: string): string {
  if (c.startsWith(";")) return c.replace(/^[; ]+/, "");
  if (c.startsWith("#")) return c.replace(/^[# ]+/, "");
  return c;
}

function tryComment(c: string, key: Uint8Array, aad: string): string {
  const s = stripCommentChar(c);
  try {
    return sopsAesDecrypt(s, key, aad);
  } catch {
    return s;
  }
}

/** The decrypted tree as SOPS builds it (MAC checked): section → key → value, comments decrypted. */
export function sopsDecryptIni(text: string, key: Uint8Array): Array<{ name: string; comment: string; keys: GoIniKey[] }> {
  const sections = goIniLoad(text);
  const metaSection = sections.find((s) => s.name === "sops");
  if (metaSection === undefined) throw new Error("sops metadata not found");
  const meta = Object.fromEntries(metaSection.keys.map((k) => [k.name, k.value.replaceAll("\\n", "\n")]));
  const suffix = meta["unencrypted_suffix"] ?? "";
  const hash = createHash("sha512");
  const out = sections
    .filter((s) => s !== metaSection)
    .map((s) => ({
      name: s.name,
      comment: s.comment === "" ? "" : tryComment(s.comment, key, `${s.name}:`),
      keys: s.keys.map((k) => {
        const plain = k.value === "" || (suffix !== "" && (k.name.endsWith(suffix) || s.name.endsWith(suffix))) ? k.value : sopsAesDecrypt(k.value, key, `${s.name}:${k.name}:`);
        hash.update(plain);
        return { name: k.name, value: plain, comment: k.comment === "" ? "" : tryComment(k.comment, key, `${s.name}:`) };
      }),
    }));
  const mac = sopsAesDecrypt(meta["mac"]!, key, meta["lastmodified"]!);
  if (mac !== hash.digest("hex").toUpperCase()) throw new Error("MAC mismatch");
  return out;
}

/** Section → key → value of a decrypted tree, leaving out an empty DEFAULT section. */
export function sopsValues(sections: ReturnType<typeof sopsDecryptIni>): Record<string, Record<string, string>> {
  return Object.fromEntries(sections.filter((s) => !(s.name === "DEFAULT" && s.keys.length === 0)).map((s) => [s.name, Object.fromEntries(s.keys.map((k) => [k.name, k.value]))]));
}
