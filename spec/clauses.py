"""An idea's distinct needs ("clauses"), and the ones a requirements document leaves out.

Splitting (``clauses``): first into statements (one per bullet, one per sentence: ``split_sentences``), then each
statement into coordinated needs. A statement is split at "and", "but", ";" or a comma only where a new predicate
starts, so that every part still says something on its own:

- the part before must contain a verb, and the word just before the conjunction must not be one ("create and
  delete projects", "read and write access" share their object and stay whole);
- the part after must open with a predicate that agrees with the part before: a base verb after an imperative
  ("Train X and flag Y") or after a modal ("can fill in forms and take photos"), a verb in -s after a subject
  with a verb in -s ("The app stores drafts and syncs them"), "not"/"never" + verb ("be fast and not break
  existing apps"), or, after "and"/"but"/";" only, a clause of its own (a subject of up to four words and then a
  modal, "is"/"are"/"has" or a verb in -s: "..., and focus is never trapped");
- a noun phrase never starts a part ("request counts, error counts and latency histograms" is one need), and
  "or", "so", "so that", "because" never split (alternatives and reasons belong to the need they qualify).

A part that has no subject of its own takes the first part's subject and modal ("It should be fast and not break
existing apps" -> "It should be fast" + "It should not break existing apps"), and a leading condition ("If the
upload fails, ...") is carried to every part; a later part that opens with "it" or "they" names the first part's
subject instead ("The cache holds 500 entries and it is cleared nightly" -> "... The cache is cleared nightly"),
so each clause reads as a requirement by itself.

Coverage (``uncovered``): a clause is covered when one story, criterion, SLA, constraint or compatibility item
holds at least ``COVERAGE`` (60%) of the clause's content words (stop words dropped, light stemming: plurals,
-ed, -ing, a final -e), every number the clause states, and a negation when the clause has one. Goals do not
count: a need that is only a goal has nothing that traces it. ``repair`` adds each uncovered clause as an EARS
criterion to a requirements.md (what ``SpecWorkflow.new`` does to a model's draft).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from specpilot.spec import clarity

COVERAGE = 0.6
_BULLET = re.compile(r"^\s*(?:[-*+\u2022]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<=[.!?])\s+(?=[A-Z`\"(])")
_TOKEN = re.compile(r"`[^`]*`|[^\s,;]+|[,;]")
_CONDITION = re.compile(r"^((?:when|whenever|if|once|after|before|while|unless|as soon as)\b[^,]+),\s*(.+)$",
                        re.IGNORECASE)
_VERBS = set(clarity.IMPERATIVE_VERBS) | {
    "read", "return", "print", "save", "load", "keep", "run", "compare", "report", "retrain", "evaluate",
    "measure", "score", "rank", "sort", "filter", "search", "find", "count", "flag", "detect", "predict",
    "classify", "compute", "calculate", "estimate", "track", "monitor", "record", "publish", "serve", "deploy",
    "restart", "retry", "exit", "fail", "skip", "stop", "start", "open", "close", "copy", "compress", "encrypt",
    "decrypt", "sign", "verify", "include", "exclude", "contain", "cover", "accept", "reject", "ask", "answer",
    "respond", "reply", "warn", "alert", "sync", "refresh", "expire", "purge", "rotate", "archive", "drop",
    "append", "insert", "merge", "aggregate", "stream", "fetch", "query", "embed", "tokenize", "quantize",
    "prune", "distill", "augment", "resize", "crop", "annotate", "tune", "fine-tune", "finetune", "preprocess",
    "normalise", "normalize", "plot", "summarise", "summarize", "translate", "route", "redirect",
    "authenticate", "authorise", "authorize", "register", "subscribe", "unsubscribe", "invite", "share", "pay",
    "refund", "charge", "cancel", "schedule", "remind", "highlight", "suggest", "recommend", "reuse", "limit",
    "throttle", "block", "grant", "revoke", "lock", "unlock", "remember", "forget", "choose", "pick", "select",
    "set", "get", "give", "take", "go", "work", "fit", "finish", "complete", "reach", "stay", "become", "appear",
    "help", "wake", "pass", "meet", "fill", "mark", "edit", "view", "see", "watch", "clear", "reset", "undo",
    "preview", "apply", "install", "configure", "document", "explain", "describe", "announce", "process",
    "scale", "replicate", "restore", "recover", "replay", "capture", "prevent", "avoid", "catch", "raise",
    "emit", "expose", "render", "play", "pause", "resume", "break", "crash", "hold", "leave", "put", "resolve",
    "hide", "list", "page", "batch", "label", "sample", "index", "wait", "beat", "match",
    "extract", "benchmark", "visualise", "visualize", "trigger", "package", "bundle", "invalidate", "backfill",
    "follow", "override", "talk", "call", "connect", "need", "belong", "depend", "expect", "own", "require",
    "produce", "consume", "receive", "mean", "cost", "disable", "enable", "reopen", "notify", "post",
    "submit", "approve", "deny", "explore", "browse", "type", "click", "press", "tap", "scroll", "zoom",
    "join", "attach", "detach", "upgrade", "downgrade", "lint", "format", "compile", "launch", "host",
    "know", "understand", "learn", "identify", "decide", "forecast", "spot", "tell", "reduce", "cut", "speed",
}
_MODALS = {"can", "could", "may", "must", "shall", "should", "will", "would", "might", "cannot"}
_COPULA = {"is", "are", "has", "have", "was", "were", "gets", "get"}
_NEGATION = {"not", "never", "no", "without", "nothing", "none", "cannot", "n't"}
_PEOPLE = {"user", "users", "admin", "admins", "customer", "customers", "developer", "developers", "analyst",
           "analysts", "operator", "operators", "reviewer", "reviewers", "member", "members", "guest", "guests",
           "i", "we", "they", "you", "it", "people", "team", "teams"}
_DETERMINERS = {"the", "a", "an", "each", "every", "all", "its", "their", "this", "that", "these", "those", "our",
                "no", "any", "some", "both"}
_OBJECT_START = {"the", "a", "an", "it", "them", "its", "their", "to", "with", "on", "in", "for", "from", "into",
                 "each", "every", "all", "one"}
_STOP = {
    "a", "an", "the", "and", "or", "but", "so", "of", "to", "in", "on", "at", "by", "for", "with", "from", "into",
    "onto", "about", "as", "than", "that", "which", "who", "whom", "whose", "this", "these", "those", "there",
    "it", "its", "they", "them", "their", "we", "our", "us", "i", "me", "my", "you", "your", "he", "she", "be",
    "is", "are", "was", "were", "been", "being", "do", "does", "did", "have", "has", "had", "can", "could",
    "should", "must", "will", "would", "may", "might", "shall", "then", "also", "when", "whenever", "if",
    "while", "where", "once", "each", "every", "any", "some", "all", "both", "such", "very", "just", "up",
    "out", "system", "want", "wants", "goal", "aim", "idea", "let", "like", "able", "please", "ensure",
    "asks", "ask", "make", "sure", "one", "same", "other", "what", "how", "via", "per",
}
_IRREGULAR = {"ran": "run", "written": "write", "wrote": "write", "kept": "keep", "sent": "send", "built": "build",
              "held": "hold", "shown": "show", "given": "give", "chosen": "choose", "went": "go", "gone": "go",
              "data": "data", "analyses": "analysis", "indices": "index", "children": "child", "people": "person"}


@dataclass(frozen=True, slots=True)
class Clause:
    """One distinct need of an idea: ``text`` reads on its own (a carried subject or condition added),
    ``sentence`` is the index of the statement it came from and ``source`` that statement as written."""

    text: str
    sentence: int
    source: str

    @property
    def words(self) -> frozenset[str]:
        return content_words(self.text)


def split_sentences(idea: str) -> list[str]:
    """The idea's statements: one per bullet, and one per sentence in paragraphs."""
    out: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.extend(s.strip() for s in _SENTENCE_END.split(" ".join(paragraph)) if s.strip())
            paragraph.clear()

    for line in idea.splitlines():
        if not line.strip():
            flush()
        elif _BULLET.match(line):
            flush()
            paragraph.append(_BULLET.sub("", line).strip())
            flush()
        elif line.startswith((" ", "\t")) and out and not paragraph:
            out[-1] = f"{out[-1]} {line.strip()}"  # a wrapped bullet
        else:
            paragraph.append(line.strip())
    flush()
    return [s for s in out if re.search(r"\w", s)]


