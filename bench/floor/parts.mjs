// The parts FLOOR_WITH may add to the floor (`sdk+reads+record+ledger`, any of them, in any order):
// what each adds is told in door.mjs and worker.mjs. Also the keys of a call that both name (floorKeys).
export const FLOOR_PARTS = ['sdk', 'reads', 'record', 'ledger'];

/** The parts a FLOOR_WITH value names; an unknown one is an error, not a floor measured without it. */
export function floorParts(spec = '') {
  const parts = new Set(spec.split('+').filter(Boolean));
  const unknown = [...parts].filter((p) => !FLOOR_PARTS.includes(p));
  if (unknown.length) throw new Error(`FLOOR_WITH: unknown part ${unknown.join(', ')}; the parts are ${FLOOR_PARTS.join(', ')}`);
  return parts;
}

/** The floor's keys of one call: its stream (the result, and with `record` its events) and its record. */
export const floorKeys = (id) => ({ out: `{floor}:out:${id}`, record: `{floor}:req:${id}` });
