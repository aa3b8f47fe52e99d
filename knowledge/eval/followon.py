"""Score follow-on questions read with the topic just answered (bot/answers/follow_on.py), without a
database: each line says which topic the resident was answered a moment ago.

    .venv/bin/python knowledge/eval/followon.py knowledge/eval/followon-tune.tsv [-v]

Lines: previous_topic<TAB>follow-on<TAB>expected entry, or `keep` (must not be answered from the last
topic). Prints right with the last topic, and right for the question alone, decided as the webhook
decides (bot.answers.follow_on.reread).
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("WXBOT_DEMO", "1")  # reads the knowledge base only

from bot.answers import follow_on  # noqa: E402
from bot.answers.knowledge import Bundle  # noqa: E402
from bot.config import Settings  # noqa: E402
from handlers.policy import respond  # noqa: E402


def score(path: str, verbose: bool) -> None:
    bundle = Bundle.load(Settings.from_env().knowledge_dir)
    rows = [line.rstrip("\n").split("\t") for line in open(path, encoding="utf-8")
            if line.strip() and not line.startswith("#")]
    right = alone = 0
    for topic, question, want in rows:
        first = respond(question, bundle)
        again = follow_on.reread(question, first, bundle, respond, lambda: topic)
        final, used = again or first, again is not None
        answered = final.meta.get("entry") if final.meta["kind"] == "answer" else final.meta["kind"]
        good = not used if want == "keep" else answered == want
        right += good
        alone += want == "keep" or (first.meta["kind"] == "answer" and first.meta.get("entry") == want)
        if verbose or not good:
            print("ok  " if good else "MISS", topic, question, want, "->", answered, "(context)" if used else "")
    print(f"{path}: {len(rows)} lines; right with the last topic {right} ({100 * right / len(rows):.1f}%), "
          f"the question alone {alone} ({100 * alone / len(rows):.1f}%)")


if __name__ == "__main__":
    score(sys.argv[1], "-v" in sys.argv)
