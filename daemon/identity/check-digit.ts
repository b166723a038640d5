/** GS1 mod-10 check digit over the data digits (weights 3,1,3,... from the right). */
export function gs1CheckDigit(digits: string): number {
  let sum = 0;
  for (let i = digits.length - 1, w = 3; i >= 0; i--, w = 4 - w) sum += (digits.charCodeAt(i) - 48) * w;
  return (10 - (sum % 10)) % 10;
}

/** True when the last digit of `digits` is the check digit of the others. */
export function hasValidCheckDigit(digits: string): boolean {
  return (
    digits.length > 1 && gs1CheckDigit(digits.slice(0, -1)) === digits.charCodeAt(digits.length - 1) - 48
  );
}
