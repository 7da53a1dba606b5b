import { describe, expect, it } from "vitest";
import { driverConfig, mergeDriverCommand, readDriverCommand, textconvCommand } from "@hush/git";
import { shellQuote } from "@hush/core";

/** Commands setup can write: node and a script by absolute path, with what paths can hold. */
const PROGRAMS: readonly (readonly string[])[] = [
  ["/usr/bin/node", "/opt/hush/bin/hush.cjs"],
  ["/usr/bin/node", "/home/it's a \"dir\"/hush.cjs"],
  ["/usr/bin/node", "/opt/100%P %% %O/hush.cjs"],
  ["/usr/bin/node", "/opt/a; exec /tmp/evil/hush.cjs"],
  ["/usr/local/bin/hush"],
];

describe("driver commands", () => {
  it.each(PROGRAMS)("reads back the programs of the commands it writes (%s …)", (...words) => {
    const command = words.map(shellQuote).join(" ");
    for (const [kind, value] of [["textconv", textconvCommand(command)], ["merge", mergeDriverCommand(command)]] as const) {
      expect(readDriverCommand(kind, value)).toEqual({ programs: words, guarded: true });
    }
  });

  it("doubles every % of the command in the merge driver, which git expands there, and only there", () => {
    const command = shellQuote("/opt/100%P/hush.cjs");
    const merge = mergeDriverCommand(`/usr/bin/node ${command}`);
    expect(merge).toContain("exec /usr/bin/node /opt/100%%P/hush.cjs git merge -- %O %A %B %L %P");
    expect(merge.replace(/%%/g, "").match(/%./g)).toEqual(["%P", "%L", "%A", "%O", "%B", "%O", "%A", "%B", "%L", "%P"]);
    expect(textconvCommand(`/usr/bin/node ${command}`)).toMatch(/exec \/usr\/bin\/node \/opt\/100%P\/hush\.cjs git textconv --$/);
  });

  it("recognises an older setup's commands (no check first), and a command with no absolute path is written as before", () => {
    const old = "/usr/bin/node '/opt/my hush/hush.cjs'";
    expect(readDriverCommand("merge", `${old} git merge -- %O %A %B %L %P`)).toEqual({ programs: ["/usr/bin/node", "/opt/my hush/hush.cjs"], guarded: false });
    expect(readDriverCommand("merge", `${old} git merge %O %A %B %L %P`)).toEqual({ programs: ["/usr/bin/node", "/opt/my hush/hush.cjs"], guarded: false });
    expect(readDriverCommand("textconv", `${old} git textconv`)).toEqual({ programs: ["/usr/bin/node", "/opt/my hush/hush.cjs"], guarded: false });
    expect(mergeDriverCommand("hush")).toBe("hush git merge -- %O %A %B %L %P");
    expect(textconvCommand("npx hush")).toBe("npx hush git textconv --");
    expect(readDriverCommand("merge", "hush git merge -- %O %A %B %L %P")).toEqual({ programs: ["hush"], guarded: false });
  });

  it("takes nothing else for a command it wrote: a guard around another command is an older one's reading", () => {
    const written = mergeDriverCommand("/usr/bin/node /opt/hush/hush.cjs");
    const changed = written.replace("exec /usr/bin/node /opt/hush/hush.cjs", "exec /usr/bin/node /tmp/other.cjs");
    expect(readDriverCommand("merge", changed).guarded).toBe(false);
    expect(driverConfig("/usr/bin/node /opt/hush/hush.cjs").find((e) => e.key === "merge.hush.driver")?.value).toBe(written);
  });
});
