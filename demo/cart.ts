import { formatPrice } from './format';
import { Discount, applyDiscount } from './discount';

export interface Item {
  name: string;
  price: number;
  quantity: number;
}

export function total(items: Item[]): number {
  let total = 0;
  for (const item of items) {
    total += item.price * item.quantity;
  }
  return total;
}

export function addItem(cart: Item[], item: Item): Item[] {
  const existing = cart.find((entry) => entry.name === item.name);
  if (existing) {
    return cart.map((entry) => (entry === existing ? { ...entry, quantity: entry.quantity + item.quantity } : entry));
  }
  return [...cart, item];
}

export function checkoutSummary(items: Item[], discount?: Discount): string {
  const subtotal = total(items);
  const due = discount ? applyDiscount(subtotal, discount) : subtotal;
  return `${items.length} items, ${formatPrice(due)} due`;
}
