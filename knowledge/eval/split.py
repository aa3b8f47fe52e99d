"""Split questions.tsv once into tune.tsv and test.tsv by a hash of the question (run once; never re-run
after looking at results). Comment lines are dropped."""
import hashlib
from pathlib import Path

here = Path(__file__).parent
lines = (here / "questions.tsv").read_text("utf-8").splitlines()
rows = [ln for ln in lines if "\t" in ln and not ln.startswith("#")]
halves = {"tune": [], "test": []}
for ln in rows:
    digest = hashlib.sha256(ln.split("\t", 1)[1].strip().encode()).digest()
    halves["tune" if digest[0] % 2 == 0 else "test"].append(ln)
for name, lines in halves.items():
    parity = "even" if name == "tune" else "odd"
    head = f"# {name} half of questions.tsv (sha256(question)[0] {parity}); see README.md\n"
    (here / f"{name}.tsv").write_text(head + "\n".join(lines) + "\n", "utf-8")
    print(name, len(lines), sum(ln.startswith("none") for ln in lines))
