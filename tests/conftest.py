"""The suite's fixtures live in tests/support/ (see its __init__), registered here once."""
pytest_plugins = ["tests.support.database", "tests.support.wechat", "tests.support.delivery",
                  "tests.support.console", "tests.support.matcher"]
