/**
 * The last line of defence of the "pure and total" contract (adapter.ts):
 * every adapter method runs through `guarded`, so an input nobody foresaw
 * (a getter that throws, a stack overflow on absurd nesting) yields the
 * method's "unknown" answer instead of an exception on the proxy path. The
 * parsers are written to be total on their own; the property tests check
 * that this net is never what saves them.
 */
export function guarded<A extends unknown[], R>(
  fn: (...args: A) => R,
  fallback: NoInfer<(...args: A) => R>,
): (...args: A) => R {
  return (...args: A): R => {
    try {
      return fn(...args);
    } catch {
      return fallback(...args);
    }
  };
}
