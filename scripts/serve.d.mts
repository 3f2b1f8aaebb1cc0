/** Types of scripts/serve.mjs (the static server used by the browser demo and tests). */
export interface StaticServerOptions {
  /** Folder served at '/'. */
  root?: string;
  /** URL prefix → folder; the longest matching prefix wins. */
  mounts?: Record<string, string>;
  /** Extra response headers for a request path (e.g. a Content-Security-Policy). */
  headers?: (pathname: string) => Record<string, string>;
  port?: number;
  host?: string;
}

export interface ServedRequest {
  method: string | undefined;
  path: string;
  status: number;
}

export interface StaticServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Every request served so far. */
  requests: ServedRequest[];
  close(): Promise<void>;
}

export function startStaticServer(options?: StaticServerOptions): Promise<StaticServer>;
