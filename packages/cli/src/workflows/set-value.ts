import { HushError, isHushError, parseSetValue, type TreeNode } from "@hush/core";

/**
 * Parses a `set` value given on the command line: any JSON value (core's `parseSetValue`). Bad
 * JSON is exit 7; the message never quotes the value.
 */
export async function parseJsonValue(text: string): Promise<TreeNode> {
  try {
    return await parseSetValue(text);
  } catch (err) {
    throw isHushError(err, "INVALID_SET_VALUE") ? new HushError("INVALID_SET_VALUE", err.message, { located: true }) : err;
  }
}
