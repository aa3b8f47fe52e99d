"""For developers and the offline demo: fake WeChat API, simulators, demo data."""
