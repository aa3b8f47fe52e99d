"""WeChat's side: callback security, the inbound message model, replies, the API client."""
