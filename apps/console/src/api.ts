import { apiKey } from './session';
import type { Credential, ExportView, Page } from './types';

/** An error answer of the API: `{ code, message, field?, errors? }`, with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly errors: { field: string; message: string }[] = [],
  ) {
    super(message);
  }

  /** The message for each named field (several for one field are joined). */
  byField(): Record<string, string> {
    const out: Record<string, string> = {};
    const add = (field: string, message: string) => (out[field] = out[field] ? `${out[field]}; ${message}` : message);
    for (const e of this.errors) add(e.field.split('.')[0], e.message);
    if (this.field && !out[this.field]) add(this.field, this.message);
    return out;
  }
}

/** Called when the API answers 401 to a signed-in request (the key was revoked). */
let onUnauthenticated: () => void = () => undefined;
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

async function request<T>(method: string, path: string, body?: unknown, key = apiKey()): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, 'network', 'the server could not be reached; check your connection and try again');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: handled below
  }
  if (res.ok) return parsed as T;
  const e = (parsed ?? {}) as {
    code?: string;
    message?: string;
    field?: string;
    errors?: { field: string; message: string }[];
  };
  const error = new ApiError(
    res.status,
    e.code ?? `http_${res.status}`,
    e.message ?? `the server answered HTTP ${res.status}`,
    e.field,
    e.errors ?? [],
  );
  if (res.status === 401 && key === apiKey()) onUnauthenticated();
  return Promise.reject(error);
}

/** The routes of the REST API the console uses. */
export const api = {
  /** Checks a key before keeping it: any authenticated read will do. */
  checkKey: (key: string) => request<{ items: Credential[] }>('GET', '/v1/credentials/gcp', undefined, key),
  credentials: () => request<{ items: Credential[] }>('GET', '/v1/credentials/gcp'),
  saveCredential: (body: { serviceKey: string; bucket: string }, replaceId?: string) =>
    replaceId
      ? request<Credential>('PUT', `/v1/credentials/gcp/${encodeURIComponent(replaceId)}`, body)
      : request<Credential>('POST', '/v1/credentials/gcp', body),
  deleteCredential: (id: string) => request<void>('DELETE', `/v1/credentials/gcp/${encodeURIComponent(id)}`),
  exports: (cursor?: string, limit = 20) =>
    request<Page<ExportView>>(
      'GET',
      `/v1/exports?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    ),
  export: (id: string) => request<ExportView>('GET', `/v1/exports/${encodeURIComponent(id)}`),
  createExport: (body: Record<string, unknown>) => request<ExportView>('POST', '/v1/exports', body),
  stop: (id: string) => request<ExportView>('POST', `/v1/exports/${encodeURIComponent(id)}/stop`),
  resume: (id: string) => request<ExportView>('POST', `/v1/exports/${encodeURIComponent(id)}/resume`),
  retry: (id: string, runId: string) =>
    request<unknown>('POST', `/v1/exports/${encodeURIComponent(id)}/runs/${encodeURIComponent(runId)}/retry`),
};
