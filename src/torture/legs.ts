/** A transaction of the crash workload: legs, each moving amount from src to dst and logged in transfers. */
export interface Leg {
  id: number;
  src: number;
  dst: number;
  amount: number;
}

export const encodeLegs = (legs: Leg[]): string => legs.map((l) => `${l.id}:${l.src}:${l.dst}:${l.amount}`).join(',');
export const decodeLegs = (s: string): Leg[] =>
  s.split(',').map((p) => {
    const [id, src, dst, amount] = p.split(':').map(Number);
    return { id: id!, src: src!, dst: dst!, amount: amount! };
  });

