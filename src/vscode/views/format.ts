/** A count or a duration as the views write it: rounded, with thousands separators (1,234). */
export const formatCount = (n: number): string => Math.round(n).toLocaleString('en-US');
