/**
 * A getter of one value per process, created on its first call: a function builds only the
 * clients it uses, and builds each once.
 */
export function onePerProcess<Value>(create: () => Value): () => Value {
  let value: Value | undefined;
  return () => (value ??= create());
}
