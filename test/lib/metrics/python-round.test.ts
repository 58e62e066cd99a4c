import { pythonRound } from '../../../lib/metrics/python-round.js';

describe('pythonRound', () => {
  // Expected values printed by CPython 3: round(x, n).
  it.each([
    [0.03125, 4, 0.0312], // exact binary tie: half to even (Math.round would give 0.0313)
    [0.28125, 4, 0.2812],
    [0.03135, 4, 0.0314],
    [2 / 3, 4, 0.6667],
    [1 / 3, 4, 0.3333],
    [0.00005, 4, 0.0001], // the double is just above the tie
    [0.12345, 4, 0.1235],
    [0.99995, 4, 1.0],
    [0.5, 0, 0],
    [1.5, 0, 2],
    [2.5, 0, 2],
    [0, 4, 0],
    [1, 4, 1],
  ])('round(%p, %p) == %p', (x, digits, expected) => {
    expect(pythonRound(x, digits)).toBe(expected);
  });

  it('handles negative values symmetrically', () => {
    expect(pythonRound(-0.03125, 4)).toBe(-0.0312);
    expect(pythonRound(-2 / 3, 4)).toBe(-0.6667);
  });
});
