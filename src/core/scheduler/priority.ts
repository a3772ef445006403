/**
 * Priority classes, strict between classes. Index 0 is the most urgent.
 * Names and order are configurable; these are the defaults of DESIGN.md.
 *
 * Below every configured class there is always `background` (issue 19: batch
 * lines): work that uses only capacity interactive traffic does not need
 * right now. Admission gives it a headroom to leave free on every bucket
 * (runtime/admission.ts); here it is only the last class, so strict priority
 * and "a caller may only lower its class" put it behind everything else.
 */
export const DEFAULT_PRIORITY_CLASSES: readonly string[] = Object.freeze([
  'critical',
  'high',
  'normal',
  'low',
]);

/** The class below every configured one. */
export const BACKGROUND_CLASS = 'background';

/**
 * The class names in force for `configured` ones: `background` is appended
 * unless the list already ends with it. Undefined when the list names
 * `background` anywhere but last (the config schema reports that).
 */
export function classNamesWithBackground(configured: readonly string[]): readonly string[] | undefined {
  const at = configured.indexOf(BACKGROUND_CLASS);
  if (at >= 0 && at !== configured.length - 1) return undefined;
  return at >= 0 ? configured : [...configured, BACKGROUND_CLASS];
}

export class PriorityClasses {
  readonly names: readonly string[];
  /** Index of the `background` class: always the last. */
  readonly background: number;
  private readonly index: ReadonlyMap<string, number>;

  constructor(configured: readonly string[] = DEFAULT_PRIORITY_CLASSES) {
    if (configured.length === 0) throw new Error('at least one priority class is needed');
    if (new Set(configured).size !== configured.length)
      throw new Error(`priority classes must be unique: ${configured.join(', ')}`);
    const names = classNamesWithBackground(configured);
    if (!names)
      throw new Error(`priority class ${BACKGROUND_CLASS} must be the last: ${configured.join(', ')}`);
    this.names = Object.freeze([...names]);
    this.background = names.length - 1;
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
