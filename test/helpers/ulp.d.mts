export declare function pow2(k: number): number;
export declare function exponentOf(a: number): number;
export declare function ulpErrF32(y: number, ref: number): number;
export declare function ulpErrF64(y: number, hi: number, lo: number, n: number): number;
