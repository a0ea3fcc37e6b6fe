"""Clarity of one requirement sentence, scored by fixed rules (no model).

The score starts at 1.0 and each finding subtracts a fixed weight; the result is
clamped to 0..1 and rounded to two decimals. A score of 0.6 or more counts as
clear (the requirements gate's threshold). Weights, so every score can be
explained by its findings:

=====================  ======  ==================================================
finding                weight  when
=====================  ======  ==================================================
vague (first term)     0.30    a vague word: "fast", "easy", "robust", "some", ...
vague (open scope)     0.45    "etc.", "and/or", "TBD", "as needed": scope left open
vague (each further)   0.10    capped so that vague terms take at most 0.50
quantity               0.25    a performance/size/time word and no number in the sentence
measurable behaviour   0.30    "support", "handle", "improve", ... with no detail after it
detail                 0.30    a short sentence (< 8 words) naming nothing specific
referent               0.25    starts with "it", "they", ... (no referent)
single requirement     0.20    "and also", "as well as", ";": several requirements at once
actor                  0.15    starts with a bare verb: who or which component does it?
trigger                0.15    event-like behaviour ("sends", "rotated") with no when/if/every
agent                  0.15    passive voice ("is validated") with no "by ..."
=====================  ======  ==================================================

Each finding comes with a concrete clarifying question that names the words it is
about, so a person can answer it in the requirements document. The rules were
tuned on the "tune" rows of ``tests/unit/spec/clarity_labels.jsonl`` and checked on
its held-out "test" rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CLEAR_THRESHOLD = 0.6

W_VAGUE_FIRST = 0.30
W_VAGUE_OPEN = 0.45
W_VAGUE_MORE = 0.10
W_VAGUE_CAP = 0.50
W_QUANTITY = 0.25
W_UNMEASURABLE = 0.30
W_NO_DETAIL = 0.30
W_PRONOUN = 0.25
W_MULTIPLE = 0.20
W_ACTOR = 0.15
W_TRIGGER = 0.15
W_PASSIVE = 0.15

# Vague term -> the clarifying question ("{w}" is the term as written in the sentence).
_Q_SPEED = "What response time counts as '{w}' (e.g. p95 in ms, for which input size)?"
_Q_MEASURE = "Which measure makes it '{w}' (time, memory, cost), and what target value?"
_Q_USABILITY = "What observable check shows it is '{w}' (e.g. number of steps, an error message, a usability test)?"
_Q_HOW_MANY = "How many exactly, or which ones, does '{w}' mean?"
_Q_LIST = "What is the complete list that '{w}' stands for?"
_Q_VALUE = "What value counts as '{w}' (a number and a unit)?"
_Q_WHEN = "When exactly is '{w}' (a duration, a date or an event)?"
_VAGUE: dict[str, str] = {
    "fast": _Q_SPEED, "faster": _Q_SPEED, "quick": _Q_SPEED, "quickly": _Q_SPEED, "slow": _Q_SPEED,
    "responsive": _Q_SPEED, "in real time": _Q_SPEED, "real-time": _Q_SPEED,
    "efficient": _Q_MEASURE, "efficiently": _Q_MEASURE, "optimal": _Q_MEASURE, "optimized": _Q_MEASURE,
    "performant": _Q_MEASURE, "lightweight": _Q_MEASURE,
    "easy": _Q_USABILITY, "easily": _Q_USABILITY, "user-friendly": _Q_USABILITY, "intuitive": _Q_USABILITY,
    "simple": _Q_USABILITY, "simpler": _Q_USABILITY, "nice": _Q_USABILITY, "clean": _Q_USABILITY,
    "clear": _Q_USABILITY, "clearly": _Q_USABILITY, "seamless": _Q_USABILITY, "seamlessly": _Q_USABILITY,
    "robust": "Which failures must it survive, and what should happen in each?",
    "reliable": "Which failures must it survive, and what should happen in each?",
    "scalable": "Up to what load must it scale (e.g. requests/s, concurrent users, data size)?",
    "secure": "Which threats must it resist, and how will that be checked?",
    "flexible": "Which variations must it allow (name them)?",
    "some": _Q_HOW_MANY, "several": _Q_HOW_MANY, "many": _Q_HOW_MANY, "few": _Q_HOW_MANY,
    "various": _Q_HOW_MANY, "multiple": _Q_HOW_MANY, "a lot of": _Q_HOW_MANY,
    "large": _Q_VALUE, "small": _Q_VALUE, "big": _Q_VALUE, "huge": _Q_VALUE, "low": _Q_VALUE, "high": _Q_VALUE,
    "good": _Q_VALUE, "better": _Q_VALUE, "reasonable": _Q_VALUE, "acceptable": _Q_VALUE, "minimal": _Q_VALUE,
    "a while": _Q_WHEN, "soon": _Q_WHEN, "at some point": _Q_WHEN, "eventually": _Q_WHEN, "later": _Q_WHEN,
    "appropriate": "What exactly is the appropriate behaviour (the expected output, status or message)?",
    "appropriately": "What exactly is the appropriate behaviour (the expected output, status or message)?",
    "properly": "What exactly is the proper behaviour (the expected output, status or message)?",
    "correctly": "What result counts as correct (an example input and its expected output)?",
    "best": _Q_MEASURE, "state-of-the-art": _Q_MEASURE, "modern": _Q_USABILITY,
}
_OPEN_SCOPE: dict[str, str] = {
    "etc.": _Q_LIST, "etc": _Q_LIST, "and so on": _Q_LIST, "and/or": "Is it 'and' or 'or' where it says '{w}'?",
    "tbd": "What is the decision that '{w}' stands for?", "tbc": "What is the decision that '{w}' stands for?",
    "as needed": "What condition decides when it is needed ('{w}')?",
    "if necessary": "What condition decides when it is necessary ('{w}')?",
    "as appropriate": "What condition decides what is appropriate ('{w}')?",
}

# Words that imply a measurable amount: without a number they leave the target open.
_QUANTITY_WORDS = (
    "fast", "faster", "slow", "quick", "quickly", "latency", "response time", "respond", "responds", "performance",
    "memory", "large", "big", "small", "huge", "many", "few", "low", "high", "a while", "soon", "concurrent",
    "throughput", "scalable", "scale", "size", "timeout", "accuracy", "converge", "efficient", "efficiently",
    "speed", "reduce", "increase", "lower", "higher", "more", "less", "load time", "loads", "cached for",
)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve|hundred|thousand|million|once|twice|every)\b")

_UNMEASURABLE_VERBS = ("support", "supports", "handle", "handles", "manage", "manages", "deal with", "improve",
                       "improves", "optimize", "optimise", "optimizes", "enhance", "enhances", "work", "works")
IMPERATIVE_VERBS = {
    "add", "fix", "make", "support", "handle", "improve", "optimize", "optimise", "refactor", "use", "move",
    "rename", "reduce", "deprecate", "create", "implement", "ensure", "allow", "update", "remove", "delete",
    "build", "write", "enable", "provide", "change", "increase", "speed", "clean", "let", "manage", "test",
    "train", "cache", "store", "log", "export", "import", "validate", "check", "show", "display", "convert",
    "send", "upload", "download", "generate", "parse", "notify", "migrate", "replace", "split",
}
_EVENT_VERBS = ("send", "sends", "sent", "notify", "notifies", "notified", "alert", "alerts", "retry", "retries",
                "rotate", "rotates", "rotated", "sync", "syncs", "synced", "refresh", "refreshes", "refreshed",
                "expire", "expires", "expired", "back up", "backs up", "backed up", "purge", "purges", "purged",
                "reindex", "reindexes", "reindexed", "restart", "restarts", "restarted", "invalidate",
                "invalidates", "invalidated", "email", "emails", "emailed", "trigger", "triggers", "triggered")
_TRIGGER = re.compile(r"\b(when|whenever|if|after|before|on|upon|every|each|while|once|at|daily|hourly|weekly|"
                      r"nightly|per|until|unless)\b", re.IGNORECASE)
_DEMONSTRATIVE_VERB = re.compile(
    r"^\s*(this|that|these|those)\s+(should|must|shall|will|is|are|needs?|has|have|can)\b", re.IGNORECASE)
_MULTIPLE = re.compile(r"\band also\b|\bas well as\b|;|\bin addition\b|\badditionally\b|\balso\b", re.IGNORECASE)
_PASSIVE = re.compile(r"\b(is|are|be|been|being|was|were|get|gets)\s+(\w+ly\s+)?(\w+(ed|en)|built|kept|made|"
                      r"set|run|sent|shown|done|lost|stored|given|known|found|held|read|written|put)\b",
                      re.IGNORECASE)
_AGENT = re.compile(r"\bby\b", re.IGNORECASE)
_CODE = re.compile(r"`[^`]*`")
_SPECIFIC = re.compile(
    r"`|\d|\"|'[^']+'|/|\.\w{1,4}\b|\w+_\w+|\b[a-z]+[A-Z]\w*|\b[A-Z]{2,}\b|(?<=\w )[A-Z][a-z]+")
_EARS_KEYWORDS = {"WHEN", "IF", "WHILE", "WHERE", "THEN", "THE", "SYSTEM", "SHALL", "TBD", "TBC"}


@dataclass(slots=True)
class Clarity:
    """How clear a requirement is: ``score`` 0..1, the vague terms found, what is
    missing ("actor", "quantity", ...) and one concrete question per finding."""

    score: float
    vague: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)

    @property
    def clear(self) -> bool:
        return self.score >= CLEAR_THRESHOLD

    def comment(self) -> str:
        """The HTML comment the spec documents carry, e.g.
        ``<!-- clarity: 0.4; vague: fast; missing: quantity -->``."""
        parts = [f"clarity: {format_score(self.score)}"]
        if self.vague:
            parts.append("vague: " + ", ".join(self.vague))
        if self.missing:
            parts.append("missing: " + ", ".join(self.missing))
        return "<!-- " + "; ".join(parts) + " -->"


def format_score(value: float) -> str:
    """``0.8`` -> "0.8", ``0.85`` -> "0.85", ``1`` -> "1.0": as the documents write it."""
    text = f"{value:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _find_terms(text: str, terms: dict[str, str]) -> list[tuple[str, str]]:
    found: list[tuple[int, str, str]] = []
    lowered = text.lower()
    for term, question in terms.items():
        pattern = r"(?<![\w-])" + re.escape(term) + (r"(?![\w-])" if term[-1].isalnum() else "")
        match = re.search(pattern, lowered)
        if match and not any(term in other and term != other for _, other, _ in found):
            found = [f for f in found if not (f[1] in term and f[1] != term)]
            found.append((match.start(), term, question))
    return [(term, question) for _, term, question in sorted(found)]


def _contains_word(text: str, words: tuple[str, ...]) -> str | None:
    lowered = text.lower()
    for word in words:
        if re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", lowered):
            return word
    return None


def score(sentence: str) -> Clarity:
    """Score ``sentence`` by the rules in this module's docstring."""
    text = " ".join(sentence.split())
    prose = _CODE.sub(" CODE ", text)  # words inside `code` are names, not vague prose
    result = Clarity(score=1.0)
    penalty = 0.0

    if not prose.strip():
        return Clarity(0.0, [], ["text"], ["The requirement is empty: what should happen?"])

    vague_penalty = 0.0
    for term, question in _find_terms(prose, _OPEN_SCOPE) + _find_terms(prose, _VAGUE):
        if term in _OPEN_SCOPE:
            weight = W_VAGUE_OPEN
        else:
            weight = W_VAGUE_FIRST if not result.vague else W_VAGUE_MORE
        vague_penalty += weight
        result.vague.append(term)
        result.questions.append(question.format(w=term))
    penalty += min(vague_penalty, W_VAGUE_CAP)

    words = re.findall(r"[\w'-]+", prose)
    lowered_words = [w.lower() for w in words]
    first = lowered_words[0] if lowered_words else ""

    quantity_word = _contains_word(prose, _QUANTITY_WORDS)
    if quantity_word and not _NUMBER.search(prose.lower()):
        penalty += W_QUANTITY
        result.missing.append("quantity")
        result.questions.append(
            f"What number and unit bound '{quantity_word}' (e.g. ms, MB, requests/s, %)?")

    verb = _contains_word(prose, _UNMEASURABLE_VERBS)
    if verb:
        after = prose.lower().split(verb, 1)[1] if verb in prose.lower() else ""
        after_original = prose[len(prose) - len(after):] if after else ""
        if not _SPECIFIC.search(after_original.replace("CODE", "`")) and not _NUMBER.search(after):
            penalty += W_UNMEASURABLE
            result.missing.append("measurable behaviour")
            phrase = " ".join([verb, *after.strip(" .").split()[:4]])
            result.questions.append(f"What exactly must '{phrase}' do: which inputs, outputs or error cases?")

    specific = [m for m in _SPECIFIC.finditer(prose) if m.group(0).strip() not in _EARS_KEYWORDS]
    if len(words) < 8 and not specific and not _NUMBER.search(prose.lower()):
        penalty += W_NO_DETAIL
        result.missing.append("detail")
        result.questions.append(
            f"Which specific thing does '{text.rstrip('.')}' mean, and what observable result shows it is done?")

    if first in {"it", "they", "them"} or _DEMONSTRATIVE_VERB.match(prose):
        penalty += W_PRONOUN
        result.missing.append("referent")
        result.questions.append(f"What does '{words[0]}' refer to? Name the component or the user.")

    if _MULTIPLE.search(prose):
        penalty += W_MULTIPLE
        result.missing.append("single requirement")
        result.questions.append(
            "This states several requirements at once: what is each one, as its own sentence?")

    if first in IMPERATIVE_VERBS:
        penalty += W_ACTOR
        result.missing.append("actor")
        result.questions.append(
            f"Who or which component does '{' '.join(words[:4])}' (e.g. the CLI, the API server, a user)?")

    event = _contains_word(prose, _EVENT_VERBS)
    if event and not _TRIGGER.search(prose):
        penalty += W_TRIGGER
        result.missing.append("trigger")
        result.questions.append(
            f"What event or condition makes it '{event}' (e.g. WHEN ..., every N minutes)?")

    passive = _PASSIVE.search(prose)
    if passive and not _AGENT.search(prose[passive.end():]) and not prose.upper().startswith(("WHEN", "IF", "WHILE")):
        penalty += W_PASSIVE
        result.missing.append("agent")
        result.questions.append(
            f"Who or what does the action in '{passive.group(0)}': which component is responsible?")

    result.score = round(max(0.0, min(1.0, 1.0 - penalty)), 2)
    return result
