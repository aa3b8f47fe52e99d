"""Console pages, one module per page group; a feature lists the ones it shows (Feature.pages)."""
