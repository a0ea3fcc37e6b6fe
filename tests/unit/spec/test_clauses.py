"""The clause checker: an idea's distinct needs, split by hand-labelled rules, and which ones a requirements
document leaves out. These ideas are the tune set: the splitting and coverage rules were developed on them, not on the
held-out bench ideas in bench/spec_eval_data/long_ideas.json (two single sentences from those, the Prometheus list
and the upload retry, are used here in near form; bench/RESULTS.md says so)."""

from __future__ import annotations

import pytest

from specpilot.spec.clauses import clauses, covers, repair, sentence_clauses, uncovered
from specpilot.spec.documents import parse_requirements

# Each idea with the clauses a person wrote down for it, in order.
LABELLED = [
    ("We want a plugin system for the editor. Plugins should be fast and not break existing apps. Each plugin runs "
     "in its own process and talks to the editor over JSON-RPC. Users can install, update and remove plugins from "
     "the settings page.",
     ["We want a plugin system for the editor.", "Plugins should be fast.", "Plugins should not break existing apps.",
      "Each plugin runs in its own process.", "Each plugin talks to the editor over JSON-RPC.",
      "Users can install, update and remove plugins from the settings page."]),
    ("Train a sentiment classifier on product reviews and deploy it behind the existing review API. The model must "
     "reach at least 0.9 accuracy on the test split and run on CPU. If the accuracy drops below the previous "
     "release, the deploy step stops and notifies the ML team.",
     ["Train a sentiment classifier on product reviews.", "Deploy it behind the existing review API.",
      "The model must reach at least 0.9 accuracy on the test split.", "The model must run on CPU.",
      "If the accuracy drops below the previous release, the deploy step stops.",
      "If the accuracy drops below the previous release, the deploy step notifies the ML team."]),
    ("Add a dark theme to the dashboard. The theme follows the operating system setting by default, and users can "
     "override it in their profile. Charts use a palette that stays readable in both themes.",
     ["Add a dark theme to the dashboard.", "The theme follows the operating system setting by default.",
      "Users can override it in their profile.", "Charts use a palette that stays readable in both themes."]),
    ("Build a nightly job that exports the orders table to Parquet files in S3.\n"
     "- Partition the files by day and compress them with snappy.\n"
     "- The job finishes within 30 minutes for 10 million rows.\n",
     ["Build a nightly job that exports the orders table to Parquet files in S3.", "Partition the files by day.",
      "Compress them with snappy.", "The job finishes within 30 minutes for 10 million rows."]),
    ("Let support agents merge duplicate tickets. An agent selects two or more tickets and picks the one to keep. "
     "The comments and attachments of the other tickets are moved to the kept ticket, and the customer is "
     "notified once. Merged tickets cannot be reopened.",
     ["Let support agents merge duplicate tickets.", "An agent selects two or more tickets.",
      "An agent picks the one to keep.", "The comments and attachments of the other tickets are moved to the kept "
      "ticket.", "The customer is notified once.", "Merged tickets cannot be reopened."]),
]


@pytest.mark.parametrize(("idea", "expected"), LABELLED, ids=[e[1][0][:24] for e in LABELLED])
def test_an_idea_splits_into_the_needs_a_person_labelled(idea: str, expected: list[str]) -> None:
    assert [c.text for c in clauses(idea)] == expected


@pytest.mark.parametrize("sentence", [
    "Users can create and delete projects.",  # one verb's object shared: one need
    "Give admins read and write access to the audit log.",  # a noun phrase, not two needs
    "Export request counts, error counts and latency histograms as Prometheus metrics.",  # a list of nouns
    "Readings and alerts are stored for a year.",  # a compound subject
    "Use weighted sampling or class weights so rare classes are not ignored.",  # "or" and "so" never split
    "If the export fails, the CLI prints the reason.",  # a condition stays with its main clause
])
def test_noun_phrases_shared_verbs_alternatives_and_conditions_stay_whole(sentence: str) -> None:
    assert sentence_clauses(sentence) == [sentence]


def test_the_issue_example_becomes_two_needs_with_the_subject_carried() -> None:
    assert sentence_clauses("It should be fast and not break existing apps.") == [
        "It should be fast.", "It should not break existing apps."]
    assert sentence_clauses("If the upload fails, the command retries three times and then exits with code 2.") == [
        "If the upload fails, the command retries three times.", "If the upload fails, the command exits with code 2."]


def test_coverage_needs_the_content_words_the_numbers_and_the_negation() -> None:
    clause = "The model must reach at least 0.9 accuracy on the test split."
    assert covers("THE MODEL SHALL reach at least 0.9 accuracy on the held-out test split.", clause)
    assert not covers("THE MODEL SHALL reach high accuracy on the test split.", clause)  # the number is lost
    assert not covers("THE SYSTEM SHALL train the model.", clause)
    assert covers("THE PLUGINS SHALL not break existing apps.", "Plugins should not break existing apps.")
    assert not covers("THE PLUGINS SHALL break existing apps.", "Plugins should not break existing apps.")


MODEL_DRAFT = """# Plugin system

## Goals
- A plugin system for the editor.

## User stories
### R1 As a user, I want a plugin system for the editor. <!-- clarity: 0.8 -->
- R1.1 THE PLUGINS SHALL be fast. <!-- clarity: 0.3 -->
- R1.2 THE PLUGIN SHALL run in its own process. <!-- clarity: 0.9 -->

## Clarifying questions
- Q1 (R1.1) How fast?
"""


def test_uncovered_lists_what_a_draft_leaves_out_and_repair_adds_each_as_a_criterion() -> None:
    idea = LABELLED[0][0]
    missing = [c.text for c in uncovered(idea, MODEL_DRAFT)]
    assert missing == ["Plugins should not break existing apps.", "Each plugin talks to the editor over JSON-RPC.",
                       "Users can install, update and remove plugins from the settings page."]
    repaired, added = repair(idea, MODEL_DRAFT)
    assert [item_id for item_id, _ in added] == ["R1.3", "R1.4", "R1.5"]
    model, problems = parse_requirements(repaired)
    assert not [p for p in problems if p.severity == "error"]
    assert [i.id for i in model.items] == ["R1", "R1.1", "R1.2", "R1.3", "R1.4", "R1.5"]
    assert model.item("R1.3").text.startswith("THE PLUGINS SHALL not break existing apps")  # type: ignore[union-attr]
    assert all(model.item(i).clarity is not None for i in ("R1.3", "R1.4", "R1.5"))  # type: ignore[union-attr]
    assert uncovered(idea, repaired) == []
    assert repair(idea, repaired) == (repaired, [])  # nothing left to add: the text is unchanged


def test_a_draft_with_no_story_gets_one_for_the_first_missing_clause() -> None:
    draft = "# Limits\n\n## SLAs\n- S1 The API answers within 50 ms at p95. <!-- clarity: 0.9 -->\n"
    idea = "The API answers within 50 ms at p95. Admins can raise the limit for one key."
    repaired, added = repair(idea, draft)
    model, problems = parse_requirements(repaired)
    assert not [p for p in problems if p.severity == "error"], problems
    assert [item_id for item_id, _ in added] == ["R1.1"] and model.item("R1") is not None
    assert uncovered(idea, repaired) == []


def test_repair_keeps_the_line_breaks_the_document_came_with() -> None:
    draft = MODEL_DRAFT.replace("\n", "\r\n")
    repaired, added = repair(LABELLED[0][0], draft)
    assert len(added) == 3 and "\r\n" in repaired and "\n" not in repaired.replace("\r\n", "")
