// Whether human-readable output may carry colour: --no-color and NO_COLOR (https://no-color.org) always win,
// FORCE_COLOR forces it on, otherwise colour only goes to a terminal.

export interface ColorInputs {
  /** commander's `--no-color` gives `color: false`. */
  colorFlag?: boolean;
  env: Readonly<Record<string, string | undefined>>;
  isTTY: boolean;
}

export function colorEnabled({ colorFlag, env, isTTY }: ColorInputs): boolean {
  if (colorFlag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return isTTY && env.TERM !== 'dumb';
}
