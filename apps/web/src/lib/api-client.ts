import { typedApi } from '@upgrade-manager/api-client';
import { env } from '../config/env';
import { tokenStore } from './token-store';

/** A failed API call, with the server's message(s) ready to show. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly messages: string[] = [message],
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type QueryValue = string | number | boolean | null | undefined;

// Any object of query parameters (DTO classes have no index signature); empty values are left out.
export type QueryParams = object;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  query?: QueryParams;
  body?: unknown;
  signal?: AbortSignal;
}

let unauthorizedHandler: (() => void) | null = null;

/** Called on every 401 so the app can drop the session and show the login page. */
export function onUnauthorized(handler: (() => void) | null): void {
  unauthorizedHandler = handler;
}

export function apiUrl(path: string, query?: QueryParams): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {}) as [string, QueryValue][]) {
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  }
  const search = params.toString();
  return `${env.API_URL}${path}${search ? `?${search}` : ''}`;
}

export function authHeaders(): Record<string, string> {
  const token = tokenStore.get();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

interface ErrorBody {
  message?: string | string[];
  code?: string;
  error?: string;
}

/** Turns an error response body (Nest's or our filter's) into an ApiError. */
export function toApiError(status: number, body: unknown): ApiError {
  const { message, code, error } = (typeof body === 'object' && body !== null ? body : {}) as ErrorBody;
  const messages = Array.isArray(message) ? message : message ? [message] : [error ?? defaultMessage(status)];
  return new ApiError(status, messages.join('; '), messages, code);
}

function defaultMessage(status: number): string {
  if (status === 401) return 'Your session has ended. Please log in again.';
  if (status === 403) return 'You are not allowed to do this.';
  if (status === 404) return 'Not found.';
  if (status >= 500) return 'The server had a problem. Try again in a moment.';
  return `Request failed (HTTP ${status}).`;
}

export function notifyUnauthorized(): void {
  unauthorizedHandler?.();
}

/** fetch() for the API: JSON in and out, bearer token, typed errors; a 401 ends the session. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders() };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'Cannot reach the server. Check your connection and that the API is running.');
  }
  const text = await response.text();
  const body: unknown = text ? safeJson(text) : undefined;
  if (!response.ok) {
    if (response.status === 401) notifyUnauthorized();
    throw toApiError(response.status, body);
  }
  return body as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

/** `api()` typed by the API's OpenAPI document: `apiRequest('get', '/api/gateways/{gatewayId}', { path: { gatewayId } })`. */
export const apiRequest = typedApi((method, path, { query, body, signal }) => api<unknown>(path, { method, query, body, signal }));
