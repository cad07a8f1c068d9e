/**
 * The SDK's endpoint and schema serde middleware spread the client's resolved config into a new
 * object on every request (`{ ...config }` in @smithy/core), three times in all. That config is an
 * object V8 keeps in dictionary mode (its `credentials` accessor puts it there), and spreading one
 * of ~70 keys so costs 15–45 µs: a few per cent of the client's CPU on small files. A copy made by
 * a spread is in fast mode (~1.5 µs a spread). It holds what the accessor returns now (the SDK's
 * memoised credential provider, which refreshes credentials itself), as a plain property: whatever
 * spreads the copy (the presigner does) still finds it. The copy is for the commands (they are
 * wired to `client.config` at their first send) and the serde (client.ts binds it again); the
 * client's other middleware (signing, retries) keeps the original, and what it writes there (the
 * clock skew) stays there.
 */
export function fastConfig<T extends object>(config: T): T {
  return { ...config };
}
