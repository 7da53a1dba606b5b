import type { KeyPath, TreeList, TreeMap, TreeNode } from "@hush/core";

/**
 * `nodeAt` for many paths of one tree: each map's keys and each list's items are indexed the
 * first time a path goes through them, so a lookup costs the path's length. `nodeAt` searches a
 * map's entries for each key, and writing the merged values into ours looks up every leaf: a
 * map of 20,000 keys took seconds, one of 60,000 minutes.
 */
export function treeLookup(tree: TreeNode): (path: KeyPath) => TreeNode | undefined {
  const maps = new WeakMap<TreeMap, Map<string, TreeNode>>();
  const lists = new WeakMap<TreeList, TreeNode[]>();
  const keysOf = (map: TreeMap): Map<string, TreeNode> => {
    let keys = maps.get(map);
    if (keys === undefined) {
      keys = new Map();
      // The first entry of a key, as nodeAt finds it.
      for (const e of map.entries) if (e.kind === "entry" && !keys.has(e.key)) keys.set(e.key, e.value);
      maps.set(map, keys);
    }
    return keys;
  };
  const itemsOf = (list: TreeList): TreeNode[] => {
    let items = lists.get(list);
    if (items === undefined) lists.set(list, (items = list.items.filter((i) => i.kind !== "comment")));
    return items;
  };
  return (path) => {
    let node: TreeNode | undefined = tree;
    for (const segment of path) {
      if (typeof segment === "string") node = node.kind === "map" ? keysOf(node).get(segment) : undefined;
      else node = node.kind === "list" ? itemsOf(node)[segment] : undefined;
      if (node === undefined) return undefined;
    }
    return node;
  };
}
