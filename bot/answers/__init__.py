"""Understanding free text and answering it from knowledge/: normalise, match, fill local facts."""
