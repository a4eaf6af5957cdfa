/** The few API calls the workspace makes, with the session's CSRF token on every write. */
import type { Answers, ApiErrorBody, ArenaAnswers, ArenaReveal, Assignment, NextAssignment, NextReview, VerdictBody } from "../types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message);
  }
}

export class Api {
  constructor(private readonly csrfToken: string) {}

  /** With `exclude` (the assignment on screen) the server leases one more beside it, or
   * answers the one already prefetched: a worker never holds more than two. */
  nextAssignment(projectId: number, exclude?: number): Promise<NextAssignment> {
    const query = exclude === undefined ? "" : `?exclude=${exclude}`;
    return this.request("POST", `/api/projects/${projectId}/assignments/next${query}`);
  }

  getAssignment(id: number): Promise<Assignment> {
    return this.request("GET", `/api/assignments/${id}`);
  }

  saveDraft(id: number, answers: Answers, timeSpentMs: number, keepalive = false): Promise<unknown> {
    return this.request("PUT", `/api/assignments/${id}/draft`, work(answers, timeSpentMs), keepalive);
  }

  submit(id: number, answers: Answers, timeSpentMs: number): Promise<{ id: number }> {
    return this.request("POST", `/api/assignments/${id}/submit`, work(answers, timeSpentMs));
  }

  returnAssignment(id: number): Promise<Assignment> {
    return this.request("POST", `/api/assignments/${id}/return`);
  }

  /** The review lease this reviewer holds at the stage, or the oldest work waiting there;
   * with `exclude` (the review on screen), another one beside it, as for nextAssignment. */
  nextReview(projectId: number, stage: string, exclude?: number): Promise<NextReview> {
    const query = exclude === undefined ? "" : `&exclude=${exclude}`;
    return this.request("POST", `/api/projects/${projectId}/reviews/next?stage=${encodeURIComponent(stage)}${query}`);
  }

  verdict(assignmentId: number, body: VerdictBody): Promise<{ id: number }> {
    return this.request("POST", `/api/assignments/${assignmentId}/verdict`, body);
  }

  /** Arena mode: the worker's prompt, answered by two anonymous models at once (a 502 when
   * one fails: nothing stored, the lease extended). */
  arenaAnswers(id: number, prompt: string): Promise<ArenaAnswers> {
    return this.request("POST", `/api/assignments/${id}/arena`, { prompt });
  }

  /** The prompt and its two answers again (a reloaded page), or null before it is answered. */
  arenaStored(id: number): Promise<ArenaAnswers | null> {
    return this.request("GET", `/api/assignments/${id}/arena/answers`);
  }

  /** The models behind a and b, which the server names only once the vote is submitted. */
  arenaReveal(id: number): Promise<ArenaReveal> {
    return this.request("GET", `/api/assignments/${id}/arena`);
  }

  private async request<T>(method: string, url: string, body?: unknown, keepalive = false): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        keepalive,
        credentials: "same-origin",
        headers:
          method === "GET"
            ? { Accept: "application/json" }
            : { "Content-Type": "application/json", "X-CSRF-Token": this.csrfToken },
        body: body === undefined ? null : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, { code: "offline", message: "The server could not be reached. Check your connection." });
    }
    const data: unknown = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, errorBody(response.status, data));
    return data as T;
  }
}

function work(answers: Answers, timeSpentMs: number): { answers: Answers; time_spent_ms: number } {
  return { answers, time_spent_ms: Math.max(0, Math.round(timeSpentMs)) };
}

function errorBody(status: number, data: unknown): ApiErrorBody {
  const error = (data as { error?: ApiErrorBody } | null)?.error;
  return error ?? { code: `http_${status}`, message: `The server answered ${status}.` };
}

/** A 4xx answer's errors by the field they are about (as `keyOf` names it, or null for
 * none shown on the page), and the rest as plain sentences. */
export function splitFieldErrors(
  body: ApiErrorBody,
  keyOf: (field: string | null | undefined) => string | null,
): { fields: Record<string, string>; general: string[] } {
  const fields: Record<string, string> = {};
  const general: string[] = [];
  for (const detail of body.details?.length ? body.details : [body]) {
    const key = keyOf(detail.field);
    const text = detail.expected ? `Expected ${detail.expected}.` : (detail.message ?? body.message);
    if (key) fields[key] = fields[key] ? `${fields[key]} ${text}` : text;
    else general.push(detail.message ?? text);
  }
  return { fields, general };
}

export function describeError(body: ApiErrorBody): string {
  return body.expected ? `${body.message} (expected ${body.expected})` : body.message;
}
