import { readFileSync } from 'node:fs';

/** The version in package.json, read when asked so `--help` pays nothing for it. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
