"""The WeChat assistant. Importing bot sets how pypinyin loads, before any module imports it.

pypinyin's phrase dictionary is ~44 MB per process; toneless keys from single characters are what the
matcher, the distress words, job search and fuzzy commands compare (the same function on both sides),
and the evaluation sets score the same without it. Set PYPINYIN_NO_PHRASES= (empty) to load it again."""
import os

os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")  # pypinyin otherwise keeps a copy of its dictionaries
