import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { shippedSources } from "./shipped-sources.ts";

/**
 * No shipped source exports a key as a JWK. In Node 20.20 `KeyObject.export({ format: "jwk" })`
 * of an Ed25519 or X25519 key now and then never returns (a loop generating and exporting 5,000
 * Ed25519 keys hung in two runs of five; exporting DER never did): one `hush encrypt` in a few
 * thousand hung in CI until the age wrap read its public point from DER. Keys' numbers come from
 * their DER encodings (packages/key-source-age/src/key-der.ts, curve25519.ts); importing a JWK
 * (`createPrivateKey({ format: "jwk" })`) is a different path and stays allowed.
 */

/** `file:line` of every `x.export({ …, format: "jwk", … })` in the shipped packages' sources. */
function jwkExports(): string[] {
  const found: string[] = [];
  for (const { path, file } of shippedSources()) {
    const sf = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "export") {
        const options = node.arguments[0];
        const asksJwk =
          options !== undefined &&
          ts.isObjectLiteralExpression(options) &&
          options.properties.some(
            (p) => ts.isPropertyAssignment(p) && p.name.getText(sf) === "format" && ts.isStringLiteralLike(p.initializer) && p.initializer.text === "jwk",
          );
        if (asksJwk) found.push(`${file}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return found;
}

describe("key encodings", () => {
  it("no shipped source exports a key as a JWK (it can hang in Node 20.20)", () => {
    expect(jwkExports()).toEqual([]);
  });
});
