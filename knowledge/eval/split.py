"""Split questions.tsv once into tune.tsv and test.tsv by a hash of the question (run once; never re-run
after looking at results). Comment lines are dropped."""
import hashlib
from pathlib import Path

here = Path(__file__).parent
rows = [ln for ln in (here / "questions.tsv").read_text("utf-8").splitlines() if "\t" in ln and not ln.startswith("#")]
halves = {"tune": [], "test": []}
for ln in rows:
    digest = hashlib.sha256(ln.split("\t", 1)[1].strip().encode()).digest()
    halves["tune" if digest[0] % 2 == 0 else "test"].append(ln)
for name, lines in halves.items():
    head = f"# {name} half of questions.tsv (sha256(question)[0] {'even' if name == 'tune' else 'odd'}); see README.md\n"
    (here / f"{name}.tsv").write_text(head + "\n".join(lines) + "\n", "utf-8")
    print(name, len(lines), sum(ln.startswith("none") for ln in lines))
