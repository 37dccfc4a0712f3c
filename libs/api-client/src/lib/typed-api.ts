import type { components, paths } from './openapi';

/** The API's request methods, as the OpenAPI document names them. */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

interface Operation {
  parameters: { query?: unknown; path?: unknown };
  requestBody?: unknown;
  responses: unknown;
}

/** A schema of the OpenAPI document by name, e.g. `Schema<'VersionDto'>`. */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];

/** The paths that answer `Method`, e.g. `PathsFor<'get'>`. */
export type PathsFor<Method extends HttpMethod> = { [Path in keyof paths]: paths[Path][Method] extends Operation ? Path : never }[keyof paths];

type OperationOf<Method extends HttpMethod, Path extends PathsFor<Method>> = Extract<paths[Path][Method], Operation>;

type SuccessStatus = 200 | 201 | 204;
type JsonContentOf<Response> = Response extends { content: { 'application/json': infer Body } } ? Body : void;

/** The JSON a successful call answers (void for 204 and non-JSON answers). */
export type ResponseOf<Method extends HttpMethod, Path extends PathsFor<Method>> = OperationOf<Method, Path>['responses'] extends infer Responses
  ? JsonContentOf<Responses[Extract<keyof Responses, SuccessStatus>]>
  : never;

/** The JSON body a call takes. */
export type RequestBodyOf<Method extends HttpMethod, Path extends PathsFor<Method>> = OperationOf<Method, Path>['requestBody'] extends {
  content: { 'application/json': infer Body };
}
  ? Body
  : never;

/** The query parameters a call takes. */
export type QueryOf<Method extends HttpMethod, Path extends PathsFor<Method>> = NonNullable<OperationOf<Method, Path>['parameters']['query']>;

type PathParamsOf<Method extends HttpMethod, Path extends PathsFor<Method>> = NonNullable<OperationOf<Method, Path>['parameters']['path']>;

/** Options of one call: path parameters when the path has some, query and body when the operation takes them. */
export type RequestOptions<Method extends HttpMethod, Path extends PathsFor<Method>> = ([PathParamsOf<Method, Path>] extends [never]
  ? { path?: never }
  : { path: PathParamsOf<Method, Path> }) &
  ([QueryOf<Method, Path>] extends [never] ? { query?: never } : { query?: QueryOf<Method, Path> }) &
  ([RequestBodyOf<Method, Path>] extends [never] ? { body?: never } : { body: RequestBodyOf<Method, Path> }) & { signal?: AbortSignal };

/** Sends one request: `url` has its path parameters filled in; query and body are still objects. */
export type Transport = (method: Uppercase<HttpMethod>, url: string, options: { query?: object; body?: unknown; signal?: AbortSignal }) => Promise<unknown>;

/** `/api/gateways/{gatewayId}` with `{ gatewayId: 'a b' }` → `/api/gateways/a%20b`. */
export function fillPath(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`Path parameter "${name}" of ${template} is missing`);
    return encodeURIComponent(String(value));
  });
}

/**
 * A request function typed by the API's OpenAPI document over any transport (the web app's fetch
 * wrapper, the CLI's): paths, parameters, bodies and answers are checked at compile time.
 */
export function typedApi(transport: Transport) {
  return function request<Method extends HttpMethod, Path extends PathsFor<Method>>(
    method: Method,
    path: Path,
    ...[options]: Partial<RequestOptions<Method, Path>> extends RequestOptions<Method, Path> ? [RequestOptions<Method, Path>?] : [RequestOptions<Method, Path>]
  ): Promise<ResponseOf<Method, Path>> {
    const {
      path: params,
      query,
      body,
      signal,
    } = (options ?? {}) as { path?: Record<string, string | number>; query?: object; body?: unknown; signal?: AbortSignal };
    return transport(method.toUpperCase() as Uppercase<HttpMethod>, fillPath(path, params), { query, body, signal }) as Promise<ResponseOf<Method, Path>>;
  };
}
