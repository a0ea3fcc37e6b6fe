from specpilot.rl.context import context_of, features


def test_features_bucket_what_a_face_knows_and_the_bucket_is_the_set_one_hot_names() -> None:
    made = features(task="Fix", language="python", files=350, words=4, offline=0.0)
    assert made == {"task=fix": 1.0, "lang=python": 1.0, "size=m": 1.0, "qlen=short": 1.0, "offline": 0.0}
    context = context_of(made)
    assert context.bucket == "lang=python|qlen=short|size=m|task=fix"
    assert context.features == made
    assert features(files=50_000, words=40) == {"size=xl": 1.0, "qlen=long": 1.0}
    assert context_of({"critic_allowed": 1.0}).bucket == ""  # numbers only: one bucket for all
