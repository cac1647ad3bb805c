export interface Discount {
  /** A percentage off, 0 to 100. */
  percent: number;
  /** Orders under this many cents get no discount. */
  minimumCents: number;
}

export function applyDiscount(subtotalCents: number, discount: Discount): number {
  if (subtotalCents < discount.minimumCents) return subtotalCents;
  return Math.round(subtotalCents * (1 - discount.percent / 100));
}
