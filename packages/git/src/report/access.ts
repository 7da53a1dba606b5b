import { comparableKeyId, masterKeyIdentity, recipientName, shamirThresholdProblem, type CreationRule, type FileMetadata, type MasterKeyEntry, type MasterKeyRecipient, type RecipientNames, type SopsConfig } from "@hush/core";
import { neededGroups, otherReaders, recipientDrift } from "../recipient-check.ts";
import { REPORT_SCHEMA_VERSION, type AccessReport, type FileAccess, type MatrixRow, type RecipientRef } from "./model.ts";

/**
 * Who can open which file, from each file's metadata and `.sops.yaml`, without a key: the data of
 * `hush access`. Recipients are compared as `hush check` compares them (recipient-check.ts).
 */

/** One encrypted file as read for the report. */
export interface AccessInput {
  readonly path: string;
  readonly metadata: FileMetadata;
  /** The file's creation rule, or undefined when none matches. */
  readonly rule: CreationRule | undefined;
}

/** A recipient as the report shows it. */
export function recipientRef(key: MasterKeyEntry | MasterKeyRecipient, names: RecipientNames | undefined): RecipientRef {
  return { kind: key.kind, identity: masterKeyIdentity(key), name: recipientName(names, key) ?? null };
}

/** Sort order of recipients: named ones first by name, then by kind and identity. */
export function compareRecipients(a: RecipientRef, b: RecipientRef): number {
  if ((a.name === null) !== (b.name === null)) return a.name === null ? 1 : -1;
  const an = a.name ?? "";
  const bn = b.name ?? "";
  if (an !== bn) return an < bn ? -1 : 1;
  const ak = `${a.kind} ${a.identity}`;
  const bk = `${b.kind} ${b.identity}`;
  return ak < bk ? -1 : ak > bk ? 1 : 0;
}

function fileAccess(input: AccessInput, names: RecipientNames | undefined): FileAccess {
  const { metadata, rule } = input;
  const drift = recipientDrift(metadata, rule);
  const thresholdProblem = shamirThresholdProblem(metadata.keyGroups.length, metadata.shamirThreshold) ?? null;
  return {
    path: input.path,
    groups: metadata.keyGroups.map((group) => group.map((entry) => recipientRef(entry, names))),
    threshold: thresholdProblem === null ? neededGroups(metadata.keyGroups.length, metadata.shamirThreshold) : metadata.shamirThreshold,
    thresholdProblem,
    rule: drift === undefined || rule === undefined ? null : rule.pathRegex,
    drift: {
      unexpected: (drift?.unexpected ?? []).map(({ entry }) => recipientRef(entry, names)),
      missing: (drift?.missing ?? []).map((r) => recipientRef(r, names)),
      groups: drift?.structure ?? null,
    },
    readDifferently: (metadata.unread?.lookalikeFields ?? []).map((l) => ({ where: l.where, readsAs: l.reads })),
    ignored: [...((metadata.unread?.ignoredKeyGroups ?? 0) > 0 ? ["sops.key_groups"] : []), ...(metadata.unread?.unknownFields ?? []).map((f) => `sops.${f.name}`)],
    otherReaders: metadata.keyGroups.flatMap((group, gi) =>
      group.flatMap((entry) => {
        const why = otherReaders(entry);
        return why === undefined ? [] : [{ recipient: recipientRef(entry, names), group: gi, why }];
      }),
    ),
  };
}

/**
 * The access report for `inputs` (in the order given), with recipients named by `config`'s names
 * and its `destination_rules` as the places `sops publish` would send files.
 */
export function buildAccessReport(inputs: readonly AccessInput[], config: Pick<SopsConfig, "recipientNames" | "destinationRules"> | undefined): AccessReport {
  const names = config?.recipientNames;
  const files = inputs.map((input) => fileAccess(input, names));
  const rows = new Map<string, { recipient: RecipientRef; groups: number[][] }>();
  inputs.forEach((input, fi) => {
    input.metadata.keyGroups.forEach((group, gi) => {
      for (const entry of group) {
        const id = comparableKeyId(entry);
        let row = rows.get(id);
        if (row === undefined) {
          row = { recipient: recipientRef(entry, names), groups: inputs.map(() => []) };
          rows.set(id, row);
        }
        const cell = row.groups[fi]!;
        if (!cell.includes(gi)) cell.push(gi);
      }
    });
  });
  const matrix: MatrixRow[] = [...rows.values()].sort((a, b) => compareRecipients(a.recipient, b.recipient));
  const publishing = (config?.destinationRules?.rules ?? []).map((d) => ({ ...d, recipients: d.recipients.map((r) => recipientRef(r, names)) }));
  return { schema: "hush-access", version: REPORT_SCHEMA_VERSION, files, matrix, publishing };
}
