export declare const ROOT: string;
export declare function compileEntry(
  entry: string,
  opts: { simd: boolean; extraArgs?: string[] },
): Promise<Uint8Array>;
export declare function instantiate(
  binary: Uint8Array,
  pages: number,
): { memory: WebAssembly.Memory; exports: Record<string, any> };
