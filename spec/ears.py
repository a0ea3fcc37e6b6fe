"""EARS (Easy Approach to Requirements Syntax): classify a sentence, and rewrite a plain one.

Patterns, as the requirements documents write them (keywords in capitals):

- ubiquitous:   ``THE SYSTEM SHALL <response>``
- event:        ``WHEN <trigger> THE SYSTEM SHALL <response>``
- unwanted:     ``IF <unwanted condition> [THEN] THE SYSTEM SHALL <response>``
- state:        ``WHILE <state> THE SYSTEM SHALL <response>``
- optional:     ``WHERE <feature is included> THE SYSTEM SHALL <response>``
- complex:      more than one of WHEN/IF/WHILE/WHERE before the SHALL
- plain:        not in EARS form (no SHALL)

The system named before SHALL is the sentence's own subject when it has one
("The cache evicts ..." -> ``THE CACHE SHALL evict ...``), else ``THE SYSTEM``.
The rewrite is deterministic and honest: it only moves the sentence's own words;
when it finds no trigger it uses the ubiquitous form, and it never adds numbers.
"""

from __future__ import annotations

import re

from specpilot.spec.clarity import IMPERATIVE_VERBS
from specpilot.spec.clauses import verb_form

PATTERNS = ("ubiquitous", "event", "unwanted", "state", "optional", "complex", "plain")

_KEYWORD = {"when": "event", "if": "unwanted", "while": "state", "where": "optional"}
_SHALL = re.compile(r"\bSHALL\b", re.IGNORECASE)
_TOKEN = re.compile(r"`[^`]*`|\S+")
_MODALS = {"shall", "should", "must", "will", "can", "may", "could", "would", "cannot"}
_COPULA = {"is": "be", "are": "be", "has": "have", "does": "do"}
_LEADING_CONDITION = re.compile(r"^(when|whenever|once|after|if|while|during|where)\s+(.+?),\s+(.+)$", re.IGNORECASE)
_TRAILING_CONDITION = re.compile(r"^(.+?)\s+(when|whenever|once|if|while|during)\s+(.+)$", re.IGNORECASE)
_CONDITION_KEYWORD = {"when": "WHEN", "whenever": "WHEN", "once": "WHEN", "after": "WHEN", "if": "IF",
                      "while": "WHILE", "during": "WHILE", "where": "WHERE"}
STORY = re.compile(r"^as an? (?P<actor>[^,]+),\s*I (?:want|need|would like)(?: to)? (?P<want>.+?)"
                    r"(?:,?\s*so that .*)?$", re.IGNORECASE)
_CAPABILITY = re.compile(r"^(?P<actor>(?:the |a |an |each |every )?[\w-]+)\s+(?:can|could|may|should be able to|"
                         r"must be able to|shall be able to|will be able to|want to|wants to|need to|needs to)\s+"
                         r"(?P<want>.+)$", re.IGNORECASE)
_PEOPLE = {"user", "users", "admin", "admins", "administrator", "administrators", "analyst", "analysts",
           "developer", "developers", "customer", "customers", "operator", "operators", "maintainer",
           "maintainers", "member", "members", "visitor", "visitors", "reviewer", "reviewers", "editor", "editors",
           "owner", "owners", "author", "authors", "player", "players", "student", "students", "teacher",
           "teachers", "engineer", "engineers", "researcher", "researchers", "manager", "managers", "client",
           "clients", "i", "we"}
_NOT_VERBS = ("ss", "us", "is", "ics", "ous")
_IRREGULAR = {"caches": "cache", "goes": "go", "does": "do", "has": "have"}


def classify(sentence: str) -> str:
    """The EARS pattern of ``sentence``: one of ``PATTERNS``."""
    text = sentence.strip()
    shall = _SHALL.search(text)
    if not shall:
        return "plain"
    head = text[: shall.start()].lower()
    keywords = [kind for word, kind in _KEYWORD.items() if re.search(rf"(?:^|\s){word}\s", " " + head)]
    if len(keywords) > 1:
        return "complex"
    if keywords:
        return keywords[0]
    return "ubiquitous"


def base_verb(word: str) -> str | None:
    """The base form of ``word`` when it reads as a present-tense verb that opens a docstring ("Returns" ->
    "Return", "Reads" -> "Read"), else None ("This", "Its", "Options for ...": not verbs, left whole)."""
    lowered = word.lower()
    if lowered in _COPULA or lowered in _IRREGULAR:
        return _base_form(word)
    if not re.fullmatch(r"[a-z]+s", lowered) or lowered.endswith(_NOT_VERBS) or lowered in _NOT_VERB_WORDS:
        return None
    return _base_form(word)


