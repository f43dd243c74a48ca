import { maxHeaderSize } from 'node:http';
import type { OpenAPIObject, OperationObject, ResponseObject } from '@nestjs/swagger';
import { ErrorDto, OAuthErrorDto } from './error.dto';

const JSON_TYPE = 'application/json';
const FORM = 'application/x-www-form-urlencoded';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
/** The methods whose body Fastify reads, whether or not the route takes one. */
const BODY_METHODS: ReadonlySet<string> = new Set(['put', 'post', 'delete', 'patch']);

/** The schemas these responses refer to, for createDocument's extraModels. */
export const HTTP_LAYER_MODELS = [ErrorDto, OAuthErrorDto];

const schemaOf = (model: typeof ErrorDto | typeof OAuthErrorDto) => ({
  $ref: `#/components/schemas/${model.name}`,
});

const errorResponse = (
  description: string,
  model: typeof ErrorDto | typeof OAuthErrorDto,
  example?: OAuthErrorDto,
): ResponseObject => ({
  description,
  content: { [JSON_TYPE]: { schema: schemaOf(model), ...(example && { example }) } },
});

/**
 * Adds to each operation the statuses answered below its controller, so that the document lists every status the
 * service can answer: 413 (BODY_LIMIT, Fastify), 415 (a content type the route does not read: Fastify or
 * ContentTypeGuard) and 431 (headers over Node's limit). The form operations are the OAuth 2.0 endpoints, which
 * answer every error in RFC 6749 §5.2's shape: their 400, 401 and 429 get that schema, and are added where a
 * controller left them out.
 */
export function addHttpLayerResponses(document: OpenAPIObject, bodyLimitBytes: number): OpenAPIObject {
  for (const pathItem of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = pathItem[method];
      if (operation) {
        addResponses(operation, BODY_METHODS.has(method), bodyLimitBytes);
      }
    }
  }
  return document;
}

function addResponses(operation: OperationObject, readsBody: boolean, bodyLimitBytes: number): void {
  const content =
    operation.requestBody && 'content' in operation.requestBody ? operation.requestBody.content : {};
  const isOAuth = FORM in content;
  const model = isOAuth ? OAuthErrorDto : ErrorDto;
  const responses = operation.responses;
  if (readsBody) {
    // Fastify reads (and limits) a body on these methods even where the route takes none.
    const sent = operation.requestBody ? 'The body' : 'A body, which this route does not take,';
    responses['413'] ??= errorResponse(
      `${sent} is over BODY_LIMIT (${bodyLimitBytes} bytes)`,
      model,
      isOAuth ? { error: 'invalid_request', error_description: 'Request body is too large' } : undefined,
    );
    responses['415'] ??= errorResponse(
      isOAuth
        ? `The body is of a type the service does not read (a JSON or text body is a 400 invalid_request)`
        : `${sent} is not ${JSON_TYPE}`,
      model,
      isOAuth ? { error: 'invalid_request', error_description: 'Unsupported Media Type' } : undefined,
    );
  }
  // Answered by Node's HTTP parser (Fastify's clientError handler) before any route is found.
  responses['431'] ??= errorResponse(
    `Request headers over ${maxHeaderSize} bytes (Node's --max-http-header-size); the connection is closed`,
    ErrorDto,
  );
  if (isOAuth) {
    useOAuthShape(
      operation,
      '400',
      'invalid_request: a parameter missing, repeated or malformed, or a body not a form',
      {
        error: 'invalid_request',
        error_description: 'token is required, once',
      },
    );
    useOAuthShape(operation, '401', 'invalid_client: client authentication failed; see WWW-Authenticate', {
      error: 'invalid_client',
      error_description: 'Invalid client credentials',
    });
    useOAuthShape(operation, '429', 'temporarily_unavailable: too many attempts; see Retry-After', {
      error: 'temporarily_unavailable',
      error_description: 'Too many attempts; try again in 60 seconds',
    });
  }
}

/** The response in RFC 6749 §5.2's shape; a controller's own keeps its description and example. */
function useOAuthShape(
  operation: OperationObject,
  status: string,
  description: string,
  example: OAuthErrorDto,
): void {
  const existing = operation.responses[status];
  if (existing && 'description' in existing) {
    const media = existing.content?.[JSON_TYPE];
    existing.content = { [JSON_TYPE]: { ...media, schema: schemaOf(OAuthErrorDto) } };
  } else {
    operation.responses[status] = errorResponse(description, OAuthErrorDto, example);
  }
}
