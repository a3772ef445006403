/**
 * Priority classes, strict between classes. Index 0 is the most urgent.
 * Names and order are configurable; these are the defaults of DESIGN.md.
 */
export const DEFAULT_PRIORITY_CLASSES: readonly string[] = Object.freeze([
  'critical',
  'high',
  'normal',
  'low',
]);

export class PriorityClasses {
  readonly names: readonly string[];
  private readonly index: ReadonlyMap<string, number>;

  constructor(names: readonly string[] = DEFAULT_PRIORITY_CLASSES) {
    if (names.length === 0) throw new Error('at least one priority class is needed');
    if (new Set(names).size !== names.length)
      throw new Error(`priority classes must be unique: ${names.join(', ')}`);
    this.names = Object.freeze([...names]);
    this.index = new Map(names.map((name, i) => [name, i]));
  }

  get size(): number {
    return this.names.length;
  }

  /** Index of a class name, or undefined when unknown. */
  indexOf(name: string): number | undefined {
    return this.index.get(name);
  }

  nameOf(index: number): string {
    return this.names[Math.min(Math.max(0, index), this.names.length - 1)] as string;
  }

  /** The lower (less urgent) of two classes: a request may lower its own priority, never raise it. */
  lowerOf(a: number, b: number): number {
    return Math.max(a, b);
  }
}