_NOT_VERB_WORDS = {"its", "this", "thus", "was", "always", "perhaps", "sometimes", "unless", "whereas", "as",
                   "yes", "less", "across", "towards", "afterwards", "besides", "news", "series", "species"}


def _base_form(verb: str) -> str:
    lowered = verb.lower()
    if lowered in _COPULA:
        return _COPULA[lowered]
    if lowered in _IRREGULAR:
        return _IRREGULAR[lowered]
    if lowered.endswith("ies") and len(lowered) > 4:
        return verb[:-3] + "y"
    if re.search(r"(ss|sh|ch|x|z|o)es$", lowered):
        return verb[:-2]
    if lowered.endswith("s") and not lowered.endswith(_NOT_VERBS):
        return verb[:-1]
    return verb


_UNITS = {"ms", "s", "secs", "seconds", "mins", "minutes", "hours", "days", "weeks", "kbs", "mbs", "gbs", "rows",
          "items", "files", "requests", "users", "epochs", "params", "parameters", "bytes", "records", "times"}


def _looks_like_verb(token: str) -> bool:
    lowered = token.lower()
    return (lowered in _COPULA or lowered in _MODALS
            or (re.fullmatch(r"[a-z]+s", lowered) is not None and not lowered.endswith(_NOT_VERBS)))


_NOT_A_VERB_AFTER = {"the", "a", "an", "each", "every", "all", "its", "their", "our", "this", "these", "those", "and",
                     "or", "of", "in", "on", "for", "with", "from", "to", "by", "at", "other", "only", "no", "any"}
_RELATIVE = {"that", "which", "who", "whose"}
_PRONOUNS = {"we", "i", "you", "they"}


def _opens_with_order(tokens: list[str]) -> bool:
    """An imperative: "Add ...", "Report the ..." (a known verb in its base form that is not the subject of a
    verb in -s or a modal: "Search covers ..." names a thing)."""
    if not tokens:
        return False
    first = tokens[0].lower()
    following = tokens[1].lower() if len(tokens) > 1 else ""
    if following in _MODALS or following in _COPULA or verb_form(following) == "s":
        return False
    return first in IMPERATIVE_VERBS or verb_form(first) == "base"


def _verb_at(tokens: list[str]) -> int | None:
    """The index of the clause's main verb: the first modal or verb in -s that does not sit inside the subject
    (after a determiner or preposition, before the real verb, or in a "that ..." clause); a known verb or a modal
    is preferred to a word that only looks like a verb in -s ("Only agents with the role can ...")."""
    candidates: list[int] = []
    relative = False
    after_noun = -1  # "Invalid values print ...": the base verb after a plural noun that was skipped
    for i, token in enumerate(tokens[1:9], start=1):
        lowered = token.lower()
        if lowered in _RELATIVE:
            relative = True
            continue
        if relative and (verb_form(token) is not None or _looks_like_verb(token)):
            relative = False  # "a plugin that crashes", "queries that appear": the relative clause's verb
            continue
        base = verb_form(token) == "base" or lowered in {"have", "do"}
        plural_subject = base and (i == after_noun or (i == 1 and (
            tokens[0].lower().endswith("s") or tokens[0].lower() in _PRONOUNS)))  # "Charts use", "We have"
        if not (_looks_like_verb(token) or plural_subject) or re.search(r"\d", tokens[i - 1]) or lowered in _UNITS:
            continue  # "50 ms", "2 hours": a unit, not a verb
        following = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
        if lowered not in _MODALS and lowered not in _COPULA and (
                tokens[i - 1].lower() in _NOT_A_VERB_AFTER or following in _MODALS or following in _COPULA
                or verb_form(following) == "base"):
            after_noun = i + 1
            continue  # "the comments", "tickets are", "values print": part of the subject
        candidates.append(i)
    if not candidates:
        return None
    strong = [i for i in candidates if tokens[i].lower() in _MODALS | set(_COPULA) or verb_form(tokens[i])]
    return (strong or candidates)[0]


