/** The few API calls the workspace makes, with the session's CSRF token on every write. */
import type { Answers, ApiErrorBody, Assignment, NextAssignment } from "../types";

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

  nextAssignment(projectId: number): Promise<NextAssignment> {
    return this.request("POST", `/api/projects/${projectId}/assignments/next`);
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

  private async request<T>(method: string, url: string, body?: unknown, keepalive = false): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        keepalive,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": this.csrfToken },
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
