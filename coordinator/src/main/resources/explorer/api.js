// The coordinator's JSON API; errors become ApiError with the API's one-line message.
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function get(path) {
  let r;
  try {
    r = await fetch(path, { headers: { Accept: 'application/json' } });
  } catch {
    throw new ApiError(0, 'the coordinator cannot be reached (is it running?)');
  }
  let body = null;
  try {
    body = await r.json();
  } catch {
    body = null;
  }
  if (!r.ok) {
    const msg = body && typeof body.error === 'string' ? body.error : `HTTP ${r.status}`;
    throw new ApiError(r.status, msg);
  }
  return body ?? {};
}

/** Like get, but a 404 is null: for optional data (rewards before any are computed, a chain that is off). */
export async function optional(path) {
  try {
    return await get(path);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 501)) return null;
    throw e;
  }
}

export const enc = encodeURIComponent;
