import { describe, expect, it } from "vitest";
import { proxyFor } from "@hush/key-http";

/** Go's httpproxy rules (golang.org/x/net/http/httpproxy), which SOPS follows. */
describe("proxyFor", () => {
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({ HTTPS_PROXY: "http://proxy.corp:3128", ...extra });
  const via = (host: string, port: string, e: Record<string, string>): string | undefined => proxyFor("https:", host, port, e)?.display;

  it("uses HTTPS_PROXY (upper case first, then https_proxy) for https only, never HTTP_PROXY", () => {
    expect(via("kms.example.com", "", env())).toBe("http://proxy.corp:3128");
    expect(via("kms.example.com", "", { https_proxy: "http://low:1" })).toBe("http://low:1");
    expect(via("kms.example.com", "", { HTTPS_PROXY: "http://up:1", https_proxy: "http://low:1" })).toBe("http://up:1");
    expect(via("kms.example.com", "", { HTTPS_PROXY: "", https_proxy: "http://low:1" })).toBe("http://low:1");
    // Messages name the variable as the user set it.
    expect(proxyFor("https:", "kms.example.com", "", { https_proxy: "http://low:1" })?.variable).toBe("https_proxy");
    expect(proxyFor("https:", "kms.example.com", "", { HTTPS_PROXY: "http://up:1" })?.variable).toBe("HTTPS_PROXY");
    expect(via("kms.example.com", "", { HTTP_PROXY: "http://plain:1" })).toBeUndefined();
    expect(proxyFor("http:", "kms.example.com", "", { ...env(), HTTP_PROXY: "http://plain:1" })).toBeUndefined();
  });

  it("never proxies loopback: localhost, 127.0.0.0/8, ::1", () => {
    for (const host of ["localhost", "LOCALHOST", "127.0.0.1", "127.9.9.9", "[::1]", "::1", "::ffff:127.0.0.1"]) expect(via(host, "", env()), host).toBeUndefined();
    expect(via("localhost.example.com", "", env())).toBe("http://proxy.corp:3128");
    expect(via("128.0.0.1", "", env())).toBe("http://proxy.corp:3128");
  });

  const cases: [noProxy: string, host: string, port: string, direct: boolean][] = [
    ["example.com", "example.com", "", true],
    ["example.com", "kms.example.com", "", true],
    ["example.com", "badexample.com", "", false],
    [".example.com", "example.com", "", false],
    [".example.com", "kms.example.com", "", true],
    ["*.example.com", "kms.example.com", "", true],
    ["*.example.com", "example.com", "", false],
    ["EXAMPLE.com", "Kms.Example.COM", "", true],
    ["example.com:8200", "vault.example.com", "8200", true],
    ["example.com:8200", "vault.example.com", "443", false],
    ["example.com:443", "vault.example.com", "", true],
    ["10.0.0.0/8", "10.1.2.3", "", true],
    ["10.0.0.0/8", "11.1.2.3", "", false],
    ["10.0.0.0/8", "ten.example.com", "", false],
    ["192.168.1.5", "192.168.1.5", "", true],
    ["192.168.1.5:8200", "192.168.1.5", "443", false],
    ["2001:db8::/32", "[2001:db8::7]", "", true],
    ["[2001:db8::7]:443", "[2001:db8::7]", "", true],
    ["*", "anything.example.com", "", true],
    [" a.org , example.com ", "kms.example.com", "", true],
    [":443", "kms.example.com", "", false],
    ["", "kms.example.com", "", false],
  ];
  it.each(cases)("NO_PROXY=%j for %s:%s → direct %s", (noProxy, host, port, direct) => {
    expect(via(host, port, env({ NO_PROXY: noProxy })) === undefined).toBe(direct);
    expect(via(host, port, env({ no_proxy: noProxy })) === undefined).toBe(direct);
  });

  it("reads a value without a scheme as http://, takes the port's default, and sends the user and password to the proxy only", () => {
    expect(via("kms.example.com", "", { HTTPS_PROXY: "proxy.corp:3128" })).toBe("http://proxy.corp:3128");
    const route = proxyFor("https:", "kms.example.com", "", { HTTPS_PROXY: "https://us%40er:p%3Ass@proxy.corp" });
    expect(route).toMatchObject({ protocol: "https:", hostname: "proxy.corp", port: 443, display: "https://proxy.corp" });
    expect(route?.authorization).toBe(`Basic ${Buffer.from("us@er:p:ss").toString("base64")}`);
    expect(proxyFor("https:", "kms.example.com", "", { HTTPS_PROXY: "http://[::1]:3128" })).toMatchObject({ hostname: "::1", port: 3128 });
  });

  it("refuses a socks or unparseable proxy naming the variable, never the value", () => {
    expect(() => proxyFor("https:", "kms.example.com", "", { https_proxy: "socks5://u:secret@h:1080" })).toThrow(/^https_proxy names a socks5 proxy; hush goes through http and https proxies only/);
    expect(() => proxyFor("https:", "kms.example.com", "", { HTTPS_PROXY: "http://u:secret@[bad" })).toThrow(/^HTTPS_PROXY is not a proxy address/);
    for (const value of ["socks5://u:secret@h:1080", "http://u:secret@[bad"]) {
      try {
        proxyFor("https:", "kms.example.com", "", { HTTPS_PROXY: value });
      } catch (err) {
        expect((err as Error).message).not.toContain("secret");
      }
    }
    // Not consulted when the host bypasses the proxy anyway.
    expect(proxyFor("https:", "127.0.0.1", "", { HTTPS_PROXY: "socks5://h:1" })).toBeUndefined();
    expect(proxyFor("https:", "kms.example.com", "", { HTTPS_PROXY: "socks5://h:1", NO_PROXY: "example.com" })).toBeUndefined();
  });
});
