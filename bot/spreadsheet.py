"""What every staff import shares: reading a CSV as Excel in China saves it (UTF-8 or GBK, comma or
tab), and finding the header row under a title row (or two header rows under a merged cell)."""
from __future__ import annotations

import csv
import io
from typing import Callable

Columns = dict[str, int]  # field → column index


def csv_rows(data: bytes) -> list[tuple] | None:
    """The rows of a CSV file as tuples of strings; None when the encoding is neither UTF-8 nor GBK."""
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in Chinese saves CSV as GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    return [tuple(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]


def find_header(rows: list, match: Callable[[list[str]], Columns], *, scan_rows: int = 10,
                two_rows: bool = True, first_with: int | None = None,
                text: Callable[[object], str] | None = None) -> tuple[int, Columns, int]:
    """(index of the last header row, field → column, header row count), or (-1, {}, 1).

    `match` maps a row's cell texts to the fields it names. The row (or pair of rows, when two_rows:
    the lower cell, else the upper one carried over merged blanks) naming the most fields wins, or
    with `first_with` the first one naming at least that many. `text` turns a cell into text."""
    text = text or _text
    best: tuple[int, Columns, int] = (-1, {}, 1)
    for i in range(min(scan_rows, len(rows))):
        upper = [text(v) for v in rows[i]]
        candidates = [(i, match(upper), 1)]
        if two_rows and i + 1 < len(rows):
            lower = [text(v) for v in rows[i + 1]]
            carried, last = [], ""
            for cell in upper:
                last = cell or last
                carried.append(last)
            width = max(len(carried), len(lower))
            pad = lower + [""] * (width - len(lower))
            merged = [pad[c] or (upper[c] if c < len(upper) else "") for c in range(width)]
            combined = match(merged)
            joined = [carried[c] + pad[c] if c < len(carried) else "" for c in range(width)]  # 残疾+类别
            for fld, col in match(joined).items():
                combined.setdefault(fld, col)
            candidates.append((i + 1, combined, 2))
        for cand in candidates:
            if first_with is not None and len(cand[1]) >= first_with:
                return cand
            if len(cand[1]) > len(best[1]):
                best = cand
    return best if first_with is None else (-1, {}, 1)


def _text(value) -> str:
    return "" if value is None else str(value).strip()
