// Typed errors for suites and templates; `code` is stable, the message names file, line and field.

export interface SourcePosition {
  file: string;
  line?: number;
  column?: number;
}

export type SuiteErrorCode = "suite_invalid" | "suite_not_found" | "suite_conflict";

export class SuiteError extends Error {
  readonly code: SuiteErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly field: string | undefined;
  constructor(
    code: SuiteErrorCode,
    message: string,
    where: { file?: string; line?: number; column?: number; field?: string } = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "SuiteError";
    this.code = code;
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
    this.field = where.field;
  }
}

export type TemplateErrorCode = "template_missing_field" | "template_syntax";

export class TemplateError extends Error {
  readonly code: TemplateErrorCode;
  readonly placeholder: string;
  constructor(code: TemplateErrorCode, placeholder: string, message: string) {
    super(message);
    this.name = "TemplateError";
    this.code = code;
    this.placeholder = placeholder;
  }
}

/** `file:line:col` (line/col when known), the prefix every suite error message starts with. */
export function formatPosition(p: SourcePosition): string {
  if (p.line === undefined) return p.file;
  return p.column === undefined ? `${p.file}:${p.line}` : `${p.file}:${p.line}:${p.column}`;
}

/** Raises a suite_invalid error whose message is `file:line:col field: what`. */
export function invalid(p: SourcePosition, field: string | undefined, what: string): SuiteError {
  const prefix = formatPosition(p);
  const message = field ? `${prefix} ${field}: ${what}` : `${prefix}: ${what}`;
  const where: { file: string; line?: number; column?: number; field?: string } = { file: p.file };
  if (p.line !== undefined) where.line = p.line;
  if (p.column !== undefined) where.column = p.column;
  if (field !== undefined) where.field = field;
  return new SuiteError("suite_invalid", message, where);
}
