/** `host:port` or `[v6]:port`, as `metrics.listen` says it. */
export function parseListen(listen: string): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen.trim());
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 0 || port > 65_535) return null;
  return { host: m[1] ?? m[2]!, port };
}
