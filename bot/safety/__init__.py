"""People in distress first: recognise emergencies and complaints, answer at once, raise urgent items.

- detect.py: the detector over knowledge/distress.yaml (staff-readable words, dialect, homophones).
- respond.py: the one call bot.engine.dispatch makes before any other matching; replies and urgent items.
- models.py: urgent_item, the list staff work through in the console (/admin/urgent).
- evaluate.py: `python -m bot.safety.evaluate tests/data/distress.tsv` prints trigger and false-trigger rates.
"""
