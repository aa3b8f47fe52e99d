"""The `wxbot` console script: main.py builds it; one module per command group."""
