"""What every staff import shares: reading a CSV as Excel in China saves it (UTF-8 or GBK, comma or tab)."""
from __future__ import annotations

import csv
import io


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
