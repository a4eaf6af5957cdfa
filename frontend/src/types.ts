/** Shapes of the fairlabel API as the workspace reads them (see the Python schemas). */

export type Answers = Record<string, unknown>;
export type Fields = Record<string, unknown>;

export interface Question {
  name: string;
  type: string;
  prompt: string;
  required: boolean;
  settings: Record<string, unknown>;
}

export interface Draft {
  answers: Answers;
  time_spent_ms: number;
  updated_at: string;
}

export interface Item {
  id: number;
  external_id: string;
  fields: Fields;
  meta: Record<string, unknown>;
}

export interface Assignment {
  id: number;
  project_id: number;
  item_id: number;
  stage: string;
  status: string;
  leased_at: string;
  expires_at: string;
  seconds_left: number;
  ended_at: string | null;
  item: Item;
  questions: Question[];
  guideline_version: number;
  draft: Draft | null;
  annotation_id: number | null;
}

export type EmptyReason = "complete" | "leased_to_others" | "already_worked_on" | "no_items";

export interface NextAssignment {
  assignment: Assignment | null;
  reason: EmptyReason | null;
  retry_after_seconds: number | null;
}

export interface ErrorDetail {
  field: string | null;
  value?: unknown;
  expected?: string | null;
  message?: string;
}

export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string | null;
  value?: unknown;
  expected?: string | null;
  details?: ErrorDetail[];
}

/** A media field as the importer stores it. */
export interface Media {
  src: string;
  width?: number;
  height?: number;
  content_type?: string;
  name?: string;
}

/** A candidate response, for ranking and pairwise questions. */
export interface Candidate {
  id: string;
  text: string;
}

export interface ChatMessage {
  role: string;
  content: string;
}

export interface Shortcut {
  keys: string;
  does: string;
}
