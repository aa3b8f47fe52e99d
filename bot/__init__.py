"""The WeChat assistant: see README.md "## Layout". Importing bot (or any module in it) does nothing."""
