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
  /** Models' pre-fills for this item's questions; older servers leave it out. */
  suggestions?: Suggestion[];
  /** For rework: the rejection that sent the work back. */
  feedback?: ReworkFeedback | null;
  /** For an item with content risks: the warning, support and break prompt. */
  content?: ContentNotice | null;
}

export interface SupportResource {
  label: string;
  url: string;
  phone: string | null;
}

export interface RiskCategory {
  name: string;
  label: string;
  description: string;
}

/** What to show before a risky item: its categories, where to find support, and whether
 * to offer a break first (after a stretch of risky items). */
export interface ContentNotice {
  categories: RiskCategory[];
  support: SupportResource[];
  warning: boolean;
  risky_in_a_row: number;
  break_due: boolean;
}

export interface ReworkFeedback {
  reason_code: string | null;
  reason: string | null;
  guideline_ref: string | null;
  comment: string;
  previous_answers: Answers;
}

export interface RejectionReason {
  code: string;
  label: string;
}

/** A verdict given at an earlier stage on the work under review. */
export interface EarlierVerdict {
  stage: string;
  verdict: string;
  reason_code: string | null;
  guideline_ref: string | null;
  comment: string;
  reviewer: string;
}

/** The work under review, read-only; its worker by pseudonym only. */
export interface ReviewedAnnotation {
  id: number;
  version: number;
  answers: Answers;
  guideline_version: number;
  time_spent_ms: number;
  worker: string;
  created_at: string;
}

export interface ReviewTask {
  assignment: Assignment;
  annotation: ReviewedAnnotation;
  rejection_reasons: RejectionReason[];
  guideline_sections: string[];
  earlier_verdicts: EarlierVerdict[];
}

export interface NextReview {
  task: ReviewTask | null;
  reason: EmptyReason | null;
}

export type VerdictBody =
  | { verdict: "accept"; comment?: string }
  | { verdict: "reject"; reason_code: string; guideline_ref: string; comment: string }
  | { verdict: "correct"; answers: Answers; comment: string };

/** A model's answer to one question of the item, in that question type's answer shape. */
export interface Suggestion {
  question: string;
  answer: unknown;
  score: number | null;
  agent: string;
}

export type EmptyReason =
  | "complete"
  | "leased_to_others"
  | "already_worked_on"
  | "no_items"
  | "content_risk_opt_in"
  | "exposure_cap_reached";

export interface NextAssignment {
  assignment: Assignment | null;
  reason: EmptyReason | null;
  retry_after_seconds: number | null;
  /** Why, for some reasons: the categories to opt into, or at today's cap and when it resets. */
  detail?: { missing?: string[]; categories?: string[]; resets_at?: string } | null;
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

/** One message of `fields.messages`, as the importer stores it (OpenAI's chat shape). */
export interface ChatMessage {
  role: string;
  content: string;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  weight?: number;
}

export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface Shortcut {
  keys: string;
  does: string;
}

/** Arena mode: the two anonymous answers to the worker's prompt. */
export interface ArenaAnswers {
  battle_id: number;
  prompt: string;
  responses: { id: string; text: string }[];
}

/** Arena mode: the models behind a and b, after the vote. */
export interface ArenaReveal {
  battle_id: number;
  model_a: string;
  model_b: string;
}
