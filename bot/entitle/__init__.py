"""The "我能领什么" check: questions, registry prefill, the result message and anonymous counts."""
