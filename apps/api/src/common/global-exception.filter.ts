import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, DomainErrorCode } from './domain.error';

const STATUS_BY_CODE: Record<DomainErrorCode, HttpStatus> = {
  [DomainErrorCode.INVALID_INPUT]: HttpStatus.BAD_REQUEST,
  [DomainErrorCode.UNAUTHENTICATED]: HttpStatus.UNAUTHORIZED,
  [DomainErrorCode.FORBIDDEN]: HttpStatus.FORBIDDEN,
  [DomainErrorCode.NOT_FOUND]: HttpStatus.NOT_FOUND,
  [DomainErrorCode.CONFLICT]: HttpStatus.CONFLICT,
  [DomainErrorCode.PAYLOAD_TOO_LARGE]: HttpStatus.PAYLOAD_TOO_LARGE,
  [DomainErrorCode.UNAVAILABLE]: HttpStatus.SERVICE_UNAVAILABLE,
};

/** An error of the body parser (http-errors): malformed JSON, a body over the limit. */
interface ClientRequestError {
  status: number;
  expose: true;
  message: string;
}

function isClientRequestError(error: unknown): error is ClientRequestError {
  if (typeof error !== 'object' || error === null) return false;
  const { status, expose } = error as Partial<ClientRequestError>;
  return expose === true && typeof status === 'number' && status >= 400 && status < 500;
}

/** HTTP errors pass through, domain errors map by code, anything else is a generic 500. */
@Catch()
export class GlobalExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(GlobalExceptionFilter.name);

  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      this.logger.error(error instanceof Error ? error.stack : String(error));
      return;
    }
    const response = host.switchToHttp().getResponse<Response>();
    if (response.headersSent) return;
    if (error instanceof HttpException) {
      const body = error.getResponse();
      response.status(error.getStatus()).json(typeof body === 'string' ? { statusCode: error.getStatus(), message: body } : body);
      return;
    }
    if (error instanceof DomainError) {
      const statusCode = STATUS_BY_CODE[error.code];
      response.status(statusCode).json({ statusCode, code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) });
      return;
    }
    if (isClientRequestError(error)) {
      response.status(error.status).json({ statusCode: error.status, message: error.message });
      return;
    }
    this.logger.error(error instanceof Error ? error.stack : String(error));
    response.status(HttpStatus.INTERNAL_SERVER_ERROR).json({ statusCode: 500, message: 'Internal server error' });
  }
}