def _word(token: str) -> str:
    return token.lower().strip("\"'()[].:!?")


def _verb_form(token: str) -> str | None:
    """"base" or "s" when ``token`` is a known verb in that form, else None."""
    word = _word(token)
    if word in _VERBS:
        return "base"
    for suffix, add in (("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(suffix) and word[: -len(suffix)] + add in _VERBS:
            return "s"
    return None


def verb_form(word: str) -> str | None:
    """"base" ("save") or "s" ("saves") when ``word`` is a verb the splitter knows, else None."""
    return _verb_form(word)


def is_base_verb(word: str) -> bool:
    """Whether ``word`` is a verb in its base form that the splitter knows ("save", "predict")."""
    return _verb_form(word) == "base"


def _is_verb(token: str) -> bool:
    word = _word(token)
    return _verb_form(token) is not None or word in _MODALS or word in _COPULA


def _predicate_start(tokens: list[str]) -> tuple[str, int] | None:
    """("base" | "s" | "modal" | "not", index of that word) when ``tokens`` open with a predicate."""
    i = 1 if tokens and _word(tokens[0]) in {"then", "also"} else 0
    if i >= len(tokens):
        return None
    word = _word(tokens[i])
    if word in {"not", "never"} or (word in {"do", "does"} and i + 1 < len(tokens) and _word(tokens[i + 1]) == "not"):
        return "not", i
    if word in _MODALS:
        return "modal", i
    if word in {"is", "are", "has"}:
        return "s", i
    form = _verb_form(tokens[i])
    following = _word(tokens[i + 1]) if i + 1 < len(tokens) else ""
    if form and following not in {"of", ",", "and", "or"}:
        return form, i
    if re.fullmatch(r"[a-z]+[^su]s", word) and following in _OBJECT_START:
        return "s", i  # an unknown verb in -s before its object: "... and talks to the editor"
    return None


def _imperative_lead(tokens: list[str]) -> bool:
    """A statement that opens with a verb the splitter does not know, before an object ("Partition the files")."""
    return len(tokens) > 2 and tokens[0][:1].isupper() and _word(tokens[0]) not in _DETERMINERS | _PEOPLE \
        and _word(tokens[1]) in _DETERMINERS - {"no", "that", "this"} and _verb_form(tokens[0]) is None


def _full_clause(tokens: list[str]) -> bool:
    """A subject of up to four words and then a modal, "is"/"are"/"has" or a verb in -s (or a base verb after a
    pronoun or a people word)."""
    for k in range(1, min(5, len(tokens))):
        subject = [_word(t) for t in tokens[:k]]
        if any(w in {",", ";", "that", "which", "who", "whose", "of", "with"} or _is_verb(w) for w in subject):
            return False
        nxt = _word(tokens[k])
        if nxt in _MODALS or nxt in {"is", "are", "has", "have"} or _verb_form(nxt) == "s":
            return True
        if _verb_form(nxt) == "base" and (subject[0] in _DETERMINERS or subject[-1] in _PEOPLE):
            return subject[-1] in _PEOPLE
    return False


def _head(tokens: list[str]) -> tuple[list[str], str]:
    """(subject and modal to carry, the first predicate's form) of the statement's first part."""
    if _imperative_lead(tokens):
        return [], "imperative"
    for i, token in enumerate(tokens):
        word = _word(token)
        if i and _word(tokens[i - 1]) in _DETERMINERS and word not in _MODALS:
            continue  # "the deploy step": a word after a determiner names a thing
        if word in _MODALS:
            return tokens[: i + 1], "modal"
        if word in {"is", "are", "has", "have"} or _verb_form(token):
            following = _word(tokens[i + 1]) if i + 1 < len(tokens) else ""
            if i == 0 and (following in _MODALS or following in {"is", "are", "has"} or _verb_form(following) == "s"):
                continue  # "Search covers ...", "Export must ...": a noun that names a thing, not an order
            if i == 0:
                return [], "imperative"
            return tokens[:i], "s" if (word in {"is", "has"} or _verb_form(token) == "s") else "base"
    return [], "none"


_AGREES = {"imperative": {"base", "not"}, "modal": {"base", "not", "modal"}, "s": {"s", "modal", "not"},
           "base": {"base", "modal", "not"}, "none": set()}


def sentence_clauses(sentence: str) -> list[str]:
    """The needs in one statement, each as a sentence that reads on its own (rules: the module docstring)."""
    body = " ".join(sentence.split()).rstrip(".!? ")
    condition = ""
    leading = _CONDITION.match(body)
    if leading:
        condition, body = leading.group(1) + ", ", leading.group(2)
    found = list(_TOKEN.finditer(body))
    tokens = [m.group(0) for m in found]

    def text_of(a: int, b: int) -> str:  # tokens a..b-1 as the sentence spells them
        return body[found[a].start():found[b - 1].end()] if b > a else ""

    subject, form = _head(tokens)
    parts: list[tuple[int, int]] = []
    start = 0
    i = 0
    while i < len(tokens):
        word = _word(tokens[i])
        conj = word in {"and", "but", ";"} or (word == "," and i + 1 < len(tokens) and _word(tokens[i + 1]) != "and")
        if not conj or i == start:
            i += 1
            continue
        skip = i + 1
        while skip < len(tokens) and _word(tokens[skip]) in {"and", "but"}:
            skip += 1
        left, right = tokens[start:i], tokens[skip:]
        back = 2 if left and _word(left[-1]) == "," else 1
        before = left[-back] if len(left) >= back else ""
        ahead = _word(left[-back - 1]) if len(left) > back else ""
        predicate = _predicate_start(right)
        # "can create and delete projects", "install, update and remove", "admins read and write": verbs that
        # share one object
        shares = (_verb_form(before) is not None or _word(before) in _MODALS) and (
            len(left) <= back or ahead in _MODALS or ahead in _PEOPLE or ahead in {",", "to", "not"})
        has_verb = any(_is_verb(t) for t in left) or (start == 0 and form == "imperative")
        splits = (has_verb and not shares and _word(before) not in _DETERMINERS
                  and len(right) >= 3 and (
                      (predicate is not None and predicate[0] in _AGREES[form])
                      or (word != "," and _full_clause(right))))
        if splits:
            parts.append((start, i))
            start = skip
            i = skip
        else:
            i += 1
    parts.append((start, len(tokens)))
    out: list[str] = []
    for n, (a, b) in enumerate(parts):
        while b > a and _word(tokens[b - 1]) in {",", ";", "and", "but"}:
            b -= 1
        while a < b and tokens[a] in {",", ";"}:
            a += 1
        if n and a < b - 1 and _word(tokens[a]) in {"then", "also"}:
            a += 1
        if a >= b:
            continue
        text = text_of(a, b)
        predicate = _predicate_start(tokens[a:b]) if n else None
        if predicate is not None:
            own = text_of(a + predicate[1], b)  # "then"/"also" dropped
            keep = len(subject) if predicate[0] in {"base", "not"} else \
                len([t for t in subject if _word(t) not in _MODALS])
            text = f"{text_of(0, keep)} {own}".strip()
        elif n and _word(tokens[a]) in {"it", "they"} and subject and _word(subject[0]) not in _PEOPLE:
            named = next((k for k, t in enumerate(subject) if _word(t) in {"that", "which", "who"} or
                          _word(t) in _MODALS), len(subject))  # "A plugin that crashes": "the plugin"
            noun = re.sub(r"^(a|an)\s", "the ", text_of(0, named), flags=re.IGNORECASE) if named else ""
            text = f"{noun} {text_of(a + 1, b)}" if noun else text  # "..., and it is disabled": say what is
        text = condition + (text[:1].lower() + text[1:] if condition and not text[1:2].isupper() else text)
        out.append(text[:1].upper() + text[1:] + ".")
    return out or [sentence]


def clauses(idea: str) -> list[Clause]:
    """The idea's distinct needs, in the order it states them."""
    return [Clause(text, n, sentence) for n, sentence in enumerate(split_sentences(idea))
            for text in sentence_clauses(sentence)]


def _stem(word: str) -> str:
    word = _IRREGULAR.get(word, word)
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    elif len(word) > 3 and re.search(r"(ss|sh|ch|x|z)es$", word):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # "stopped" -> "stopp" -> "stop"
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in re.findall(r"\d[\d,.]*\d|\d", text)}


def content_words(text: str) -> frozenset[str]:
    """The stems of ``text``'s content words and its numbers (see the module docstring)."""
    words = re.findall(r"[a-z][a-z0-9']*|\d[\d,.]*\d|\d", text.lower().replace("`", " ").replace("-", " "))
    out = {_stem(w.removesuffix("'s").strip("'")) for w in words if not w[0].isdigit() and w not in _STOP}
    return frozenset(w for w in out if len(w) > 1) | frozenset(_numbers(text))


def _negated(text: str) -> bool:
    return bool(set(re.findall(r"[a-z']+", text.lower())) & _NEGATION) or "n't" in text.lower()


def covers(item_text: str, clause: Clause | str) -> bool:
    """Whether one requirement's text covers ``clause`` (the rule: the module docstring)."""
    text = clause.text if isinstance(clause, Clause) else clause
    need = content_words(text)
    have = content_words(item_text)
    if not need:
        return True
    if not _numbers(text) <= _numbers(item_text) or (_negated(text) and not _negated(item_text)):
        return False
    return len(need & have) / len(need) >= COVERAGE


def _item_texts(requirements: object) -> list[str]:
    if isinstance(requirements, str):
        from specpilot.spec.documents import parse_requirements

        model, _ = parse_requirements(requirements)
        return [item.text for item in model.items]
    items = cast(Iterable[object], getattr(requirements, "items", requirements))
    return [str(getattr(item, "text", item)) for item in items]


def uncovered(idea: str | Iterable[Clause], requirements: object) -> list[Clause]:
    """The clauses of ``idea`` that no item of ``requirements`` covers: ``requirements`` is a requirements.md
    text, a parsed ``Requirements``, or items (anything with ``.text``, or strings)."""
    found = clauses(idea) if isinstance(idea, str) else list(idea)
    texts = _item_texts(requirements)
    return [c for c in found if not any(covers(text, c) for text in texts)]


def repair(idea: str, text: str) -> tuple[str, list[tuple[str, Clause]]]:
    """``text`` (a requirements.md) with each clause of ``idea`` it leaves out added as an EARS criterion under its
    last story (a new story R1 when it has none), each scored and, under 0.6, asked about; and what was added as
    (item id, clause)."""
    from specpilot.spec import ears
    from specpilot.spec.documents import add_question, parse_requirements

    missing = uncovered(idea, text)
    if not missing:
        return text, []
    if "\r\n" in text:  # written back with the line breaks it came with
        repaired, done = repair(idea, text.replace("\r\n", "\n"))
        return repaired.replace("\n", "\r\n"), done
    model, _ = parse_requirements(text)
    stories = [item for item in model.items if item.kind == "story"]
    lines = text.split("\n")
    added: list[tuple[str, Clause]] = []
    new_lines: list[str] = []
    if stories:
        story = stories[-1].id
        last = max([stories[-1], *model.criteria(story)], key=lambda item: item.line)
        numbers = [int(c.id.rsplit(".", 1)[1]) for c in model.criteria(story) if c.id.rsplit(".", 1)[1].isdigit()]
        at = last.line  # the line after the last item of that story (1-based line -> 0-based index after it)
        while at < len(lines) and lines[at].startswith((" ", "\t")) and lines[at].strip():
            at += 1
        next_number = max(numbers, default=0) + 1
    else:
        story = "R1"
        heading = next((n for n, line in enumerate(lines) if line.strip().lower() == "## user stories"), None)
        if heading is None:
            lines += ["", "## User stories"]
            heading = len(lines) - 1
        want = (model.title or "what the idea describes").rstrip(".")
        want = want if want[1:2].isupper() else want[:1].lower() + want[1:]
        story_text = f"As a user, I want {want}."
        new_lines.append(f"### R1 {story_text} {clarity.score(story_text).comment()}")
        at = heading + 1
        next_number = 1
    for n, clause in enumerate(missing, next_number):
        rewritten = ears.rewrite(clause.text)
        score = min(clarity.score(clause.text), clarity.score(rewritten), key=lambda c: c.score)
        new_lines.append(f"- {story}.{n} {rewritten} {score.comment()}")
        added.append((f"{story}.{n}", clause))
    text = "\n".join(lines[:at] + new_lines + lines[at:])
    for item_id, clause in added:
        scored = clarity.score(ears.rewrite(clause.text))
        if scored.score < clarity.CLEAR_THRESHOLD and scored.questions:
            text = add_question(text, item_id, scored.questions[0])
    return text, added


def added_note(added: list[tuple[str, Clause]]) -> str:
    """The note ``spec new`` shows for what ``repair`` added."""
    return (f"added {', '.join(item_id for item_id, _ in added)} for what the idea says and the model's draft left "
            "out: " + "; ".join(repr(clause.text) for _, clause in added))
