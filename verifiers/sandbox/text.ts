// Safe text from hostile bytes: invalid UTF-8 becomes U+FFFD, control characters are escaped.

const decoder = new TextDecoder("utf-8", { fatal: false });

export function decodeBytes(bytes: Uint8Array | string | undefined): string {
  if (bytes === undefined) return "";
  return typeof bytes === "string" ? bytes : decoder.decode(bytes);
}

/** Escapes C0/C1 controls (ANSI escapes, NUL, \r) except \n and \t, and caps the length. */
export function sanitize(text: string, maxChars = 2000): string {
  const capped = text.length > maxChars ? `${text.slice(0, maxChars)}…[${text.length - maxChars} more chars]` : text;
  // eslint-disable-next-line no-control-regex
  return capped.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
