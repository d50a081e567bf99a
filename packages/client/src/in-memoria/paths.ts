/**
 * Team sharing: two checkouts of one project live at different absolute paths
 * (/home/a/app, /work/app). An absolute path under a checkout's root is stored
 * as `{root}/src/x.ts` and read back under the reader's own root; every other
 * path (relative, or outside the root) is stored and returned unchanged. The
 * marker keeps the two apart, so a relative path In-Memoria wrote (`./src/x.ts`)
 * never comes back absolute.
 */
import path from 'node:path';

export const ROOT_MARKER = '{root}';

export interface PathCodec {
  toStored(value: string): string;
  fromStored(value: string): string;
}

export const unchangedPaths: PathCodec = { toStored: (value) => value, fromStored: (value) => value };

export function rootedPaths(root: string): PathCodec {
  const base = path.resolve(root);
  const prefix = base.endsWith(path.sep) ? base : base + path.sep;
  return {
    toStored(value) {
      if (typeof value !== 'string' || !path.isAbsolute(value)) return value;
      if (value === base) return ROOT_MARKER;
      return value.startsWith(prefix) ? `${ROOT_MARKER}/${value.slice(prefix.length).split(path.sep).join('/')}` : value;
    },
    fromStored(value) {
      if (typeof value !== 'string') return value;
      if (value === ROOT_MARKER) return base;
      return value.startsWith(`${ROOT_MARKER}/`) ? path.join(base, value.slice(ROOT_MARKER.length + 1)) : value;
    },
  };
}

/** Both directions over a list of paths (JSON columns In-Memoria fills with file paths). */
export function mapPaths<T>(values: T, map: (value: string) => string): T {
  return (Array.isArray(values) ? values.map((value: unknown) => (typeof value === 'string' ? map(value) : value)) : values) as T;
}
