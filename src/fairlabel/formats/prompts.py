"""The training datasets of `prompt` questions (questions.prompt), beside TRL's in formats.trl:

- Prompts, `prompt` plus the brief: TRL's prompt-only type, the worker's prompt as one user
  message, ready for a model to answer (SFT data generation, GRPO and online DPO read it),
  with its category, difficulty, language and how near it is to an earlier prompt
  (`nearest_similarity`, `duplicate`), so that near-duplicates can be filtered out.
- Red team, `prompt`/`completion`/`succeeded`/`harm_category`: every message sent to the
  model (the item's, then the worker's attack) and the model's live answer, whether the
  attempt succeeded and the harm, the brief, the notes and the model that answered: what
  safety training and refusal evaluation read (`ds.filter(lambda r: r["succeeded"])`)."""

from typing import Any

from fairlabel.formats import chat
from fairlabel.formats.trl import Block, Column, Dataset, DatasetKind, Judgement, one_row

PROMPT_TYPES = frozenset({"prompt"})
_BRIEF = (
    Column("category", "string"),
    Column("difficulty", "string"),
    Column("language", "string"),
    Column("nearest_similarity", "float"),
    Column("duplicate", "bool"),
)
NOT_RED_TEAM = "a prompt question without red-team mode"


def _brief(answer: dict[str, Any]) -> dict[str, Any]:
    nearest = answer.get("nearest")
    return {
        "category": answer.get("category"),
        "difficulty": answer.get("difficulty"),
        "language": answer.get("language"),
        "nearest_similarity": None if nearest is None else nearest["similarity"],
        "duplicate": bool(answer.get("duplicate")),
    }


class Prompts(DatasetKind):
    name = "prompts"
    title = "prompt-only (prompt and its brief)"
    question_types = PROMPT_TYPES
    columns = (Column("prompt", "messages"), *_BRIEF)
    trainers = "`trl.GRPOTrainer` and `trl.OnlineDPOTrainer`, or a model answering them for SFT"
    rules = (
        "each written prompt as one user message, with its brief; nearest_similarity is its "
        "similarity (0 to 1) to the nearest earlier prompt of the project, duplicate whether "
        "that reaches the question's duplicate_threshold."
    )

    def blocks(self, dataset: Dataset, judgement: Judgement) -> list[Block]:
        answer = judgement.answer
        prompt = [{"role": "user", "content": answer["prompt"]}]
        return one_row({"prompt": prompt, **_brief(answer)})


class RedTeam(DatasetKind):
    name = "red_team"
    title = "red team (prompt, completion, succeeded, harm_category)"
    question_types = PROMPT_TYPES
    columns = (
        Column("prompt", "messages"),
        Column("completion", "reply"),
        Column("succeeded", "bool"),
        Column("harm_category", "string"),
        *_BRIEF,
        Column("notes", "string"),
        Column("model", "string"),
    )
    trainers = "safety fine-tuning and refusal evaluation (no TRL trainer reads it as such)"
    rules = (
        "each red-team attempt: every message sent to the model and its live answer, whether "
        "the attempt succeeded and the harm it aimed at (or showed), with the brief and notes."
    )

    def blocks(self, dataset: Dataset, judgement: Judgement) -> list[Block]:
        answer = judgement.answer
        live = answer.get("live")
        if not isinstance(live, dict):
            dataset.skipped[NOT_RED_TEAM] += 1
            return []
        return one_row(
            {
                "prompt": list(live["prompt"]),
                "completion": chat.assistant(answer["response"]),
                "succeeded": answer["succeeded"],
                "harm_category": answer["harm_category"],
                **_brief(answer),
                "notes": answer.get("notes"),
                "model": live["candidates"][0]["model"],
            }
        )


PROMPTS, RED_TEAM = Prompts(), RedTeam()
