/**
 * The SDK's endpoint and schema serde middleware spread the client's resolved config into a new
 * object on every request (`{ ...config }` in @smithy/core), three times in all. That config is an object V8 keeps in dictionary mode
 * (its `credentials` accessor puts it there), and spreading one of ~70 keys so costs 15–45 µs: a
 * few per cent of the client's CPU on small files. This copy holds the data properties as an
 * object literal does (fast mode: ~1.5 µs a spread) and the accessors on its prototype, so reading
 * and setting `credentials` still reach the SDK's own getter and setter. The copy is a snapshot:
 * it is for the commands (they are wired to `client.config` at their first send) and the serde
 * (client.ts binds it again); the client's other middleware (signing, retries) keeps the original,
 * and what it writes there (the clock skew) stays there.
 */
export function fastConfig<T extends object>(config: T): T {
  const accessors: PropertyDescriptorMap = {};
  const data: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(config))) {
    if (d.get || d.set) accessors[k] = d;
    else data[k] = d.value;
  }
  return { __proto__: Object.defineProperties({}, accessors), ...data } as T;
}
