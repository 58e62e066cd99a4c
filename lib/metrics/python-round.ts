/**
 * Python's `round(x, digits)` for finite numbers: the correctly rounded decimal of the exact binary
 * value, ties to even. `Math.round(x * 10 ** d) / 10 ** d` differs both on inexact products and on
 * exact ties such as `round(0.03125, 4) == 0.0312`, so Ianvs figures would not reproduce.
 */
export function pythonRound(x: number, digits: number): number {
  if (!Number.isFinite(x) || digits < 0 || digits > 20) return x;
  // toFixed(100) is the exact decimal expansion of x for every double whose last bit sits above
  // 1e-100, which covers every value whose rounding at <= 20 digits could be a tie.
  const exact = Math.abs(x).toFixed(100);
  const point = exact.indexOf('.');
  const kept = exact.slice(0, point + 1 + digits);
  const rest = exact.slice(point + 1 + digits);
  let roundUp = rest[0]! > '5' || (rest[0] === '5' && /[1-9]/.test(rest.slice(1)));
  if (rest[0] === '5' && !roundUp && !/[1-9]/.test(rest.slice(1))) {
    const last = kept.replace('.', '').at(-1)!;
    roundUp = Number(last) % 2 === 1;
  }
  // Adding one unit in the last kept place is done in decimal (string) arithmetic, so it is exact.
  let digitsOnly = kept.replace('.', '');
  if (roundUp) {
    const arr = digitsOnly.split('').map(Number);
    let i = arr.length - 1;
    while (i >= 0) {
      if (arr[i]! < 9) {
        arr[i] = arr[i]! + 1;
        break;
      }
      arr[i] = 0;
      i -= 1;
    }
    digitsOnly = (i < 0 ? '1' : '') + arr.join('');
  }
  const intLen = digitsOnly.length - digits;
  const text = `${digitsOnly.slice(0, intLen)}.${digitsOnly.slice(intLen)}`;
  const value = Number(text);
  return x < 0 ? -value : value;
}
