"""A contextual bandit on Vowpal Wabbit's ``cb_explore_adf`` (the ``vowpalwabbit`` 9.x wheel).

Each decision is one multi-line example in VW's ADF text format::

    shared |S bucket=task=fix|lang=python task=fix lang=python query_length:3
    |A arm=plain
    |A arm=chain_of_thought

The shared namespace ``S`` holds the whole bucket, each of its parts and the numeric features; each action
line names its arm in namespace ``A``. ``-q SA`` crosses the two, so each arm gets its own weight per
context feature: without it the shared features add the same amount to every arm's score and the
context is ignored. ``predict`` gives VW's pmf (``--squarecb`` by default), which is mixed with the floor.

``learn`` writes the example with every arm the bandit knows (the protocol's ``learn`` is not told which
arms were on offer; VW 9's default ``cb_type mtr`` regresses on the chosen arm's line only, and a check
with and without the other lines moved the pmf by under 1e-5) and labels the chosen arm's line
``0:<cost>:<propensity>`` with ``cost = 1 - reward``: VW minimises cost, the cost stays in [0, 1] (the
range its contextual-bandit reductions expect), and since an arm VW has not learned about predicts cost 0,
an untried arm looks as good as an accepted one: optimism that makes squarecb try it. (``-reward`` orders
the arms the same but makes untried arms look like rejects.)

The state is VW's model file (``Workspace.save``, which in VW 9 keeps the learning state too) in base64,
with the arguments, the floor and the arm list; :meth:`VowpalBandit.from_state` reloads it. ``vowpalwabbit``
is imported when a bandit is built, not when this module is imported (server start-up time).
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from specpilot.rl.bandits import ArmRegistry, bucket_parts, mix_floor
from specpilot.rl.events import Context

DEFAULT_ARGS = "--cb_explore_adf --squarecb -q SA --quiet"
_UNSAFE = re.compile(r"[\s|:]")  # VW's text format splits on whitespace, '|' and ':'


def _token(text: str) -> str:
    return _UNSAFE.sub("_", text)


class VowpalBandit(ArmRegistry):
    """Vowpal Wabbit's ``cb_explore_adf`` behind the :class:`rl.events.Bandit` protocol. Call :meth:`close`
    (or use it as a context manager) when done with it: it holds a native workspace."""

    name = "vw"

    def __init__(self, args: str = DEFAULT_ARGS, floor: float = 0.05, arms: Iterable[str] = (),
                 _model: bytes | None = None) -> None:
        self._tokens: dict[str, str] = {}  # arm -> its token in the action line
        super().__init__(floor, arms)
        from vowpalwabbit import Workspace  # type: ignore[import-untyped]  # the wheel ships no type information

        self.args = args
        if _model is None:
            self._workspace = Workspace(args)
        else:
            path = _temp_path()
            try:
                with open(path, "wb") as handle:
                    handle.write(_model)
                self._workspace = Workspace(f"--quiet -i {path}")
            except RuntimeError as error:  # VW's own message says what it could not read
                raise ValueError(f"Vowpal Wabbit could not load the saved model: {error}") from error
            finally:
                os.unlink(path)

    def _register(self, arm: str) -> None:
        if arm in self._tokens:
            return
        token = _token(arm)
        clash = [known for known, known_token in self._tokens.items() if known_token == token]
        if clash:
            raise ValueError(f"arms {clash[0]!r} and {arm!r} read the same to Vowpal Wabbit ({token!r})")
        self._tokens[arm] = token

    def offer(self, arms: Sequence[str]) -> tuple[str, ...]:
        offered = super().offer(arms)
        for arm in offered:
            self._register(arm)
        return offered

    def example(self, context: Context, arms: Sequence[str], chosen: str | None = None,
                cost: float = 0.0, propensity: float = 1.0) -> str:
        """The ADF text example for ``arms`` in ``context``, labelled on ``chosen`` when given."""
        shared = [f"bucket={_token(context.bucket)}"] if context.bucket else []
        shared += [_token(part) for part in bucket_parts(context.bucket)]
        for name, value in context.features.items():
            number = float(value)
            if not np.isfinite(number):
                raise ValueError(f"context feature {name!r} is {value!r}, not a finite number")
            shared.append(f"{_token(str(name))}:{number!r}")
        lines = ["shared |S " + " ".join(shared)]
        for arm in arms:
            label = f"0:{cost!r}:{propensity!r} " if arm == chosen else ""
            lines.append(f"{label}|A arm={self._tokens[arm]}")
        return "\n".join(lines)

    def probabilities(self, context: Context, arms: Sequence[str]) -> dict[str, float]:
        offered = self.offer(arms)
        pmf = np.asarray(self._workspace.predict(self.example(context, offered)), dtype=float)
        if pmf.shape != (len(offered),) or not np.isfinite(pmf).all() or pmf.sum() <= 0:
            pmf = np.full(len(offered), 1.0 / len(offered))  # never trust a malformed pmf over the floor
        return dict(zip(offered, mix_floor(pmf / pmf.sum(), self.floor).tolist(), strict=True))

    def learn(self, context: Context, arm: str, propensity: float, reward: float) -> None:
        self.check_learn(arm, propensity, reward)
        self._workspace.learn(self.example(context, self.arms, arm, 1.0 - float(reward), float(propensity)))

    def model_bytes(self) -> bytes:
        path = _temp_path()
        try:
            self._workspace.save(path)
            with open(path, "rb") as handle:
                return handle.read()
        finally:
            os.unlink(path)

    def state(self) -> dict[str, Any]:
        return {"name": self.name, "args": self.args, "floor": self.floor, "arms": list(self.arms),
                "model": base64.b64encode(self.model_bytes()).decode("ascii")}

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> VowpalBandit:
        try:
            model = base64.b64decode(str(data["model"]), validate=True)
        except (KeyError, ValueError) as error:
            raise ValueError(f"Vowpal Wabbit state has no readable model: {error}") from error
        return cls(str(data.get("args", DEFAULT_ARGS)), float(data["floor"]), data.get("arms", ()), _model=model)

    def close(self) -> None:
        """Finish the native workspace (idempotent)."""
        workspace = getattr(self, "_workspace", None)
        if workspace is not None:
            workspace.finish()

    def __enter__(self) -> VowpalBandit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


def _temp_path() -> str:
    handle, path = tempfile.mkstemp(prefix="specpilot-vw-", suffix=".model")
    os.close(handle)
    return path