def _split_subject(clause: str) -> tuple[str | None, str]:
    """(subject, predicate in base form) of a simple declarative clause; (None, clause) when
    no subject is found (imperatives, fragments)."""
    tokens = _TOKEN.findall(clause)
    if _opens_with_order(tokens):
        return None, clause
    if len(tokens) > 1 and verb_form(tokens[0]) == "s" and not tokens[0][1:2].isupper() \
            and tokens[1].lower() in {"in", "on", "with", "for", "at", "from", "to", "the", "a", "an", "offline"}:
        return None, " ".join([_base_form(tokens[0]).lower(), *tokens[1:]])  # "Works on ..." names no subject
    at = _verb_at(tokens)
    if at is None:
        return None, clause
    token, lowered = tokens[at], tokens[at].lower()
    subject = " ".join(tokens[:at])
    rest = tokens[at + 1:]
    if lowered == "cannot":
        return subject, "not " + " ".join(rest)
    if lowered in _MODALS:
        predicate = " ".join(rest)
        predicate = re.sub(r"^(be able to|not)\s+", lambda m: "not " if m.group(1) == "not" else "", predicate)
        return subject, predicate
    rest = [_base_form(word) if n and rest[n - 1].lower() in {"and", "or"} and verb_form(word) == "s" else word
            for n, word in enumerate(rest)]  # "reads files and returns rows" -> "read files and return rows"
    return subject, " ".join([_base_form(token), *rest])


def _system_name(subject: str | None) -> str:
    if not subject or subject.lower() in {"the system", "system", "it"} | _PRONOUNS:
        return "THE SYSTEM"
    name = re.sub(r"^(the|a|an|each|every)\s+", "", subject, flags=re.IGNORECASE)
    words = [w if w.startswith("`") else w.upper() for w in _TOKEN.findall(name)]
    return "THE " + " ".join(words)


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1].isupper():  # an acronym such as "CSV"
        return text
    return text[:1].lower() + text[1:]


def _actor_phrase(actor: str) -> str:
    words = actor.strip().split()
    noun = words[-1].lower()
    if noun in {"i", "we"}:
        return "the user"
    if words[0].lower() in {"the", "a", "an", "each", "every"}:
        return _lower_first(actor.strip())
    singular = noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun
    article = "an" if ([w.lower() for w in words[:-1]] + [singular])[0][:1] in "aeio" else "a"  # not "an user"
    return " ".join([article, *[w.lower() for w in words[:-1]], singular])


_PASSIVE = re.compile(r"^be\s+(\w+(ed|en)|built|kept|made|set|run|sent|shown|done|stored|given|held|written)\b")


def _response(predicate: str, subject: str | None) -> str:
    if subject and _PASSIVE.match(predicate):  # "Passwords are stored ..." names no acting system
        return f"THE SYSTEM SHALL ensure that {_lower_first(subject)} {'is' if _singular(subject) else 'are'}" \
               f"{predicate[2:]}"
    return f"{_system_name(subject)} SHALL {predicate if subject else _lower_first(predicate)}"


def _singular(subject: str) -> bool:
    words = subject.split()
    head = next((n for n, w in enumerate(words) if w.lower() in _RELATIVE | {"of", "with", "in", "on", "than"}),
                len(words))
    if head > 1 and head < len(words) and words[head].lower() == "than":
        head -= 1  # "drafts older than a week": the noun before the comparative
    last = words[max(head - 1, 0)].lower()  # "queries that appear in the data": the head noun, "queries"
    return not (last.endswith("s") and not last.endswith("ss"))


def rewrite(sentence: str) -> str:
    """``sentence`` in EARS form (see the module docstring); EARS sentences come back as they are."""
    text = " ".join(sentence.split()).rstrip()
    if not text:
        return text
    if classify(text) != "plain":
        return text
    body = text.rstrip(".!")

    story = STORY.match(body)
    capability = story or _CAPABILITY.match(body)
    if capability and (story or capability.group("actor").split()[-1].lower() in _PEOPLE):
        actor = _actor_phrase(capability.group("actor"))
        want = capability.group("want").strip()
        return f"WHEN {actor} asks to {want} THE SYSTEM SHALL {want}."

    leading = _LEADING_CONDITION.match(body)
    if leading:
        keyword, condition, clause = leading.groups()
        subject, predicate = _split_subject(clause)
        return f"{_CONDITION_KEYWORD[keyword.lower()]} {condition} {_response(predicate, subject)}."

    subject, predicate = _split_subject(body)
    trailing = _TRAILING_CONDITION.match(predicate)
    if trailing and "otherwise" not in predicate.lower() and "`" not in trailing.group(3):
        response, keyword, condition = trailing.groups()
        if subject:
            condition = re.sub(r"^(it|they)\b", _lower_first(subject), condition, flags=re.IGNORECASE)
        return f"{_CONDITION_KEYWORD[keyword.lower()]} {condition} {_response(response, subject)}."
    if subject is None:
        return f"THE SYSTEM SHALL {_lower_first(predicate)}."
    return f"{_response(predicate, subject)}."
